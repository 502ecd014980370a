from django.apps import AppConfig


class RateLimitsConfig(AppConfig):
    """The throttle's counts when they are kept in PostgreSQL (api.throttling)."""

    name = "ratelimits"
    verbose_name = "Rate limits"
