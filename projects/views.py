from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.permissions import FollowUpPermission
from api.asof import PARAMETER as AS_OF
from api.viewsets import TrackerViewSet, accepted_format, is_id, refuse_unknown_parameters
from figures.models import Figure
from figures.serializers import FigureWriteSerializer
from projects.filters import ProjectFilterSet
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from projects.rollup import summary_from_cells
from projects.selectors import GROUPINGS, project_summary
from projects.serializers import (
    FollowUpSerializer,
    FundsInPlaceSerializer,
    MilestoneSerializer,
    ParticipantSerializer,
    ProjectDetailSerializer,
    ProjectPublicDetailSerializer,
    ProjectSerializer,
    SummarySerializer,
)
from projects.summary_cache import cached_summary

#
# OpenAPI examples: the article's data as the API serves it with the seed loaded
# (tests/test_openapi.py checks them against the response schemas and against the live answers).
#

ARTICLE = {
    "id": 1,
    "slug": "lishui-article",
    "title": "Innovating Towards Economic Resilience: Lishui's Industrial Advancements",
}
KELUN_CITATION = {
    "id": 4,
    "source": ARTICLE,
    "locator": "L19",
    "quote": (
        "The total investment of 2 billion RMB in Kolen Pharmaceuticals' high-end preparation and health food "
        "project officially settled in Longquan."
    ),
}
KELUN_LANDED_CITATION = {
    "id": 5,
    "source": ARTICLE,
    "locator": "L19",
    "quote": (
        "Recognizing the ecological environment, industrial development, and business environment in Longquan, "
        "Kolen Pharmaceuticals and Longquan once again joined hands in July this year."
    ),
}
KELUN_INVESTOR = {
    "id": 2,
    "slug": "sichuan-kelun-pharmaceutical",
    "name": "Sichuan Kelun Pharmaceutical Co., Ltd.",
    "name_zh": "四川科伦药业股份有限公司",
}
RECORDED_AT = "2024-08-01T09:30:00+08:00"

KELUN_ROW = {
    "id": 1,
    "slug": "kelun-longquan-high-end-preparation-health-food",
    "name": "Kelun high-end preparation and health food project",
    "name_zh": "",
    "aliases": [
        "Kolen high-end preparation and health food project",
        "Kolen Pharmaceuticals' high-end preparation and health food project",
    ],
    "kind": "project",
    "programme": None,
    "region": {"code": "331181", "name": "Longquan City", "name_zh": "龙泉市", "level": "county_city"},
    "industries": ["C14", "C27", "CHAIN-PHARMA-HEALTH-FOOD"],
    "stage": "landed",
    "stage_reason": "",
    "planned_investment": "2000000000.00",
    "currency": "CNY",
    "investment_qualifier": "exact",
    "investment_citation": KELUN_CITATION,
    "counts_in_totals": True,
    "national_code": None,
    "fai_eligible": False,
    "fai_registered_at": None,
    "lead_investor": KELUN_INVESTOR,
    "tracked_by": None,
    "description": "Kelun's second joint undertaking with Longquan, after its 2010 acquisition of Guojing (L19).",
    "created_at": RECORDED_AT,
    "updated_at": RECORDED_AT,
}

KELUN_DETAIL = {
    **KELUN_ROW,
    "participants": [
        {
            "id": 1,
            "company": KELUN_INVESTOR,
            "role": "lead_investor",
            "share": None,
            "note": "",
            "citation": KELUN_CITATION,
            "created_at": RECORDED_AT,
            "updated_at": RECORDED_AT,
        }
    ],
    "milestones": [
        {
            "id": 1,
            "stage": "landed",
            "date": "2024-07-01",
            "date_precision": "month",
            "is_planned": False,
            "note": "Officially settled in Longquan in July 2024.",
            "citation": KELUN_LANDED_CITATION,
            "created_at": RECORDED_AT,
            "updated_at": RECORDED_AT,
        }
    ],
    "funds_in_place": [],
    "figures": [],
    "follow_ups": [],
    "component_projects": [],
}


