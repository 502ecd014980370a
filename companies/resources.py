"""Companies in and out of the admin as CSV or XLSX rows (see `core.imports`)."""

from import_export import fields

from companies.models import Company
from core.imports import NullableCharWidget, TrackerResource, day_field, key_field, keys_field, list_field
from industries.models import Industry
from regions.models import Region


class CompanyResource(TrackerResource):
    """One row per company or organisation, keyed by its slug; a row with a new slug adds one."""

    aliases = list_field("aliases")
    credit_code = fields.Field(attribute="credit_code", column_name="credit_code", widget=NullableCharWidget())
    headquarters = key_field("headquarters", Region, "code")
    parent = key_field("parent", Company, "slug")
    parent_since = day_field("parent_since")
    industries = keys_field("industries", Industry, "code")

    scope_field = "headquarters"

    class Meta(TrackerResource.Meta):
        model = Company
        fields = (
            "slug",
            "name",
            "name_zh",
            "aliases",
            "kind",
            "credit_code",
            "credit_code_unverified",
            "headquarters",
            "parent",
            "parent_since",
            "parent_since_precision",
            "industries",
            "stock_code",
            "website",
            "description",
            "version",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("headquarters", "parent").prefetch_related("industries")
