"""Routes of the projects app, registered on API v1's router by config.api_router."""

from projects.views import (
    FigureViewSet,
    FollowUpViewSet,
    FundsInPlaceViewSet,
    MilestoneViewSet,
    ParticipantViewSet,
    ProjectViewSet,
)


def register(router) -> None:
    """Add this app's collections to the API router."""
    router.register("projects", ProjectViewSet, basename="project")
    PROJECT = r"projects/(?P<project>[^/.]+)"
    router.register(f"{PROJECT}/participants", ParticipantViewSet, basename="project-participant")
    router.register(f"{PROJECT}/milestones", MilestoneViewSet, basename="project-milestone")
    router.register(f"{PROJECT}/funds-in-place", FundsInPlaceViewSet, basename="project-funds-in-place")
    router.register(f"{PROJECT}/figures", FigureViewSet, basename="project-figure")
    router.register(f"{PROJECT}/follow-ups", FollowUpViewSet, basename="project-follow-up")
