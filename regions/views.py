from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view

from config.viewsets import TrackerViewSet
from regions.filters import RegionFilterSet
from regions.models import Region
from regions.serializers import RegionDetailSerializer, RegionSerializer


@extend_schema_view(
    list=extend_schema(summary="List regions", description="Administrative divisions, zones and blocks."),
    retrieve=extend_schema(
        summary="Get a region by code",
        description="A region with its ancestors (root first) and its direct children.",
    ),
    create=extend_schema(summary="Create a region"),
    update=extend_schema(summary="Replace a region"),
    partial_update=extend_schema(summary="Change a region"),
    destroy=extend_schema(summary="Delete a region", description="Refused with 409 while anything refers to it."),
)
class RegionViewSet(TrackerViewSet):
    """Regions: the country, provinces, cities, districts and counties (by GB/T 2260 code), and the
    development zones and blocks inside them (by internal code)."""

    queryset = Region.objects.select_related("parent").order_by("code", "id")
    serializer_class = RegionSerializer
    detail_serializer_class = RegionDetailSerializer
    filterset_class = RegionFilterSet
    ordering_fields = ["code", "name", "level", "created_at", "updated_at"]
    lookup_fields = ("code",)
    csv_filename = "regions"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(Prefetch("children", queryset=Region.objects.order_by("code")))
        return queryset
