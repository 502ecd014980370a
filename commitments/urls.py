"""Routes of the commitments app, registered on API v1's router by config.api_router."""

from commitments.views import CommitmentObservationViewSet, CommitmentViewSet, ComplianceViewSet


def register(router) -> None:
    """Add this app's collections to the API router."""
    PROJECT = r"projects/(?P<project>[^/.]+)"
    router.register(f"{PROJECT}/commitments", CommitmentViewSet, basename="project-commitment")
    router.register(
        f"{PROJECT}/commitment-observations", CommitmentObservationViewSet, basename="project-commitment-observation"
    )
    router.register("compliance", ComplianceViewSet, basename="compliance")
