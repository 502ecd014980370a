from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from api.viewsets import TrackerViewSet
from regions.filters import RegionFilterSet
from regions.models import Region
from regions.serializers import RegionDetailSerializer, RegionSerializer

# OpenAPI example: the article's data as the API serves it with the seed loaded
# (tests/test_openapi.py checks it against the response schema and against the live answer).
LISHUI = {"code": "331100", "name": "Lishui City", "name_zh": "丽水市", "level": "prefecture_city"}
LONGQUAN = {
    "id": 13,
    "code": "331181",
    "name": "Longquan City",
    "name_zh": "龙泉市",
    "aliases": ["Longquan"],
    "level": "county_city",
    "parent": LISHUI,
    "created_at": "2024-08-01T09:30:00+08:00",
    "updated_at": "2024-08-01T09:30:00+08:00",
    "ancestors": [
        {"code": "CN", "name": "China", "name_zh": "中国", "level": "country"},
        {"code": "330000", "name": "Zhejiang Province", "name_zh": "浙江省", "level": "province"},
        LISHUI,
    ],
    "children": [],
}


@extend_schema_view(
    list=extend_schema(summary="List regions", description="Administrative divisions, zones and blocks."),
    retrieve=extend_schema(
        summary="Get a region by code",
        description="A region with its ancestors (root first) and its direct children.",
        examples=[
            OpenApiExample(
                "Longquan",
                description="`GET /api/v1/regions/331181/`: a county-level city of Lishui, in Zhejiang.",
                value=LONGQUAN,
                response_only=True,
            )
        ],
    ),
    create=extend_schema(summary="Create a region"),
    update=extend_schema(summary="Replace a region"),
    partial_update=extend_schema(summary="Change a region"),
    destroy=extend_schema(summary="Delete a region", description="Refused with 409 while anything refers to it."),
)
class RegionViewSet(TrackerViewSet):
    """Regions: the country, provinces, cities, districts and counties (by GB/T 2260 code), and the
    development zones and blocks inside them (by internal code)."""

    projected = True
    queryset = Region.objects.order_by("code", "id")
    serializer_class = RegionSerializer
    detail_serializer_class = RegionDetailSerializer
    filterset_class = RegionFilterSet
    ordering_fields = ["code", "name", "level", "created_at", "updated_at"]
    lookup_fields = ("code",)
    csv_filename = "regions"
