"""Django's Redis cache, with one `redis.Redis` client per server instead of one per call."""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class _ClientPerServer(django_redis.RedisCacheClient):
    """Django builds a new `redis.Redis` around the server's connection pool on every cache call, and
    redis-py's constructor registers some 170 response callbacks each time: about 0.3 ms of CPU, twice
    an API request (the throttle reads and writes its counter). A client is thread-safe and holds no
    connection of its own (the pool does), so one per server serves every call."""

    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with its clients reused (`_ClientPerServer`)."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _ClientPerServer
