from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_view

from config.viewsets import TrackerViewSet
from indicators.filters import IndicatorFilterSet, ObservationFilterSet
from indicators.models import Indicator, Observation
from indicators.serializers import IndicatorSerializer, ObservationSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List indicator observations",
        description="Values of economic indicators per region and period, each with its citation or formula.",
    ),
    retrieve=extend_schema(summary="Get an observation"),
    create=extend_schema(summary="Record an observation"),
    update=extend_schema(summary="Replace an observation"),
    partial_update=extend_schema(summary="Change an observation"),
    destroy=extend_schema(summary="Delete an observation"),
)
class ObservationViewSet(TrackerViewSet):
    """Economic indicator observations: one value per region, indicator and period."""

    queryset = Observation.objects.select_related("region", "indicator", "citation__source").order_by(
        "indicator__code", "region__code", "period_start", "id"
    )
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilterSet
    ordering_fields = ["period_start", "value", "created_at"]
    csv_filename = "indicators"


@extend_schema_view(
    list=extend_schema(summary="List indicator definitions", description="What is measured, and in which unit."),
    retrieve=extend_schema(summary="Get an indicator definition by code"),
    create=extend_schema(summary="Define an indicator"),
    update=extend_schema(summary="Replace an indicator definition"),
    partial_update=extend_schema(summary="Change an indicator definition"),
    destroy=extend_schema(
        summary="Delete an indicator definition", description="Refused with 409 while it has observations."
    ),
)
class IndicatorViewSet(TrackerViewSet):
    """Indicator definitions: code, names and unit."""

    queryset = Indicator.objects.annotate(observation_count=Count("observations")).order_by("code", "id")
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilterSet
    ordering_fields = ["code", "name"]
    lookup_fields = ("code",)
    csv_filename = "indicator-definitions"
