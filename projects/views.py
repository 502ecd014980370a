from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from config.viewsets import TrackerViewSet
from projects.filters import ProjectFilterSet
from projects.models import Figure, FollowUp, FundsInPlace, Milestone, Participant, Project
from projects.selectors import GROUPINGS, project_detail_queryset, project_list_queryset, project_summary
from projects.serializers import (
    FigureWriteSerializer,
    FollowUpSerializer,
    FundsInPlaceSerializer,
    MilestoneSerializer,
    ParticipantSerializer,
    ProjectDetailSerializer,
    ProjectSerializer,
    SummarySerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List investment projects",
        description="Projects and leads, with region, lead investor and industry codes per row.",
    ),
    retrieve=extend_schema(
        summary="Get a project by id or slug",
        description="With participants, milestones, funds in place, figures and follow-ups, each with its citation.",
    ),
    create=extend_schema(summary="Create a project"),
    update=extend_schema(summary="Replace a project"),
    partial_update=extend_schema(summary="Change a project"),
    destroy=extend_schema(summary="Delete a project", description="Refused with 409 while a project belongs to it."),
)
class ProjectViewSet(TrackerViewSet):
    """Investment projects and leads, from conception (谋划) to design capacity (达产)."""

    serializer_class = ProjectSerializer
    detail_serializer_class = ProjectDetailSerializer
    filterset_class = ProjectFilterSet
    ordering_fields = ["name", "planned_investment", "created_at", "updated_at"]
    lookup_fields = ("pk", "slug")
    csv_filename = "projects"

    def get_queryset(self) -> QuerySet[Project]:
        return project_list_queryset() if self.action in ("list", "summary") else project_detail_queryset()

    @extend_schema(
        summary="Summarise projects",
        description=(
            "Project count and total planned investment per group, with the same filters as the list. "
            "`group_by=region` gives one row per direct child of `region` (the whole subtree of each child "
            "summed into its row; projects placed on the region itself get a row of their own); "
            "`industry` likewise under `industry` or at the top of the taxonomy; `status` one row per stage; "
            "`year` one row per year of the project's latest actual milestone. Programmes are not added in, "
            "since their amounts restate their projects'."
        ),
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=list(GROUPINGS), required=True, description="How to group."
            ),
        ],
        responses=SummarySerializer,
    )
    @action(detail=False, methods=["get"], url_path="summary", pagination_class=None)
    def summary(self, request):
        group_by = request.query_params.get("group_by", "")
        if group_by not in GROUPINGS:
            raise ValidationError({"group_by": [f"Choose one of: {', '.join(GROUPINGS)}."]})
        filterset = self.filterset_class(request.query_params, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        data = project_summary(
            filterset.qs,
            group_by=group_by,
            region=filterset.form.cleaned_data.get("region"),
            industry=filterset.form.cleaned_data.get("industry"),
        )
        return Response(SummarySerializer(data).data)


class ProjectChildViewSet(TrackerViewSet):
    """Records that belong to one project, under `/projects/{project}/...`."""

    project_kwarg = "project"

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            value = self.kwargs[self.project_kwarg]
            lookup = {"pk": int(value)} if value.isascii() and value.isdigit() and len(value) <= 18 else {"slug": value}
            self._project = get_object_or_404(Project.objects.all(), **lookup)
        return self._project

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        return super().get_queryset().filter(project=self.get_project())


def _child_schema(noun: str, plural: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List a project's {plural}"),
        retrieve=extend_schema(summary=f"Get a project's {noun}"),
        create=extend_schema(summary=f"Add a {noun} to a project"),
        update=extend_schema(summary=f"Replace a project's {noun}"),
        partial_update=extend_schema(summary=f"Change a project's {noun}"),
        destroy=extend_schema(summary=f"Delete a project's {noun}"),
    )


@_child_schema("participant", "participants")
class ParticipantViewSet(ProjectChildViewSet):
    """Companies taking part in a project, with their role and optional share."""

    queryset = Participant.objects.select_related("company", "citation__source").order_by("role", "id")
    serializer_class = ParticipantSerializer
    ordering_fields = ["role", "created_at"]
    csv_filename = "participants"


@_child_schema("milestone", "milestones")
class MilestoneViewSet(ProjectChildViewSet):
    """Dated steps through the funnel; actual ones set the project's stage."""

    queryset = Milestone.objects.select_related("citation__source").order_by("date", "id")
    serializer_class = MilestoneSerializer
    ordering_fields = ["date", "created_at"]
    csv_filename = "milestones"


@_child_schema("funds-in-place figure", "funds in place (到位资金)")
class FundsInPlaceViewSet(ProjectChildViewSet):
    """Money arrived for a project (到位资金), cumulative to each date."""

    queryset = FundsInPlace.objects.select_related("citation__source").order_by("as_of", "id")
    serializer_class = FundsInPlaceSerializer
    ordering_fields = ["as_of"]
    csv_filename = "funds-in-place"


@_child_schema("figure", "figures")
class FigureViewSet(ProjectChildViewSet):
    """Numbers stated about a project (revenue, jobs, partners, pipeline), each with its citation."""

    queryset = Figure.objects.select_related("citation__source").order_by("period_start", "metric", "id")
    serializer_class = FigureWriteSerializer
    ordering_fields = ["period_start", "metric"]
    csv_filename = "figures"


@_child_schema("follow-up", "follow-ups")
class FollowUpViewSet(ProjectChildViewSet):
    """The tracking officer's log: what was done and what comes next."""

    queryset = FollowUp.objects.select_related("author").order_by("-happened_on", "-id")
    serializer_class = FollowUpSerializer
    ordering_fields = ["happened_on"]
    csv_filename = "follow-ups"

    def perform_create(self, serializer) -> None:
        serializer.save(author=self.request.user)
        self._reload(serializer)
