from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view

from api.viewsets import TrackerViewSet
from industries.filters import IndustryFilterSet
from industries.models import Industry
from industries.serializers import IndustryDetailSerializer, IndustrySerializer


@extend_schema_view(
    list=extend_schema(summary="List industries", description="GB/T 4754 categories and local industry chains."),
    retrieve=extend_schema(summary="Get an industry by code", description="With its broader and narrower industries."),
    create=extend_schema(summary="Create an industry"),
    update=extend_schema(summary="Replace an industry"),
    partial_update=extend_schema(summary="Change an industry"),
    destroy=extend_schema(summary="Delete an industry", description="Refused with 409 while it has narrower ones."),
)
class IndustryViewSet(TrackerViewSet):
    """Industries: the taxonomy firms and projects are filed under; filters include narrower ones."""

    queryset = Industry.objects.select_related("parent").order_by("code", "id")
    serializer_class = IndustrySerializer
    detail_serializer_class = IndustryDetailSerializer
    filterset_class = IndustryFilterSet
    ordering_fields = ["code", "name", "created_at"]
    lookup_fields = ("code",)
    csv_filename = "industries"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(Prefetch("children", queryset=Industry.objects.order_by("code")))
        return queryset
