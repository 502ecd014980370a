from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers import KeyRelatedField, ValidatedModelSerializer
from oversight.funnel import COHORTS
from oversight.models import ProjectWarning, SigningEvent, WarningRule
from oversight.services import signing_event_membership_errors
from projects.models import Project, Stage
from projects.serializers import ProjectSummarySerializer
from regions.serializers import RegionSummarySerializer, region_field


class WarningRuleSerializer(ValidatedModelSerializer):
    region = region_field(help_text="Code of the region whose subtree the rule holds in (unless a nearer one sets it).")

    class Meta:
        model = WarningRule
        fields = [
            "id", "region", "code", "level", "months", "days", "share_percent", "red_after_months", "is_active",
            "note", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class EvidenceSerializer(serializers.Serializer):
    """What the rule read, each piece null where the rule does not read it (oversight.services.hits_sql)."""

    signed_on = serializers.CharField(
        allow_null=True, help_text="Signing date as typed (`2024-07`): signed, not started."
    )
    started_on = serializers.CharField(allow_null=True, help_text="Construction start as typed: the funds rules.")
    planned_start = serializers.CharField(allow_null=True, help_text="Planned start as typed: start slipped.")
    counted_from = serializers.DateField(
        allow_null=True, help_text="The day the rule counts from: the last day of the period of the date it reads."
    )
    months = serializers.IntegerField(allow_null=True, help_text="The rule's months.")
    days = serializers.IntegerField(allow_null=True, help_text="The rule's days.")
    red_after_months = serializers.IntegerField(allow_null=True, help_text="Start slipped: months until red.")
    days_late = serializers.IntegerField(allow_null=True, help_text="Start slipped: days since the planned start.")
    last_funds_on = serializers.CharField(allow_null=True, help_text="No new funds: when funds in place last rose.")
    agreed = serializers.CharField(allow_null=True, help_text="Low funds: the planned investment, a decimal string.")
    in_place = serializers.CharField(allow_null=True, help_text="Low funds: funds in place, a decimal string.")
    share_percent = serializers.CharField(allow_null=True, help_text="Low funds: the share in place, in percent.")
    threshold_percent = serializers.CharField(allow_null=True, help_text="Low funds: the rule's share, in percent.")
    last_follow_up = serializers.DateField(allow_null=True, help_text="No follow-up: the last one, if any.")
    days_since = serializers.IntegerField(allow_null=True, help_text="No follow-up: days since (or since recorded).")
    stage = serializers.CharField(allow_null=True, help_text="Too long in one stage: the stage.")
    entered_on = serializers.CharField(allow_null=True, help_text="Too long in one stage: when it was entered.")
    source = serializers.CharField(
        allow_null=True,
        help_text="Too long in one stage: known from a milestone, the history, or the record's creation.",
    )
    days_in_stage = serializers.IntegerField(allow_null=True, help_text="Too long in one stage: the days so far.")
    breaches = serializers.IntegerField(
        allow_null=True, help_text="Commitment breached: the periods (or dates) whose verdict is breach."
    )
    kinds = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="Commitment breached: the kinds of commitment."
    )
    periods = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="Commitment breached: the periods (`2024`, `2024Q3`), or the due dates of date commitments.",
    )


