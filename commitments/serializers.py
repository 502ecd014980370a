"""Commitments and their actuals as the API writes them under a project, and the derived verdicts."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers import KeyRelatedField, ValidatedModelSerializer
from commitments.models import Commitment, CommitmentObservation, Compliance
from projects.serializers import ProjectChildSerializer, ProjectSummarySerializer
from sources.models import Citation
from sources.serializers import CitationSerializer


def required_citation_field(**kwargs) -> KeyRelatedField:
    """A citation that must be given: a promise or an actual without the sentence that states it is refused."""
    return KeyRelatedField(
        summary_serializer=CitationSerializer,
        lookup=("pk",),
        queryset=Citation.objects.select_related("source"),
        help_text="Id of the citation (a quoted sentence of the agreement or a report) that states it; required.",
        **kwargs,
    )


class CommitmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["id", "kind", "comparator", "target", "unit", "land_area"]
        read_only_fields = fields


class CommitmentSerializer(ProjectChildSerializer):
    citation = required_citation_field()
    due_date = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The due date in force: `due_on`, or the project's actual milestone `due_milestone` plus "
        "`due_offset_months` (null while that milestone has not happened).",
    )

    class Meta:
        model = Commitment
        fields = [
            "id", "project", "kind", "comparator", "target", "unit", "land_area", "due_on", "due_offset_months",
            "due_milestone", "due_date", "remedy", "citation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "due_date", "created_at", "updated_at"]


def commitment_field(**kwargs) -> KeyRelatedField:
    return KeyRelatedField(
        summary_serializer=CommitmentSummarySerializer,
        lookup=("pk",),
        queryset=Commitment.objects.all(),
        help_text="Id of the project's commitment the value is an actual of.",
        **kwargs,
    )


class CommitmentObservationSerializer(ValidatedModelSerializer):
    commitment = commitment_field()
    citation = required_citation_field()

    class Meta:
        model = CommitmentObservation
        fields = ["id", "commitment", "period", "value", "unit", "note", "citation", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_commitment(self, commitment: Commitment) -> Commitment:
        view = self.context.get("view")
        if view is not None and hasattr(view, "get_project") and commitment.project_id != view.get_project().pk:
            raise serializers.ValidationError(_("This commitment belongs to another project."))
        return commitment


class ComplianceSerializer(serializers.ModelSerializer):
    """The verdict on one commitment for one period (derived, read-only)."""

    commitment = CommitmentSummarySerializer(read_only=True)
    project = ProjectSummarySerializer(read_only=True)

    class Meta:
        model = Compliance
        fields = [
            "id", "commitment", "project", "kind", "period", "status", "due_on", "observation", "observed_value",
            "observed_unit", "actual", "reached_on",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "period": {"help_text": "The year or quarter judged; null for a dated commitment, or one not yet due."},
            "status": {"help_text": "met, breach, pending (due, no value reported) or not_yet_due."},
            "due_on": {"help_text": "The due date in force (null while the milestone it counts from is missing)."},
            "observation": {"help_text": "Id of the actual judged, if any."},
            "observed_value": {"help_text": "The actual as reported, in `observed_unit`."},
            "observed_unit": {"help_text": "The unit the actual was reported in."},
            "actual": {
                "help_text": "The actual in the target's unit: a total divided by the land area for per-mu kinds."
            },
            "reached_on": {"help_text": "For a dated commitment: when the actual milestone that keeps it happened."},
        }
