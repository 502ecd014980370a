from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, JSONField, OuterRef, Prefetch, Value
from drf_spectacular.utils import extend_schema, extend_schema_view

from api.viewsets import TrackerViewSet, accepted_format
from companies.filters import CompanyFilterSet
from companies.models import Company
from companies.serializers import CompanyDetailSerializer, CompanySerializer
from figures.models import Figure
from industries.models import Industry


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

    # The industry codes are an array in the row's own SELECT, in the industries' order (code, id): a
    # prefetch would be a second query per page.
    queryset = (
        Company.objects.select_related("headquarters", "parent", "parent_citation__source")
        .annotate(
            project_count=Count("participations__project", distinct=True),
            industry_codes=ArraySubquery(
                Industry.objects.filter(companies=OuterRef("pk")).order_by("code", "id").values("code")
            ),
        )
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
        if self.action == "list" and accepted_format(self.request) == "csv":
            # A CSV export reads its rows through a server-side cursor: as for projects (projects.selectors
            # `project_csv_queryset`), the industries are prefetched per chunk instead.
            return queryset.annotate(industry_codes=Value(None, output_field=JSONField())).prefetch_related(
                "industries"
            )
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("subsidiaries", queryset=Company.objects.order_by("name", "id")),
                Prefetch("figures", queryset=Figure.objects.select_related("citation__source")),
            )
        return queryset
