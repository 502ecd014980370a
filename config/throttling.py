"""Rate limits per anonymous address and per user, counted in the shared cache.

The rates are read from `API_THROTTLE_RATES` on each request rather than once at import, so
they follow the settings (and tests can lower them). In Redis, each client's request history is a
list that one script checks and extends (`config.cache.THROTTLE_SCRIPT`): one round trip where DRF
reads and writes back a pickled list. The decisions and Retry-After are DRF's either way.
"""

from django.conf import settings
from rest_framework import throttling

COUNTERS_ALIAS = "counters"


class _SettingsRate:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class _OneRoundTrip(throttling.SimpleRateThrottle):
    """DRF's rate throttle, with the history checked and extended in one round trip where the cache can (Redis).

    Last among a throttle's bases, so that `ScopedRateThrottle.allow_request` (which picks the view's scope
    and its rate) runs before this one.
    """

    def allow_request(self, request, view) -> bool:
        # DRF's early answers first (no rate; no key: a throttle for users asked about an anonymous request), so
        # that they cost no look-up of the cache, as in DRF.
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # DRF reads the pickled history, then writes all of it back: two round trips, a third of a 304's
        # CPU. `config.cache.RedisCache.record_request` makes the same decision in one.
        record = getattr(self.cache, "record_request", None)
        if record is None:
            return super().allow_request(request, view)
        self.now = self.timer()
        allowed, count, oldest = record(self.key, self.now, self.duration, self.num_requests)
        if not allowed:
            # A refused request's Retry-After comes from DRF's `wait`, which reads the history's length and
            # its oldest time only. (At most the rate's allowance: a refusal means the history is full.)
            self.history = [oldest] * count
        return allowed


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle, _OneRoundTrip):
    """Requests without credentials, per client address."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle, _OneRoundTrip):
    """Requests with a token or session, per user (anonymous ones are AnonThrottle's)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedThrottle(_SettingsRate, throttling.ScopedRateThrottle, _OneRoundTrip):
    """Views that name a `throttle_scope` (the token endpoint: `login`), per user or address."""


class CountersRouter:
    """Sends the database cache (throttle counts) and django-axes (failed logins) to `counters`.

    That alias is a second connection to the same database, outside every request's transaction:
    with ATOMIC_REQUESTS the `default` connection rolls back whatever a failed request wrote, and
    the requests that most need counting (wrong passwords, floods of 404s) are failed ones. The
    tables themselves are created on `default` like any other; nothing is migrated via `counters`.
    """

    app_labels = frozenset({"django_cache", "axes"})

    def db_for_read(self, model, **hints):
        return COUNTERS_ALIAS if model._meta.app_label in self.app_labels else None

    def db_for_write(self, model, **hints):
        return COUNTERS_ALIAS if model._meta.app_label in self.app_labels else None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == COUNTERS_ALIAS else None
