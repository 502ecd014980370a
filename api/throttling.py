"""Rate limits per anonymous address, per user and for logins, counted where every worker sees the same count.

The rates are read from `API_THROTTLE_RATES` on each request rather than once at import, so they follow the
settings (and tests can lower them). Which client and which scope a request counts against are DRF's
(`AnonRateThrottle`, `UserRateThrottle`, `ScopedRateThrottle`); the counting is ours, because DRF's reads the
client's history from the cache and writes it back, and concurrent requests all read the same history: with 32
parallel clients 189 of 400 requests passed a limit of 120 (issue 20).

**One atomic step per request.** A request is counted and its count returned in one operation that the store
serialises, so N racing requests get N distinct counts and exactly `limit` of them are let through:

- in Redis (`REDIS_URL`, django-redis), `INCR`, atomic on its own; the request that creates the key sets its
  expiry, and a refused one reads it (`PTTL`). A request within the allowance costs one command;
- otherwise in PostgreSQL, one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` on `ratelimits_window`, whose
  row lock makes the racing statements take turns. The table is UNLOGGED: counters are not worth WAL (a commit
  that wrote none does not wait for a flush), and a crash that empties it only hands out fresh allowances.

**A fixed window per client, not a sliding log.** The window starts with the client's first request and lasts
the rate's period; every request in it is counted (refused ones too: they cannot prolong it), and when it ends
the whole allowance comes back at once. `Retry-After` is the time left in the window, to the second, from the
store's own clock (Redis's TTL, PostgreSQL's `statement_timestamp()`), so app servers whose clocks differ agree.
What this gives away: a client that spends its allowance at the end of one window and again at the start of the
next passes up to twice the limit within a short time, and never more than that in any period; averaged over
time it never passes more than the rate. The sliding log DRF keeps (and a Redis script kept here before) passes
at most the limit in any period, with a Retry-After until its oldest request ages out; it needs a list of up to
`limit` times per client (600 for a user) read and rewritten on every request, and a server-side script in
Redis. The fixed window needs one integer, one Redis command and one statement, as django-ratelimit's does.

**Outside the request's transaction.** A count must outlive the request that made it, failed ones included
(wrong passwords, floods of 404s, writes that roll back), and the row lock must not be held until the request
ends. Requests run in autocommit (ATOMIC_REQUESTS off) and DRF checks the throttles before the handler opens
its atomic block (api.viewsets), so the statement commits on its own, on the connection the routers choose for
`ratelimits.Window` (the primary's). django-axes' failed logins and the imports waiting in the cache are
written the same way, before any block that rolls back (tests/test_throttling.py, tests/test_limits.py and
tests/test_import_export.py show it).
"""

from __future__ import annotations

import itertools
import math

import django_redis
import django_redis.cache
from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from redis import Redis
from rest_framework import throttling

# Expired windows are left in the table (they are started afresh when their client comes back) and swept now
# and then; a sweep is a scan of one row per recently seen client and scope.
SWEEP_EVERY = 1000
_sweep_clock = itertools.count(1)

_COUNT_IN_POSTGRESQL = """
INSERT INTO ratelimits_window AS w (key, hits, ends)
VALUES (%s, 1, statement_timestamp() + make_interval(secs => %s))
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN w.ends > statement_timestamp() THEN w.hits + 1 ELSE 1 END,
    ends = CASE WHEN w.ends > statement_timestamp() THEN w.ends ELSE excluded.ends END
RETURNING hits, extract(epoch FROM ends - statement_timestamp())::float8
"""
_SWEEP_IN_POSTGRESQL = "DELETE FROM ratelimits_window WHERE ends <= statement_timestamp()"


def count_request(key: str, duration: int, limit: int) -> tuple[int, float | None]:
    """Count one request under `key` in a window of `duration` seconds: the requests the window has counted,
    this one included, and, when that is over `limit`, the seconds left in the window."""
    cache = caches["default"]
    if isinstance(cache, django_redis.cache.RedisCache):
        # django-redis's documented raw client: one per server, kept, where Django's own Redis cache builds a
        # redis-py client for every call (a fifth of a project detail's instructions; docs/operations).
        return _count_in_redis(django_redis.get_redis_connection("default"), cache.make_key(key), duration, limit)
    return _count_in_postgresql(key, duration)


def _count_in_redis(client: Redis, key: str, duration: int, limit: int) -> tuple[int, float | None]:
    # INCR is atomic on its own; the window starts with the request that creates the key. Should a worker die
    # between its INCR and its EXPIRE, the key has no expiry: the first refusal sees that and gives it one.
    hits = client.incr(key)
    if hits == 1:
        client.expire(key, duration)
    if hits <= limit:
        return hits, None
    milliseconds_left = client.pttl(key)
    if milliseconds_left < 0:
        client.expire(key, duration, nx=True)
        milliseconds_left = duration * 1000
    return hits, milliseconds_left / 1000


def _count_in_postgresql(key: str, duration: int) -> tuple[int, float]:
    from ratelimits.models import Window

    with connections[router.db_for_write(Window)].cursor() as cursor:
        cursor.execute(_COUNT_IN_POSTGRESQL, [key, duration])
        hits, seconds_left = cursor.fetchone()
        if next(_sweep_clock) % SWEEP_EVERY == 0:
            cursor.execute(_SWEEP_IN_POSTGRESQL)
    return hits, seconds_left


class _SettingsRate:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class _FixedWindow(throttling.SimpleRateThrottle):
    """DRF's rate throttle, counting in a fixed window in one atomic step (`count_request`) instead of DRF's
    history. Last among a throttle's bases, so that `ScopedRateThrottle.allow_request` (which picks the view's
    scope and its rate) runs before this one."""

    # Not DRF's `throttle_...`: the history a previous release left under those keys is not a count.
    cache_format = "rate:%(scope)s:%(ident)s"
    seconds_left: float | None = None

    def allow_request(self, request, view) -> bool:
        # DRF's early answers (no rate; no key: a throttle for users asked about an anonymous request) cost no
        # look-up, as in DRF.
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        hits, self.seconds_left = count_request(self.key, self.duration, self.num_requests)
        return hits <= self.num_requests

    def wait(self) -> float | None:
        # DRF's Throttled rounds it up to whole seconds for Retry-After; at least one, since a refused request
        # whose window ends within the second would otherwise be told to retry at once.
        return None if self.seconds_left is None else max(1, math.ceil(self.seconds_left))


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle, _FixedWindow):
    """Requests without credentials, per client address."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle, _FixedWindow):
    """Requests with a token or session, per user (anonymous ones are AnonThrottle's)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedThrottle(_SettingsRate, throttling.ScopedRateThrottle, _FixedWindow):
    """Views that name a `throttle_scope` (the token endpoint: `login`), per user or address."""
