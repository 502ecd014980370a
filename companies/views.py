from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view

from companies.filters import CompanyFilterSet
from companies.models import Company
from companies.serializers import CompanyDetailSerializer, CompanySerializer
from config.viewsets import TrackerViewSet
from projects.models import Figure


@extend_schema_view(
    list=extend_schema(summary="List companies and organisations", description="Firms, government bodies, platforms."),
    retrieve=extend_schema(
        summary="Get a company by id or slug", description="With its parent, subsidiaries and cited figures."
    ),
    create=extend_schema(summary="Create a company"),
    update=extend_schema(summary="Replace a company"),
    partial_update=extend_schema(summary="Change a company"),
    destroy=extend_schema(summary="Delete a company", description="Refused with 409 while it takes part in a project."),
)
class CompanyViewSet(TrackerViewSet):
    """Companies and organisations that invest in, operate, partner in or promote projects."""

    queryset = (
        Company.objects.select_related("headquarters", "parent", "parent_citation__source")
        .prefetch_related("industries")
        .annotate(project_count=Count("participations__project", distinct=True))
        .order_by("name", "id")
    )
    serializer_class = CompanySerializer
    detail_serializer_class = CompanyDetailSerializer
    filterset_class = CompanyFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "project_count"]
    lookup_fields = ("pk", "slug")
    csv_filename = "companies"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("subsidiaries", queryset=Company.objects.order_by("name", "id")),
                Prefetch("figures", queryset=Figure.objects.select_related("citation__source")),
            )
        return queryset
