from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.permissions import SignedInReadsPermission
from api.asof import PARAMETER as AS_OF
from api.asof import AsOfMixin
from api.conditional import etag_of
from api.schema import error_response
from api.viewsets import ErrorsAsJSONMixin, TrackerViewSet, is_id, refuse_unknown_parameters
from oversight.filters import ProjectWarningFilterSet, SigningEventFilterSet, WarningRuleFilterSet
from oversight.funnel import COHORTS, conversion_by_cohort
from oversight.models import ProjectWarning, SigningEvent, SigningEventProject, WarningRule
from oversight.serializers import (
    FunnelSerializer,
    ProjectWarningSerializer,
    ResolveSerializer,
    SigningEventDetailSerializer,
    SigningEventSerializer,
    SnoozeSerializer,
    StageAgeingSerializer,
    StageHistorySerializer,
    WarningRuleSerializer,
)
from oversight.services import (
    project_stage_history,
    signing_event_set_projects,
    stage_ageing,
    warning_resolve,
    warning_snooze,
    warning_unsnooze,
)
from projects.filters import ProjectFilterSet
from projects.models import Project, Stage
from projects.summary_cache import answer_key, cached_answer


class _NotOffered:
    """An action a collection does not offer: absent to the router, so that no route, and no operation of the
    OpenAPI document, names it (the warnings are written by the evaluation, not by clients)."""

    def __get__(self, instance, owner):
        raise AttributeError


class WarningPermission(SignedInReadsPermission):
    """The red/yellow list: signed-in readers (`API_ANONYMOUS_WARNINGS` opens it). Snoozing and resolving change a
    warning: the change permission (bureau administrators; regional editors within their regions)."""

    anonymous_setting = "API_ANONYMOUS_WARNINGS"
    perms_map = {**SignedInReadsPermission.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


@extend_schema_view(
    list=extend_schema(summary="List warning rules"),
    retrieve=extend_schema(summary="Get a warning rule"),
    create=extend_schema(summary="Set a rule for a region"),
    update=extend_schema(summary="Replace a region's rule"),
    partial_update=extend_schema(summary="Change a region's rule"),
    destroy=extend_schema(summary="Delete a region's rule", description="Its subtree falls back to the rule above."),
)
class WarningRuleViewSet(TrackerViewSet):
    """The warning rules regions set (bureau administrators write them). A project is judged by the rule of the
    nearest region at or above its own that sets it, else by the built-in default: signed, not started after 12
    months (red); started, no new funds in place for 3 months (red); started over 6 months with funds in place under
    15 % of the planned investment (red); planned start slipped (yellow, red after 3 months); no follow-up in 90
    days (yellow); more than 365 days in one stage (yellow)."""

    queryset = WarningRule.objects.select_related("region").order_by("region__code", "code", "id")
    serializer_class = WarningRuleSerializer
    filterset_class = WarningRuleFilterSet
    ordering_fields = ["code", "created_at", "updated_at"]
    csv_filename = "warning-rules"


SNOOZE_ERRORS = {status: error_response(status) for status in (400, 403, 404, 409, 412, 428)}
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The warning\'s `ETag` as read (e.g. `"3"`): if it changed since (an evaluation, a colleague), the '
    "answer is 412 and nothing changes. `*` acts on whatever version it has now. Without the header: 428.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List project warnings (the red/yellow list)",
        description="Warnings the rules raised on projects, red first, oldest first; `resolved=false` gives the open "
        "ones. Projects on hold are flagged `on_hold` (list them apart with `on_hold=true`), snoozed warnings "
        "`snoozed` until their date passes. Written by `manage.py evaluate_warnings`.",
    ),
    retrieve=extend_schema(summary="Get a project warning"),
)
class ProjectWarningViewSet(TrackerViewSet):
    """Warnings the rules raised on projects, with the evidence the rule read."""

    create = update = partial_update = destroy = _NotOffered()

    serializer_class = ProjectWarningSerializer
    filterset_class = ProjectWarningFilterSet
    permission_classes = [WarningPermission]
    ordering_fields = ["level", "first_seen_at", "last_evaluated_at"]
    csv_filename = "warnings"
    queryset = ProjectWarning.objects.order_by("level", "first_seen_at", "id")

    def base_queryset(self):
        today = timezone.localdate()
        return (
            super()
            .base_queryset()
            .select_related("project__region", "project__tracked_by", "resolved_by", "snoozed_by")
            .annotate(
                on_hold=ExpressionWrapper(Q(project__stage=Stage.ON_HOLD), output_field=BooleanField()),
                # Never snoozed (no date) is false, not null: `IS NOT NULL AND` keeps SQL's NULL out.
                snoozed=ExpressionWrapper(
                    Q(snoozed_until__isnull=False, snoozed_until__gte=today), output_field=BooleanField()
                ),
            )
        )

    def _writable(self) -> ProjectWarning:
        """The warning the URL names, locked, after the user's right to it and its `If-Match` are checked."""
        warning = self.get_object()
        warning = self._lock(self.get_queryset(), warning)
        self._check_if_match(warning)
        if warning.resolved_at is not None:
            raise ValidationError({"resolved_at": [_("This warning is resolved already.")]})
        return warning

    def _answer(self, warning: ProjectWarning) -> Response:
        warning = self.get_queryset().get(pk=warning.pk)
        return Response(self.get_serializer(warning).data, headers={"ETag": etag_of(warning)})

    @extend_schema(
        summary="Snooze a warning",
        description="Keeps an open warning out of the red/yellow list until a date, for a stated reason; it comes "
        "back by itself the day after. Needs the change permission on warnings (a regional editor: within their "
        "regions) and the warning's `ETag` in `If-Match`.",
        request=SnoozeSerializer,
        responses={200: ProjectWarningSerializer, **SNOOZE_ERRORS},
        parameters=[IF_MATCH],
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="snooze", pagination_class=None)
    def snooze(self, request, *args, **kwargs):
        body = SnoozeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warning = self._writable()
        warning_snooze(
            warning=warning, until=body.validated_data["until"], reason=body.validated_data["reason"], user=request.user
        )
        return self._answer(warning)

    @extend_schema(
        summary="Lift a warning's snooze",
        description="Brings a snoozed open warning back onto the red/yellow list now, before its date (the snooze's "
        "date, reason and author are cleared). A warning that is not snoozed is a 400. Needs the change permission "
        "and the warning's `ETag` in `If-Match`.",
        request=None,
        responses={200: ProjectWarningSerializer, **SNOOZE_ERRORS},
        parameters=[IF_MATCH],
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="unsnooze", pagination_class=None)
    def unsnooze(self, request, *args, **kwargs):
        warning = self._writable()
        if warning.snoozed_until is None or warning.snoozed_until < timezone.localdate():
            raise ValidationError({"snoozed_until": [_("This warning is not snoozed.")]})
        warning_unsnooze(warning=warning)
        return self._answer(warning)

    @extend_schema(
        summary="Resolve a warning",
        description="Closes an open warning by hand. If its rule still holds, the next evaluation opens a new one: "
        "snooze a warning to quiet it. Needs the change permission and the warning's `ETag` in `If-Match`.",
        request=ResolveSerializer,
        responses={200: ProjectWarningSerializer, **SNOOZE_ERRORS},
        parameters=[IF_MATCH],
        filters=False,
    )
    @action(detail=True, methods=["post"], url_path="resolve", pagination_class=None)
    def resolve(self, request, *args, **kwargs):
        warning = self._writable()
        warning_resolve(warning=warning, user=request.user)
        return self._answer(warning)


