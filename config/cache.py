"""Django's Redis cache, with one `redis.Redis` client per server instead of one per call, and the
throttle's request history kept in one round trip."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from django.core.cache.backends import redis as django_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

# DRF's throttle history (SimpleRateThrottle: the client's request times, newest first, over the rate's
# period) as a Redis list, checked and extended in one script, so one round trip instead of a GET and a
# SET of the pickled list. The same decisions as DRF's: drop the times that left the period from the old
# end; refuse without recording when `limit` times remain; otherwise record `now` and keep the list for
# `duration` seconds. Returns whether the request may go on, how many times the period held before it,
# and the oldest of them (text, so that Lua does not round it to an integer). A key holding something
# else (DRF's pickled list, written by a worker of the previous release) is started afresh.
THROTTLE_SCRIPT = """
local key = KEYS[1]
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local kind = redis.call('TYPE', key).ok
if kind ~= 'list' and kind ~= 'none' then
    redis.call('DEL', key)
end
while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or tonumber(oldest) > now - duration then
        break
    end
    redis.call('RPOP', key)
end
local count = redis.call('LLEN', key)
local oldest = redis.call('LINDEX', key, -1)
if count >= limit then
    return {0, count, oldest}
end
redis.call('LPUSH', key, ARGV[1])
redis.call('EXPIRE', key, duration)
return {1, count, oldest}
"""
THROTTLE_SHA = hashlib.sha1(THROTTLE_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1


class _ClientPerServer(django_redis.RedisCacheClient):
    """Django builds a new `redis.Redis` around the server's connection pool on every cache call, and
    redis-py's constructor registers some 170 response callbacks each time: about 0.3 ms of CPU, twice
    an API request (the throttle reads and writes its counter). A client is thread-safe and holds no
    connection of its own (the pool does), so one per server serves every call."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._throttle = threading.local()

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def run_throttle_script(self, key: str, args: list[Any]) -> list[Any]:
        """`THROTTLE_SCRIPT`'s answer for `key`, from the server writes go to.

        On a connection this thread keeps for it, not one checked out of the pool and back: redis-py's
        checkout, its metrics and its retry wrapper took more than half of the throttle's CPU (about 180
        against 80 µs a call on a slow machine), and the throttle a tenth of a detail's (py-spy, tier M).
        What redis-py's client would do on failure is done here:
        the script is loaded when the server does not know it (a restart, SCRIPT FLUSH), and a dropped
        or timed-out connection is opened again and the command sent once more. (As with redis-py's retry, a
        command the server ran before the connection broke then counts twice: a stricter limit, never a looser one.)
        """
        connection = getattr(self._throttle, "connection", None)
        if connection is None:
            pool = self._get_connection_pool(True)
            connection = self._throttle.connection = pool.connection_class(**pool.connection_kwargs)
        try:
            return self._evalsha(connection, key, args)
        except (RedisConnectionError, RedisTimeoutError):
            connection.disconnect()  # whatever it had half sent or half read is gone with it
            return self._evalsha(connection, key, args)

    @staticmethod
    def _evalsha(connection, key: str, args: list[Any]) -> list[Any]:
        connection.send_command("EVALSHA", THROTTLE_SHA, 1, key, *args)
        try:
            return connection.read_response()
        except NoScriptError:
            connection.send_command("SCRIPT", "LOAD", THROTTLE_SCRIPT)
            connection.read_response()
            connection.send_command("EVALSHA", THROTTLE_SHA, 1, key, *args)
            return connection.read_response()


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with its clients reused (`_ClientPerServer`)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ClientPerServer

    def record_request(self, key: str, now: float, duration: int, limit: int) -> tuple[bool, int, float | None]:
        """One request at `now` in the throttle history under `key` (DRF's decisions, `THROTTLE_SCRIPT`): whether
        it may go on, how many requests the last `duration` seconds held before it, and the oldest one's time."""
        # make_key, not make_and_validate_key: the validation warns of keys memcached would refuse, one character at a
        # time in Python (a tenth of the throttle's CPU), and the throttles' keys are DRF's (scope and address or id).
        allowed, count, oldest = self._cache.run_throttle_script(self.make_key(key), [repr(now), duration, limit])
        return bool(allowed), count, None if oldest is None else float(oldest)
