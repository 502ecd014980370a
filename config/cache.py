"""Django's Redis cache, with one `redis.Redis` client per server instead of one per call, and the
throttle's request history kept in one round trip."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis

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


class _ClientPerServer(django_redis.RedisCacheClient):
    """Django builds a new `redis.Redis` around the server's connection pool on every cache call, and
    redis-py's constructor registers some 170 response callbacks each time: about 0.3 ms of CPU, twice
    an API request (the throttle reads and writes its counter). A client is thread-safe and holds no
    connection of its own (the pool does), so one per server serves every call."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._throttle_scripts: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def throttle_script(self):
        """`THROTTLE_SCRIPT` on the server writes go to (redis-py sends it by its digest, loading it once)."""
        client = self.get_client(write=True)
        script = self._throttle_scripts.get(id(client))
        if script is None:
            script = self._throttle_scripts[id(client)] = client.register_script(THROTTLE_SCRIPT)
        return script


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with its clients reused (`_ClientPerServer`)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ClientPerServer

    def record_request(self, key: str, now: float, duration: int, limit: int) -> tuple[bool, int, float | None]:
        """One request at `now` in the throttle history under `key` (DRF's decisions, `THROTTLE_SCRIPT`): whether
        it may go on, how many requests the last `duration` seconds held before it, and the oldest one's time."""
        script = self._cache.throttle_script()
        allowed, count, oldest = script(keys=[self.make_and_validate_key(key)], args=[repr(now), duration, limit])
        return bool(allowed), count, None if oldest is None else float(oldest)