class StageHistoryView(AsOfMixin, ErrorsAsJSONMixin, generics.GenericAPIView):
    """The stages a project entered and when, from its actual milestones and, where a stage has none, from the
    recorded changes of its stage; and how long it has been in the one it is in."""

    queryset = Project.objects.all()
    serializer_class = StageHistorySerializer
    project_kwarg = "project"
    pagination_class = None
    filter_backends = []

    def get_project(self) -> Project:
        value = self.kwargs[self.project_kwarg]
        if "\x00" in value:
            raise Http404
        lookup = {"pk": int(value)} if is_id(value) else {"slug": value}
        return get_object_or_404(Project.objects.all(), **lookup)

    @extend_schema(
        operation_id="projects_stage_history",
        summary="A project's stage history",
        description="Each stage the project entered, in order, with the date (at its precision), where it comes "
        "from (`milestone`, `history`: the recorded change of stage, `created`: the day the project was recorded) "
        "and the days it stayed; and the days in its current stage. Month-precision dates count from the last day "
        "of their month.",
        responses={200: StageHistorySerializer, 400: error_response(400), 404: error_response(404)},
    )
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, ["format", AS_OF])
        history = project_stage_history(self.get_project(), today=self.today())
        return Response(StageHistorySerializer(history).data)


class StageAgeingView(AsOfMixin, ErrorsAsJSONMixin, generics.GenericAPIView):
    """How long the projects have been in their current stage, per stage."""

    queryset = Project.objects.all()
    serializer_class = StageAgeingSerializer
    filterset_class = ProjectFilterSet
    pagination_class = None

    @extend_schema(
        operation_id="analytics_stage_ageing",
        summary="Days in the current stage, per stage",
        description="For the projects matching the filters (those of the project list), per stage: how many are in "
        "it now, and the median, 75th and 90th percentile (interpolated) and longest days they have been there, "
        "then the same over all of them. A project's days run from the last day of the period it entered its "
        "stage in (its stage history), or from the day it was recorded when nothing says when.",
        filters=True,
        responses={200: StageAgeingSerializer, 400: error_response(400), 404: error_response(404)},
    )
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, [*self.filterset_class.base_filters, "format", AS_OF])
        today = self.today()

        def compute() -> dict:
            filterset = self.filterset_class(request.query_params, queryset=Project.objects.all(), request=request)
            if not filterset.is_valid():
                raise ValidationError(filterset.errors)
            return StageAgeingSerializer(stage_ageing(filterset.qs, today=today)).data

        # Kept as the summaries are, until the next write to the tables they read (projects, their milestones
        # and, written with them, their history): keyed by the day the days count to, as well.
        return Response(cached_answer(answer_key("ageing", request.query_params, today.isoformat()), compute))


