from rest_framework import serializers

from api.serializers import KeyRelatedField, ValidatedModelSerializer
from sources.models import Citation, Source


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "slug", "title"]
        read_only_fields = fields


class CitationSerializer(serializers.ModelSerializer):
    """A quoted sentence and where it stands in its source, as figures and milestones embed it."""

    source = SourceSummarySerializer(read_only=True)

    class Meta:
        model = Citation
        fields = ["id", "source", "locator", "quote"]
        read_only_fields = fields


def citation_field(**kwargs) -> KeyRelatedField:
    """A citation written as its id and read back with its quote and source."""
    return KeyRelatedField(
        summary_serializer=CitationSerializer,
        lookup=("pk",),
        queryset=Citation.objects.select_related("source"),
        required=False,
        allow_null=True,
        help_text="Id of the citation (a quoted sentence of a source) that backs this record.",
        **kwargs,
    )


class SourceSerializer(ValidatedModelSerializer):
    citation_count = serializers.IntegerField(read_only=True, help_text="Quotes taken from this source.")

    class Meta:
        model = Source
        fields = [
            "id", "slug", "title", "publisher", "url", "published_on", "kind", "language", "notes",
            "citation_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["id", "citation_count", "created_at", "updated_at"]


class CitationWriteSerializer(ValidatedModelSerializer):
    source = KeyRelatedField(
        summary_serializer=SourceSummarySerializer, lookup=("pk", "slug"), queryset=Source.objects.all()
    )

    class Meta:
        model = Citation
        fields = ["id", "source", "locator", "quote", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class SourceDetailSerializer(SourceSerializer):
    citations = CitationWriteSerializer(many=True, read_only=True)

    class Meta(SourceSerializer.Meta):
        fields = [*SourceSerializer.Meta.fields, "citations"]
