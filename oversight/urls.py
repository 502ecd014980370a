"""Routes of the oversight app: its collections on API v1's router, and its analytics as plain paths
(config.api_router adds both)."""

from django.urls import path

from oversight.views import (
    FunnelView,
    ProjectWarningViewSet,
    SigningEventViewSet,
    StageAgeingView,
    StageHistoryView,
    WarningRuleViewSet,
)


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("warnings", ProjectWarningViewSet, basename="warning")
    router.register("warning-rules", WarningRuleViewSet, basename="warning-rule")
    router.register("signing-events", SigningEventViewSet, basename="signing-event")


urlpatterns = [
    path("projects/<str:project>/stage-history/", StageHistoryView.as_view(), name="project-stage-history"),
    path("analytics/stage-ageing/", StageAgeingView.as_view(), name="stage-ageing"),
    path("analytics/funnel/", FunnelView.as_view(), name="funnel"),
]
