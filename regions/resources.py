"""Regions out of the admin as CSV or XLSX rows (see `core.imports`); parents by code."""

from import_export import resources

from core.imports import key_field, list_field
from regions.models import Region


class RegionResource(resources.ModelResource):
    aliases = list_field("aliases")
    parent = key_field("parent", Region, "code")

    class Meta:
        model = Region
        fields = ("code", "name", "name_zh", "aliases", "level", "parent")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("parent")
