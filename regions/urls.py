"""Routes of the regions app, registered on API v1's router by config.api_router."""

from regions.views import RegionViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("regions", RegionViewSet, basename="region")
