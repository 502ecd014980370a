"""The Redis server the throttle's tests count in: the machine's, as in CI.

`REDIS_URL` when set (a developer's own database number), else database 15 of 127.0.0.1:6379. In CI
(`CI=true`) an unreachable server fails the test; elsewhere the test is skipped with a note saying how to
start one, as the browser tests treat a missing Chromium.
"""

from __future__ import annotations

import os

import pytest
import redis

REDIS_LOCATION = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
REDIS_CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": REDIS_LOCATION}}
DATABASE_CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tracker_cache"}}


def redis_or_skip() -> redis.Redis:
    """A client of the Redis server the tests use; outside CI, the test is skipped when there is none."""
    client = redis.Redis.from_url(REDIS_LOCATION, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_LOCATION} ({exc}): start one with `redis-server`"
        if os.environ.get("CI"):
            pytest.fail(f"{message}. CI must run the Redis cases, not skip them.", pytrace=False)
        pytest.skip(message)
    return client
