from django.db.models import Count
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from api.viewsets import TrackerViewSet
from indicators.filters import IndicatorFilterSet, ObservationFilterSet
from indicators.models import Indicator, Observation
from indicators.serializers import IndicatorSerializer, ObservationSerializer

# OpenAPI example: the article's data as the API serves it with the seed loaded
# (tests/test_openapi.py checks it against the response schema and against the live answer).
LISHUI_GDP_GROWTH = {
    "id": 1,
    "region": {"code": "331100", "name": "Lishui City", "name_zh": "丽水市", "level": "prefecture_city"},
    "indicator": {
        "code": "gdp-growth",
        "name": "GDP growth (year on year)",
        "name_zh": "地区生产总值同比增速",
        "unit": "percent",
    },
    "period": "2024-H1",
    "period_start": "2024-01-01",
    "period_end": "2024-06-30",
    "value": "6.9000",
    "qualifier": "exact",
    "rank_text": "2nd in growth rate within Zhejiang Province",
    "is_derived": False,
    "formula": "",
    "citation": {
        "id": 11,
        "source": {
            "id": 1,
            "slug": "lishui-article",
            "title": "Innovating Towards Economic Resilience: Lishui's Industrial Advancements",
        },
        "locator": "L4",
        "quote": (
            "Recent statistics reveal that Lishui City in Zhejiang Province recorded a 6.9% year-on-year increase "
            "in GDP in the first half of 2024, placing it second in growth rate within the province and surpassing "
            "national and provincial averages by 1.9 and 1.3 percentage points respectively."
        ),
    },
    "created_at": "2024-08-01T09:30:00+08:00",
    "updated_at": "2024-08-01T09:30:00+08:00",
}


@extend_schema_view(
    list=extend_schema(
        summary="List indicator observations",
        description="Values of economic indicators per region and period, each with its citation or formula.",
        examples=[
            OpenApiExample(
                "Lishui's GDP growth",
                description="`GET /api/v1/indicators/?indicator=gdp-growth&region=331100`: 6.9 % in 2024 H1.",
                value={
                    "count": 1,
                    "count_exceeds": None,
                    "next": None,
                    "previous": None,
                    "results": [LISHUI_GDP_GROWTH],
                },
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="Get an observation",
        description="One value of an indicator for a region and period, with its citation or formula.",
        examples=[
            OpenApiExample(
                "Lishui's GDP growth in 2024 H1",
                description="`GET /api/v1/indicators/1/`",
                value=LISHUI_GDP_GROWTH,
                response_only=True,
            )
        ],
    ),
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
