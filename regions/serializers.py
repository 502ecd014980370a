from django.db import models
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.projection import SQLField, rows_json
from api.serializers import KeyRelatedField, ValidatedModelSerializer
from regions.models import Region


class RegionSummarySerializer(serializers.ModelSerializer):
    """A region as other records embed it."""

    class Meta:
        model = Region
        fields = ["code", "name", "name_zh", "level"]
        read_only_fields = fields


class RegionKeyField(KeyRelatedField):
    """A region by code. For a regional editor, only regions inside their own can be chosen, or the
    one the record already has (an editor's own district keeps its city as parent when rewritten)."""

    default_error_messages = {
        **KeyRelatedField.default_error_messages,
        "out_of_scope": _("Region {value} lies outside your regions ({regions})."),
    }

    def to_internal_value(self, data):
        from accounts.scope import editable_regions, scope_description

        region = super().to_internal_value(data)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or self._is_current_value(region):
            return region
        if not editable_regions(user, Region.objects.filter(pk=region.pk)).exists():
            self.fail("out_of_scope", value=region.code, regions=scope_description(user))
        return region

    def get_choices(self, cutoff: int | None = None) -> dict[str, str]:
        """The browsable API's options: codes, and for a signed-in user only the regions they may
        place records in (plus the record's current one)."""
        from accounts.scope import editable_regions

        queryset = self.get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            current = self._current_pk()
            queryset = editable_regions(user, queryset) | queryset.filter(pk=current if current is not None else -1)
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {region.code: self.display_value(region) for region in queryset}

    def _current_pk(self) -> int | None:
        instance = getattr(self.parent, "instance", None)
        return getattr(instance, f"{self.source}_id", None) if isinstance(instance, models.Model) else None

    def _is_current_value(self, region: Region) -> bool:
        return region.pk is not None and self._current_pk() == region.pk


def region_field(**kwargs) -> KeyRelatedField:
    """A region written as its code and read back as a summary."""
    return RegionKeyField(
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


def ancestors_json():
    """The outer region's ancestors as summaries, root first."""
    ancestors = Region.objects.filter(path__ancestor_of=OuterRef("path")).exclude(pk=OuterRef("pk")).order_by("path")
    return rows_json(RegionSummarySerializer, ancestors)


def children_json():
    """The outer region's direct children as summaries, in code order."""
    return rows_json(RegionSummarySerializer, Region.objects.filter(parent=OuterRef("pk")).order_by("code", "id"))


class RegionDetailSerializer(RegionSerializer):
    """A region with where it sits: its ancestors from the root, and its direct children."""

    ancestors = SQLField(
        ancestors_json, schema=RegionSummarySerializer(many=True), help_text="Regions above this one, root first."
    )
    children = SQLField(
        children_json, schema=RegionSummarySerializer(many=True), help_text="Regions directly below this one."
    )

    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "ancestors", "children"]
