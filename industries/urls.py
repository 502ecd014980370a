"""Routes of the industries app, registered on API v1's router by config.api_router."""

from industries.views import IndustryViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("industries", IndustryViewSet, basename="industry")
