from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import KeyRelatedField, ValidatedModelSerializer
from regions.models import Region


class RegionSummarySerializer(serializers.ModelSerializer):
    """A region as other records embed it."""

    class Meta:
        model = Region
        fields = ["code", "name", "name_zh", "level"]
        read_only_fields = fields


def region_field(**kwargs) -> KeyRelatedField:
    """A region written as its code and read back as a summary."""
    return KeyRelatedField(
        summary_serializer=RegionSummarySerializer, lookup=("code",), queryset=Region.objects.all(), **kwargs
    )


class RegionSerializer(ValidatedModelSerializer):
    parent = region_field(
        required=False, allow_null=True, help_text="Code of the region directly above (null for a root)."
    )

    class Meta:
        model = Region
        fields = ["id", "code", "name", "name_zh", "aliases", "level", "parent", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class RegionDetailSerializer(RegionSerializer):
    """A region with where it sits: its ancestors from the root, and its direct children."""

    ancestors = serializers.SerializerMethodField(help_text="Regions above this one, root first.")
    children = RegionSummarySerializer(many=True, read_only=True, help_text="Regions directly below this one.")

    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "ancestors", "children"]

    @extend_schema_field(RegionSummarySerializer(many=True))
    def get_ancestors(self, region: Region) -> list[dict]:
        return RegionSummarySerializer(region.ancestors(), many=True).data
