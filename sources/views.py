from django.db.models import Count, Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view

from api.viewsets import TrackerViewSet
from sources.filters import CitationFilterSet, SourceFilterSet
from sources.models import Citation, Source
from sources.serializers import CitationWriteSerializer, SourceDetailSerializer, SourceSerializer


@extend_schema_view(
    list=extend_schema(summary="List sources", description="Documents that facts in the tracker come from."),
    retrieve=extend_schema(
        summary="Get a source", description="A source by id or slug, with every quote taken from it."
    ),
    create=extend_schema(summary="Create a source"),
    update=extend_schema(summary="Replace a source"),
    partial_update=extend_schema(summary="Change a source"),
    destroy=extend_schema(summary="Delete a source", description="Refused with 409 while quotes are taken from it."),
)
class SourceViewSet(TrackerViewSet):
    """Sources: the documents (articles, bulletins, reports) behind the tracker's figures."""

    queryset = Source.objects.annotate(citation_count=Count("citations")).order_by("title", "id")
    serializer_class = SourceSerializer
    detail_serializer_class = SourceDetailSerializer
    filterset_class = SourceFilterSet
    ordering_fields = ["title", "published_on", "created_at"]
    lookup_fields = ("pk", "slug")
    csv_filename = "sources"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":
            queryset = queryset.prefetch_related(
                Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("locator", "id"))
            )
        return queryset


@extend_schema_view(
    list=extend_schema(summary="List citations", description="Quoted sentences, each with its source and place."),
    retrieve=extend_schema(summary="Get a citation"),
    create=extend_schema(summary="Create a citation", description="Quote a sentence of a source."),
    update=extend_schema(summary="Replace a citation"),
    partial_update=extend_schema(summary="Change a citation"),
    destroy=extend_schema(summary="Delete a citation", description="Refused with 409 while a record cites it."),
)
class CitationViewSet(TrackerViewSet):
    """Citations: the sentences that back figures, milestones, observations and company relations."""

    queryset = Citation.objects.select_related("source").order_by("source_id", "locator", "id")
    serializer_class = CitationWriteSerializer
    filterset_class = CitationFilterSet
    ordering_fields = ["locator", "created_at"]
    csv_filename = "citations"