def _summary_row(key: str | None, label: str, count: int = 0, total: str = "0.00", bounds: bool = False) -> dict:
    return {
        "key": key,
        "label": label,
        "project_count": count,
        "total_investment": total,
        "currency": "CNY",
        "includes_bounds": bounds,
        "projects_without_amount": 0,
    }


# Programmes (the Baiqiao Block plan, the Qingtian and Songyang clusters) are not added in.
LISHUI_BY_REGION = {
    "group_by": "region",
    "parent": {"code": "331100", "name": "Lishui City"},
    "rows": [
        _summary_row("331100-HTZ", "Lishui High-tech Zone"),
        _summary_row("331102", "Liandu District", 2, "2950000000.00"),
        _summary_row("331121", "Qingtian County"),
        _summary_row("331122", "Jinyun County"),
        _summary_row("331123", "Suichang County"),
        _summary_row("331124", "Songyang County"),
        _summary_row("331125", "Yunhe County"),
        _summary_row("331126", "Qingyuan County"),
        _summary_row("331127", "Jingning She Autonomous County"),
        _summary_row("331181", "Longquan City", 1, "2000000000.00"),
    ],
    "totals": _summary_row(None, "all projects", 3, "4950000000.00"),
}


@extend_schema_view(
    list=extend_schema(
        summary="List investment projects",
        description="Projects and leads, with region, lead investor and industry codes per row.",
        examples=[
            OpenApiExample(
                "Projects in Longquan",
                description="`GET /api/v1/projects/?region=331181`: the Kelun project, 2 billion yuan exactly.",
                value={"count": 1, "count_exceeds": None, "next": None, "previous": None, "results": [KELUN_ROW]},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get a project by id or slug",
        description="With participants, milestones, funds in place, figures and follow-ups, each with its citation.",
        examples=[
            OpenApiExample(
                "The Kelun project",
                description="`GET /api/v1/projects/kelun-longquan-high-end-preparation-health-food/`",
                value=KELUN_DETAIL,
                response_only=True,
            )
        ],
    ),
    create=extend_schema(summary="Create a project"),
    update=extend_schema(summary="Replace a project"),
    partial_update=extend_schema(summary="Change a project"),
    destroy=extend_schema(summary="Delete a project", description="Refused with 409 while a project belongs to it."),
)
class ProjectViewSet(TrackerViewSet):
    """Investment projects and leads, from conception (谋划) to design capacity (达产)."""

    as_of_actions = ("list", "retrieve", "summary")
    serializer_class = ProjectSerializer
    detail_serializer_class = ProjectDetailSerializer

    def get_serializer_class(self):
        serializer_class = super().get_serializer_class()
        if serializer_class is ProjectDetailSerializer and not self._sees_follow_ups():
            return ProjectPublicDetailSerializer
        return serializer_class

    def _sees_follow_ups(self) -> bool:
        """The follow-up log is for signed-in readers (API_ANONYMOUS_FOLLOW_UPS opens it); the OpenAPI document
        describes the signed-in reader's detail."""
        if getattr(self, "swagger_fake_view", False) or settings.API_ANONYMOUS_FOLLOW_UPS:
            return True
        user = getattr(self.request, "user", None)
        return bool(user and user.is_authenticated)

    filterset_class = ProjectFilterSet
    ordering_fields = ["name", "planned_investment", "created_at", "updated_at"]
    lookup_fields = ("pk", "slug")
    csv_filename = "projects"
    projected = True
    queryset = Project.objects.order_by("name", "id")

    @extend_schema(
        operation_id="projects_summary",
        summary="Summarise projects",
        description=(
            "Project count and total planned investment per group, with the same filters as the list. "
            "`group_by=region` gives one row per direct child of `region` (of the top-level regions without "
            "it), in code order, each summing the child's whole subtree, with zeros for children without "
            "projects; projects placed on the region itself get a row of their own, first. `industry` likewise "
            "under `industry` or at the top of the taxonomy, plus a row (key null) for projects filed under no "
            "industry; `status` one row per stage, in funnel order; `year` one row per year of the project's "
            "latest actual milestone. Each project counts once per row, and `project_count` counts projects, "
            "never programmes. Each yuan counts once: a programme that states its total exactly (qualifier "
            "`exact`) counts that total, in its own region, industries and stage, instead of its projects' "
            'amounts (the article\'s Baiqiao block: 2.95 billion for two projects of "more than 1 billion" each); '
            "otherwise its projects' amounts count and its own figure does not. A set that holds such a programme's "
            "projects without the programme (`kind=project`, `programme=`) thus counts none of their money. Each "
            "list row says whether its amount counts (`counts_in_totals`): adding up the rows that say true gives "
            "`total_investment`. `includes_bounds` and `projects_without_amount` speak of the amounts counted."
        ),
        parameters=[
            OpenApiParameter(
                "group_by", OpenApiTypes.STR, enum=[*GROUPINGS], required=True, description="How to group."
            ),
        ],
        filters=True,
        responses=SummarySerializer,
        examples=[
            OpenApiExample(
                "Lishui by district",
                description="`GET /api/v1/projects/summary/?group_by=region&region=331100`",
                value=LISHUI_BY_REGION,
                response_only=True,
            )
        ],
    )
    @action(detail=False, methods=["get"], url_path="summary", pagination_class=None)
    def summary(self, request):
        refuse_unknown_parameters(request, ["group_by", *self.filterset_class.base_filters, "format", AS_OF])
        group_by = request.query_params.get("group_by", "")
        if group_by not in GROUPINGS:
            raise ValidationError({"group_by": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(GROUPINGS)}]})

        def compute() -> dict:
            filterset = self.filterset_class(request.query_params, queryset=self.base_queryset(), request=request)
            if not filterset.is_valid():
                raise ValidationError(filterset.errors)
            filters = filterset.form.cleaned_data
            data = summary_from_cells(group_by, filters) or project_summary(
                filterset.qs, group_by=group_by, region=filters.get("region"), industry=filters.get("industry")
            )
            return SummarySerializer(data).data

        # A hit is one query and skips even the filters' lookups: only valid requests are ever stored.
        return Response(cached_summary(request.query_params, group_by=group_by, compute=compute))


