from django.db.models import DateField, F, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from api.csv import stream_csv
from api.viewsets import ErrorsAsJSONMixin, TrackerViewSet, accepted_format, refuse_unknown_parameters
from commitments.filters import ComplianceFilterSet
from commitments.models import Commitment, CommitmentObservation
from commitments.selectors import compliance
from commitments.serializers import CommitmentObservationSerializer, CommitmentSerializer, ComplianceSerializer
from projects.models import Milestone
from projects.views import ProjectChildViewSet, _child_schema


class PlusMonths(Func):
    """A date plus a number of months, as a date (PostgreSQL's interval arithmetic: Jan 31 + 1 month is Feb 28)."""

    arg_joiner = " + make_interval(months => "
    template = "((%(expressions)s)))::date"
    output_field = DateField()


def with_due_date(queryset):
    """The due date in force: the stated one, or the project's actual milestone plus the months, as the view
    commitments_compliance resolves it."""
    milestone = Milestone.objects.filter(
        project_id=OuterRef("project_id"), stage=OuterRef("due_milestone"), is_planned=False
    ).order_by()
    due = milestone.annotate(due=PlusMonths("date", OuterRef("due_offset_months"))).values("due")[:1]
    return queryset.annotate(due_date=Coalesce(F("due_on"), Subquery(due), output_field=DateField()))


@_child_schema("commitment", "commitments")
class CommitmentViewSet(ProjectChildViewSet):
    """What the project's investment agreement promised (履约承诺): indicators against targets, and dates; each
    with the sentence that states it. Whether each was kept is at `/api/v1/compliance/`."""

    queryset = with_due_date(Commitment.objects.select_related("citation__source")).order_by("kind", "id")
    serializer_class = CommitmentSerializer
    ordering_fields = ["kind", "due_on", "created_at"]
    csv_filename = "commitments"


@extend_schema(
    # The model names its project through its commitment: the path's project is described here.
    parameters=[
        OpenApiParameter("project", OpenApiTypes.STR, OpenApiParameter.PATH, description="Id or slug of the project.")
    ]
)
@_child_schema("commitment observation", "commitment observations")
class CommitmentObservationViewSet(ProjectChildViewSet):
    """Actuals of the project's commitments, a year or a quarter each, each with its source sentence.

    A collection of the project's (`/projects/{project}/commitment-observations/`) rather than one more level
    down (`/commitments/{id}/observations/`): every project collection, its permissions, region scope and the
    sweeps over them address records one level under a project, and `commitment` names the promise in the body.
    """

    queryset = CommitmentObservation.objects.select_related("commitment", "citation__source").order_by(
        "commitment_id", "period", "id"
    )
    serializer_class = CommitmentObservationSerializer
    ordering_fields = ["period", "created_at"]
    csv_filename = "commitment-observations"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset.none()
        queryset = TrackerViewSet.get_queryset(self)
        if self._lists_in_one_query():
            return queryset.filter(**self._project_lookup("commitment__project__"))
        return queryset.filter(commitment__project=self.get_project())


@extend_schema_view(
    list=extend_schema(
        summary="List commitment compliance",
        description=(
            "The verdict on every commitment for every period, derived when it is read: `met`, `breach`, `pending` "
            "(due, no value reported) or `not_yet_due`. A period is judged from the first one that starts on or "
            "after the due date; a per-mu actual reported as a total is divided by the land area first (1,200万元 "
            "of tax on 50 mu is 24万元 per mu). Each full year since the due date without a value is `pending`. A "
            "dated commitment (start, complete or produce by) is judged on the project's actual milestones and has "
            "no period. Read-only; a page is one SQL statement."
        ),
    )
)
class ComplianceViewSet(ErrorsAsJSONMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Whether commitments were kept, per commitment and period (read-only, derived)."""

    queryset = compliance()
    serializer_class = ComplianceSerializer
    filterset_class = ComplianceFilterSet
    ordering_fields = ["period_start", "due_on", "status"]
    csv_filename = "compliance"

    COMMON_LIST_PARAMETERS = TrackerViewSet.COMMON_LIST_PARAMETERS
    list_parameters = TrackerViewSet.list_parameters

    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, self.list_parameters())
        if accepted_format(request) == "csv":
            return stream_csv(
                self.filter_queryset(self.get_queryset()),
                self.get_serializer_class(),
                context=self.get_serializer_context(),
                filename=self.csv_filename,
            )
        return super().list(request, *args, **kwargs)
