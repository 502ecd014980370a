"""Routes of the indicators app, registered on API v1's router by config.api_router."""

from indicators.views import IndicatorViewSet, ObservationViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("indicators", ObservationViewSet, basename="observation")
    router.register("indicator-definitions", IndicatorViewSet, basename="indicator")
