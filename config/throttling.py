"""Rate limits per anonymous address and per user, counted in the shared cache.

The rates are read from `API_THROTTLE_RATES` on each request rather than once at import, so
they follow the settings (and tests can lower them).
"""

from django.conf import settings
from rest_framework import throttling

COUNTERS_ALIAS = "counters"


class _SettingsRate:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Requests without credentials, per client address."""


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Requests with a token or session, per user (anonymous ones are AnonThrottle's)."""

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class ScopedThrottle(_SettingsRate, throttling.ScopedRateThrottle):
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
