"""A figure as the API reads it, embedded in a project's or a company's detail, and as it writes one under a
project (`/projects/{project}/figures/`)."""

from rest_framework import serializers

from api.serializers import CurrentProjectDefault, ValidatedModelSerializer, validate_period
from figures.models import Figure
from sources.serializers import CitationSerializer, citation_field


class FigureSerializer(serializers.Serializer):
    """A figure as a company's or project's detail embeds it (read-only)."""

    id = serializers.IntegerField()
    metric = serializers.CharField()
    label = serializers.CharField()
    period = serializers.CharField()
    value = serializers.DecimalField(max_digits=24, decimal_places=4)
    unit = serializers.CharField()
    qualifier = serializers.CharField()
    is_estimated = serializers.BooleanField()
    is_derived = serializers.BooleanField()
    formula = serializers.CharField()
    citation = CitationSerializer(allow_null=True)


class FigureWriteSerializer(ValidatedModelSerializer):
    """A record of one project: the project comes from the URL, so model rules see it."""

    # As projects.serializers.ProjectChildSerializer declares it, and with its docstring (the OpenAPI description),
    # without importing the projects app (which imports this module).
    project = serializers.HiddenField(default=CurrentProjectDefault())
    citation = citation_field()

    class Meta:
        model = Figure
        fields = [
            "id", "project", "metric", "label", "period", "period_start", "period_end", "value", "unit", "qualifier",
            "is_estimated", "is_derived", "formula", "citation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "period_start", "period_end", "created_at", "updated_at"]
        extra_kwargs = {"period": {"validators": [validate_period]}}
