from rest_framework import serializers

from api.serializers import KeyRelatedField, ValidatedModelSerializer, validate_period
from indicators.models import Indicator, Observation
from regions.serializers import region_field
from sources.serializers import citation_field


class IndicatorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["code", "name", "name_zh", "unit"]
        read_only_fields = fields


class IndicatorSerializer(ValidatedModelSerializer):
    observation_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "name_zh",
            "unit",
            "description",
            "observation_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "observation_count", "created_at", "updated_at"]


class ObservationSerializer(ValidatedModelSerializer):
    region = region_field(help_text="Code of the region observed.")
    indicator = KeyRelatedField(
        summary_serializer=IndicatorSummarySerializer,
        lookup=("code",),
        queryset=Indicator.objects.all(),
        help_text="Code of the indicator (see /api/v1/indicator-definitions/).",
    )
    value = serializers.DecimalField(
        max_digits=24, decimal_places=4, help_text="Decimal string, in the indicator's unit."
    )
    citation = citation_field()

    class Meta:
        model = Observation
        fields = [
            "id", "region", "indicator", "period", "period_start", "period_end", "value", "qualifier", "rank_text",
            "is_derived", "formula", "citation", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "period_start", "period_end", "created_at", "updated_at"]
        extra_kwargs = {"period": {"validators": [validate_period]}}