class ProjectChildViewSet(TrackerViewSet):
    """Records that belong to one project, under `/projects/{project}/...`."""

    project_kwarg = "project"

    def _project_lookup(self, prefix: str = "") -> dict:
        value = self.kwargs[self.project_kwarg]
        if "\x00" in value:  # no slug has one, and PostgreSQL cannot even compare it
            raise Http404
        if is_id(value):
            return {f"{prefix}pk": int(value)}
        return {f"{prefix}slug": value}

    def get_project(self) -> Project:
        if not hasattr(self, "_project"):
            self._project = get_object_or_404(Project.objects.all(), **self._project_lookup())
        return self._project

    def _lists_in_one_query(self) -> bool:
        # A JSON list names its project inside the row query; an empty page then asks whether the
        # project exists (404) or simply has none. A CSV export is answered before its rows are read,
        # so it checks the project first.
        return self.action == "list" and accepted_format(self.request) != "csv"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        if self._lists_in_one_query():
            return super().get_queryset().filter(**self._project_lookup("project__"))
        return super().get_queryset().filter(project=self.get_project())

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        data = getattr(response, "data", None)
        if self._lists_in_one_query() and isinstance(data, dict) and data.get("results") == []:
            self.get_project()
        return response


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


# The model and its serializers are the figures app's; the collection is one of a project's, under the project's URL
# (a company's figures are read in its detail and written in the admin). The docstring is the OpenAPI description.
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
    permission_classes = [FollowUpPermission]
    ordering_fields = ["happened_on"]
    csv_filename = "follow-ups"

    def perform_create(self, serializer) -> None:
        serializer.save(author=self.request.user)
        self._reload(serializer)
