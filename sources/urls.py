"""Routes of the sources app, registered on API v1's router by config.api_router."""

from sources.views import CitationViewSet, SourceViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("sources", SourceViewSet, basename="source")
    router.register("citations", CitationViewSet, basename="citation")
