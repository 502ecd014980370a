"""Test settings: base settings made faster, never a different database engine."""

from .base import *  # noqa: F403
from .base import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
# Tests must not need collectstatic; the docs-page test still fetches the real files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Throttling has its own tests (which set rates); elsewhere no rate means no counting, so it
# neither gets in the way nor adds its cache queries to the query-count tests.
API_THROTTLE_RATES: dict[str, str] = {}
# The test client's login() has no request for django-axes to inspect; its own tests turn it on.
AXES_ENABLED = False