#
# Signing events and conversion by cohort (issue 22, item 3)
#


@extend_schema_view(
    list=extend_schema(summary="List signing events", description="Newest first, each with its number of projects."),
    retrieve=extend_schema(summary="Get a signing event", description="With the projects signed at it."),
    create=extend_schema(summary="Record a signing event"),
    update=extend_schema(summary="Replace a signing event"),
    partial_update=extend_schema(
        summary="Change a signing event",
        description="`projects`, when sent, replaces the event's list of projects: send the whole list.",
    ),
    destroy=extend_schema(
        summary="Delete a signing event",
        description="Refused with 409 while projects belong to it: empty its `projects` first.",
    ),
)
class SigningEventViewSet(TrackerViewSet):
    """Signing events (签约活动): a region's ceremony on a day at which projects were signed together, the cohorts of
    `/api/v1/analytics/funnel/?cohort=signing_event`. A project is signed at one event at most, and lies in the
    event's region or below it. Bureau administrators write them, regional editors within their regions."""

    queryset = SigningEvent.objects.order_by("-date", "name", "id")
    serializer_class = SigningEventSerializer
    detail_serializer_class = SigningEventDetailSerializer
    filterset_class = SigningEventFilterSet
    ordering_fields = ["date", "name", "created_at", "updated_at"]
    csv_filename = "signing-events"

    def base_queryset(self):
        queryset = super().base_queryset().select_related("region").annotate(project_count=Count("memberships"))
        if self.action not in ("list", "history"):
            memberships = SigningEventProject.objects.select_related("project")
            queryset = queryset.prefetch_related(Prefetch("memberships", queryset=memberships))
        return queryset

    def perform_create(self, serializer) -> None:
        projects = serializer.validated_data.pop("member_projects", None)
        serializer.save()
        if projects is not None:
            signing_event_set_projects(event=serializer.instance, projects=projects)
        self._reload(serializer)

    def perform_update(self, serializer) -> None:
        projects = serializer.validated_data.pop("member_projects", None)
        super().perform_update(serializer)  # the event first: its region is the one the projects must lie in
        if projects is not None:
            signing_event_set_projects(event=serializer.instance, projects=projects)
            self._reload(serializer)


class FunnelView(AsOfMixin, ErrorsAsJSONMixin, generics.GenericAPIView):
    """Conversion by cohort: of the projects signed in a year, a quarter or at a signing event, how many performed,
    started, went into production and reached design capacity, and what was agreed and what arrived."""

    queryset = Project.objects.all()
    serializer_class = FunnelSerializer
    filterset_class = ProjectFilterSet
    pagination_class = None

    @extend_schema(
        operation_id="analytics_funnel",
        summary="Conversion by cohort (the funnel)",
        description="For the signed projects among those matching the filters (those of the project list), one row "
        "per cohort (`cohort`: the year or quarter of the signing, or the signing event), then the totals: how many "
        "were signed, are performing (履约: landed or further, neither on hold nor cancelled), started (开工), went "
        "into production (投产) and reached design capacity (达产), how many are cancelled or on hold; the agreed "
        "investment and the funds in place (CNY; `..._includes_bounds` when a 'more than' or other bound went in: "
        "a lower bound); 履约率, 开工率 and 资金到位率 as decimals with four places (null when the denominator is 0); "
        "the days from signing to the start (median, 75th percentile); and stage-to-stage conversion from signing on, "
        "read from the stage history, not the current stage. A project counts once, in one cohort; cancelled and "
        "on-hold projects stay in every denominator. A signed project with no signing date (or at no signing "
        'event) is in the row whose key is null. See docs/api.md, "Conversion by cohort".',
        parameters=[
            OpenApiParameter(
                "cohort",
                OpenApiTypes.STR,
                enum=list(COHORTS),
                required=True,
                description="signed_year, signed_quarter or signing_event.",
            ),
        ],
        filters=True,
        responses={200: FunnelSerializer, 400: error_response(400), 404: error_response(404)},
    )
    def get(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, ["cohort", *self.filterset_class.base_filters, "format", AS_OF])
        cohort = request.query_params.get("cohort", "")

        def compute() -> dict:
            filterset = self.filterset_class(request.query_params, queryset=Project.objects.all(), request=request)
            errors = {} if filterset.is_valid() else dict(filterset.errors)
            if cohort not in COHORTS:
                errors["cohort"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(COHORTS)}]
            if errors:
                raise ValidationError(errors)
            return FunnelSerializer(conversion_by_cohort(filterset.qs, cohort=cohort)).data

        # Kept as the summaries are, until a write to a table it reads (oversight.funnel.FUNNEL_TABLES and the
        # summaries' own): only valid requests are ever stored.
        return Response(cached_answer(answer_key("funnel", request.query_params, cohort), compute))
