"""The one router of API v1; each app's `urls.py` registers its collections on it."""

from rest_framework.routers import DefaultRouter


class TrackerRouter(DefaultRouter):
    include_format_suffixes = False


router = TrackerRouter()
