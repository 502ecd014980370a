"""Routes of the companies app, registered on API v1's router by config.api_router."""

from companies.views import CompanyViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("companies", CompanyViewSet, basename="company")
