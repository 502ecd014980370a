"""Rate limits per anonymous address and per user, counted in the shared cache.

The rates are read from `API_THROTTLE_RATES` on each request rather than once at import, so
they follow the settings (and tests can lower them).
"""

from django.conf import settings
from rest_framework import throttling


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