class ProjectWarningSerializer(serializers.ModelSerializer):
    """A warning as the red/yellow list shows it: the project, where it is and who tracks it, and why."""

    project = ProjectSummarySerializer(read_only=True)
    region = RegionSummarySerializer(source="project.region", read_only=True)
    stage = serializers.ChoiceField(
        source="project.stage", choices=Stage.choices, read_only=True, help_text="The project's stage now."
    )
    officer = serializers.CharField(
        source="project.tracked_by.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="Username of the staff member who tracks the project (跟踪人), if any.",
    )
    on_hold = serializers.BooleanField(
        read_only=True, help_text="The project is on hold (with its reason): listed apart, not silenced."
    )
    snoozed = serializers.BooleanField(
        read_only=True, help_text="Snoozed until today or later: out of the red/yellow list until then."
    )
    evidence = EvidenceSerializer(read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    snoozed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ProjectWarning
        fields = [
            "id", "project", "region", "stage", "officer", "rule", "rule_setting", "level", "on_hold", "snoozed",
            "first_seen_at", "last_evaluated_at", "evidence", "resolved_at", "resolved_by", "snoozed_until",
            "snooze_reason", "snoozed_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class SnoozeSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="The last day the warning stays out of the list (YYYY-MM-DD), after today.")
    reason = serializers.CharField(max_length=2000, help_text="Why the warning can wait (required).")

    def validate_until(self, value):
        if value <= timezone.localdate():
            raise serializers.ValidationError(_("Snooze until a day after today."))
        return value


class ResolveSerializer(serializers.Serializer):
    """Nothing to send: who resolves and when is the request's."""


class StageEntrySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    entered_on = serializers.DateField(help_text="The first day of the period the stage was entered in.")
    entered_on_precision = serializers.CharField(help_text="day, month, quarter or year.")
    source = serializers.ChoiceField(
        choices=["milestone", "history", "created"],
        help_text="milestone: its actual milestone; history: the recorded change of stage; created: the day the "
        "project was recorded (no milestone and no recorded change).",
    )
    days_in_stage = serializers.IntegerField(
        help_text="Days from the end of the entry's period to the next stage's (or to today for the current stage)."
    )


class StageHistorySerializer(serializers.Serializer):
    project = ProjectSummarySerializer()
    stage = serializers.ChoiceField(choices=Stage.choices, help_text="The project's stage now.")
    entered_on = serializers.DateField(help_text="When it entered its current stage (first day of the period).")
    entered_on_precision = serializers.CharField(help_text="day, month, quarter or year.")
    days_in_stage = serializers.IntegerField(
        help_text="Days in the current stage, from the last day of the period it was entered in."
    )
    entries = StageEntrySerializer(many=True, help_text="Every stage entered, in order.")


class StageAgeingRowSerializer(serializers.Serializer):
    stage = serializers.CharField(allow_null=True, help_text="The stage; null in the totals.")
    label = serializers.CharField()
    project_count = serializers.IntegerField(help_text="Projects now in the stage.")
    median_days = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, help_text="Median days in the stage so far; null: none."
    )
    p75_days = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True, help_text="75th percentile.")
    p90_days = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True, help_text="90th percentile.")
    max_days = serializers.IntegerField(allow_null=True, help_text="The longest.")


class StageAgeingSerializer(serializers.Serializer):
    as_of = serializers.DateField(help_text="The day the days are counted to.")
    rows = StageAgeingRowSerializer(many=True)
    totals = StageAgeingRowSerializer()


#
# Signing events and the funnel (issue 22, item 3)
#


class SigningEventSerializer(ValidatedModelSerializer):
    """A signing event as a list row: where and when, and how many projects were signed at it."""

    region = region_field(help_text="Code of the region that held the event: its projects lie in it or below it.")
    project_count = serializers.IntegerField(read_only=True, help_text="Projects signed at the event.")

    class Meta:
        model = SigningEvent
        fields = ["id", "name", "date", "region", "note", "project_count", "created_at", "updated_at"]
        read_only_fields = ["id", "project_count", "created_at", "updated_at"]


class SigningEventDetailSerializer(SigningEventSerializer):
    """A signing event with its projects. Writing `projects` replaces the list: a project is signed at one event at
    most, and lies in the event's region or below it."""

    projects = KeyRelatedField(
        summary_serializer=ProjectSummarySerializer,
        lookup=("pk", "slug"),
        queryset=Project.objects.select_related("region"),
        many=True,
        required=False,
        source="member_projects",
        help_text="The projects signed at the event, written as ids or slugs (the whole list: it replaces the "
        "one before), read as summaries.",
    )

    class Meta(SigningEventSerializer.Meta):
        fields = [*SigningEventSerializer.Meta.fields[:-2], "projects", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        projects = attrs.pop("member_projects", None)
        attrs = super().validate(attrs)
        if projects is not None:
            region = attrs.get("region") or self.instance.region
            event = self.instance.pk if self.instance else None
            errors = signing_event_membership_errors(region=region, projects=projects, event_id=event)
            if errors:
                raise serializers.ValidationError({"projects": errors})
            attrs["member_projects"] = projects
        return attrs


class DaysToStartSerializer(serializers.Serializer):
    projects = serializers.IntegerField(help_text="Started projects whose signing and start dates are both known.")
    p50 = serializers.DecimalField(
        max_digits=9, decimal_places=1, allow_null=True, help_text="Median days from signing to the start; null: none."
    )
    p75 = serializers.DecimalField(max_digits=9, decimal_places=1, allow_null=True, help_text="75th percentile.")


class ConversionSerializer(serializers.Serializer):
    reached_from = serializers.IntegerField(help_text="Projects of the cohort that reached the first stage.")
    reached_to = serializers.IntegerField(help_text="Of those, the ones that went on to reach the next stage.")
    rate = serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, help_text="reached_to / reached_from; null when 0 reached."
    )


