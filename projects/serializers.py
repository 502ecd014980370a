from django.contrib.auth import get_user_model
from django.db.models import BooleanField, ExpressionWrapper, JSONField, OuterRef, Value
from rest_framework import serializers

from api.projection import SQLField, related_json
from api.serializers import (
    CurrentProjectDefault,
    KeyRelatedField,
    MoneyField,
    SlugKeyRelatedField,
    ValidatedModelSerializer,
)
from companies.serializers import CompanySummarySerializer, company_field
from figures.serializers import FigureSerializer
from industries.serializers import industry_codes_field
from projects.models import (
    FollowUp,
    FundsInPlace,
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    counts_in_totals,
    fai_eligible,
)
from regions.serializers import region_field
from sources.serializers import citation_field


class ProjectSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "slug", "name", "name_zh"]
        read_only_fields = fields


def project_field(**kwargs) -> KeyRelatedField:
    return KeyRelatedField(
        summary_serializer=ProjectSummarySerializer, lookup=("pk", "slug"), queryset=Project.objects.all(), **kwargs
    )


class ProjectSerializer(ValidatedModelSerializer):
    programme = project_field(
        required=False, allow_null=True, help_text="Id or slug of the programme (cluster) this project belongs to."
    )
    region = region_field(help_text="Code of the region the project is located in (any level, a block included).")
    industries = industry_codes_field()
    planned_investment = MoneyField(
        min_value=0,
        required=False,
        allow_null=True,
        help_text='Planned total investment (总投资) as a decimal string in `currency`, e.g. "2000000000.00".',
    )
    investment_citation = citation_field()
    counts_in_totals = SQLField(
        lambda: ExpressionWrapper(counts_in_totals(), output_field=BooleanField()),
        schema=serializers.BooleanField(),
        help_text=(
            "Whether `planned_investment` goes into totals (the summary's, the dashboard's), so that summing the"
            " rows that say true gives the same total: false for a project whose programme states its total"
            " exactly (the programme's total counts instead), and for a programme that does not (its projects"
            " count)."
        ),
    )
    fai_eligible = SQLField(
        lambda: ExpressionWrapper(fai_eligible(), output_field=BooleanField()),
        schema=serializers.BooleanField(),
        help_text=(
            "Whether the project belongs in the fixed-asset investment statistics (纳统): at least 5,000,000 CNY"
            " planned (an exact or 'about' figure, or a lower bound such as 'more than 5 million'; an upper bound"
            " or an amount in another currency does not show it) and started (an actual milestone of construction"
            " start or a later stage). `fai_registered_at` says whether it has been entered (入库)."
        ),
    )
    lead_investor = SQLField(
        lambda: lead_investor_json(),
        schema=CompanySummarySerializer(allow_null=True),
        help_text="The lead investor, if one is recorded.",
    )
    tracked_by = SlugKeyRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_staff=True),
        required=False,
        allow_null=True,
        help_text="Username of the staff member who tracks the project (跟踪人).",
    )

    class Meta:
        model = Project
        fields = [
            "id", "slug", "name", "name_zh", "aliases", "kind", "programme", "region", "industries", "stage",
            "stage_reason", "planned_investment", "currency", "investment_qualifier", "investment_citation",
            "counts_in_totals", "national_code", "fai_eligible", "fai_registered_at", "lead_investor", "tracked_by",
            "description", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "counts_in_totals", "fai_eligible", "lead_investor", "created_at", "updated_at"]
        # The model judges the code (projects.national_code), its uniqueness included, after normalising it: DRF's
        # own unique check would compare the code as typed and answer with another message.
        extra_kwargs = {"national_code": {"validators": []}}


def lead_investor_json():
    """The outer project's lead investor as its company summary, or null (one at most: a constraint)."""
    leads = Participant.objects.filter(project=OuterRef("pk"), role=ParticipantRole.LEAD_INVESTOR)
    return related_json(CompanySummarySerializer, "company_id", within=leads)


class ProjectChildSerializer(ValidatedModelSerializer):
    """A record of one project: the project comes from the URL, so model rules see it."""

    project = serializers.HiddenField(default=CurrentProjectDefault())


class ParticipantSerializer(ProjectChildSerializer):
    company = company_field(help_text="Id or slug of the company.")
    citation = citation_field()

    class Meta:
        model = Participant
        fields = ["id", "project", "company", "role", "share", "note", "citation", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class MilestoneSerializer(ProjectChildSerializer):
    citation = citation_field()

    class Meta:
        model = Milestone
        fields = [
            "id",
            "project",
            "stage",
            "date",
            "date_precision",
            "is_planned",
            "note",
            "citation",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class FundsInPlaceSerializer(ProjectChildSerializer):
    citation = citation_field()
    amount = MoneyField(min_value=0)

    class Meta:
        model = FundsInPlace
        fields = [
            "id", "project", "as_of", "as_of_precision", "amount", "currency", "qualifier", "citation", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "created_at", "updated_at"]


class FollowUpSerializer(ProjectChildSerializer):
    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text="Who recorded it (the requesting user)."
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "project",
            "happened_on",
            "author",
            "action",
            "next_step",
            "next_step_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "author", "created_at", "updated_at"]


class ProjectDetailSerializer(ProjectSerializer):
    """A project with everything attached to it, each figure and milestone with its citation."""

    participants = ParticipantSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)
    funds_in_place = FundsInPlaceSerializer(many=True, read_only=True)
    figures = FigureSerializer(many=True, read_only=True)
    follow_ups = FollowUpSerializer(
        many=True,
        read_only=True,
        allow_null=True,
        help_text="The tracking officers' log, newest first; null for a reader who is not signed in "
        "(unless API_ANONYMOUS_FOLLOW_UPS opens it).",
    )
    component_projects = ProjectSummarySerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "participants", "milestones", "funds_in_place", "figures", "follow_ups", "component_projects",
        ]  # fmt: skip


class SummaryRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True, help_text="Region code, industry code, stage or year; null: none.")
    label = serializers.CharField(help_text="Human name of the group.")
    project_count = serializers.IntegerField(help_text="Projects in the group; each project counts once per row.")
    total_investment = serializers.DecimalField(
        max_digits=24, decimal_places=2, help_text="Sum of planned investment in CNY of the projects with an amount."
    )
    currency = serializers.CharField(help_text="Always CNY: amounts in other currencies are not added.")
    includes_bounds = serializers.BooleanField(
        help_text="True when a bound ('more than', 'at least', 'less than') or an 'about' figure went into the total."
    )
    projects_without_amount = serializers.IntegerField(help_text="Projects in the group with no amount recorded.")


class SummarySerializer(serializers.Serializer):
    group_by = serializers.CharField()
    parent = serializers.JSONField(allow_null=True, help_text="The region or industry whose children form the rows.")
    rows = SummaryRowSerializer(many=True)
    totals = SummaryRowSerializer()


class ProjectPublicDetailSerializer(ProjectDetailSerializer):
    """A project's detail as a reader who is not signed in gets it: without the follow-up log, which names
    staff and their dealings with the firms (`follow_ups` is null)."""

    follow_ups = SQLField(lambda: Value(None, output_field=JSONField()), schema=FollowUpSerializer(many=True))
