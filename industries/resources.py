"""Industries out of the admin as CSV or XLSX rows (see `core.imports`); parents by code."""

from import_export import resources

from core.imports import key_field, list_field
from industries.models import Industry


class IndustryResource(resources.ModelResource):
    aliases = list_field("aliases")
    parent = key_field("parent", Industry, "code")

    class Meta:
        model = Industry
        fields = ("code", "name", "name_zh", "aliases", "scheme", "parent", "description")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("parent")