class StageConversionSerializer(serializers.Serializer):
    """Stage to stage, from signing on (`oversight.funnel.CONVERSIONS`): of the projects that reached a stage, those
    that reached the next one, read from the stage history, not the current stage."""

    signed_to_landed = ConversionSerializer(help_text="Signed (签约) → landed (落地).")
    landed_to_construction_started = ConversionSerializer(help_text="Landed (落地) → construction started (开工).")
    construction_started_to_in_production = ConversionSerializer(
        help_text="Construction started (开工) → in production (投产)."
    )
    in_production_to_at_capacity = ConversionSerializer(help_text="In production (投产) → design capacity (达产).")


class FunnelRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="The cohort: a year (`2024`), a quarter (`2024-Q3`; a year alone when the signing date has no "
        "quarter) or a signing event's id; null: signed projects with no signing date (or at no signing event), "
        "and the totals.",
    )
    label = serializers.CharField(help_text="Human name of the cohort.")
    signed = serializers.IntegerField(help_text="Projects signed in the cohort, each once; cancelled ones included.")
    performing = serializers.IntegerField(
        help_text="履约: landed (落地) or further, and neither on hold nor cancelled now."
    )
    landed = serializers.IntegerField(help_text="Reached landed (落地) or further, by the stage history.")
    started = serializers.IntegerField(help_text="Reached construction started (开工) or further, by the history.")
    in_production = serializers.IntegerField(help_text="Reached production (投产) or further, by the history.")
    at_full_production = serializers.IntegerField(help_text="Reached design capacity (达产), by the history.")
    cancelled = serializers.IntegerField(help_text="Cancelled now (still counted as signed).")
    on_hold = serializers.IntegerField(help_text="On hold now (still counted as signed).")
    currency = serializers.CharField(help_text="Always CNY: amounts in other currencies are not added.")
    agreed_investment = serializers.DecimalField(
        max_digits=24, decimal_places=2, help_text="Planned investment (总投资) of the projects with an amount in CNY."
    )
    agreed_investment_includes_bounds = serializers.BooleanField(
        help_text="A bound ('more than', 'at least', 'less than') or an 'about' amount went in: with a 'more than', "
        "the sum is a lower bound."
    )
    funds_in_place = serializers.DecimalField(
        max_digits=24, decimal_places=2, help_text="Latest cumulative funds in place (到位资金) of the same projects."
    )
    funds_in_place_includes_bounds = serializers.BooleanField(help_text="A bound or 'about' figure went in.")
    projects_without_amount = serializers.IntegerField(help_text="Signed projects with no planned investment.")
    performance_rate = serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, help_text="履约率: performing / signed; null when 0 signed."
    )
    start_rate = serializers.DecimalField(
        max_digits=9, decimal_places=4, allow_null=True, help_text="开工率: started / signed; null when 0 signed."
    )
    funds_rate = serializers.DecimalField(
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="资金到位率: funds in place / agreed investment; null when nothing was agreed.",
    )
    days_signed_to_started = DaysToStartSerializer(
        help_text="Days from the signing to the construction start, from the last day of each date's period."
    )
    conversion = StageConversionSerializer()


class FunnelSerializer(serializers.Serializer):
    cohort = serializers.ChoiceField(choices=list(COHORTS), help_text="How the signed projects are grouped.")
    rows = FunnelRowSerializer(many=True, help_text="One per cohort, in order; the cohort-less row (key null) last.")
    totals = FunnelRowSerializer(help_text="Every signed project of the filters, each once.")
