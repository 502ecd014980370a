"""Projects in and out of the admin as CSV or XLSX rows (see `core.imports`)."""

from django.contrib.auth import get_user_model
from import_export import fields

from core.imports import NullableCharWidget, TrackerResource, day_field, key_field, keys_field, list_field
from industries.models import Industry
from projects.models import Project
from regions.models import Region


class ProjectResource(TrackerResource):
    """One row per project, keyed by its slug; a row with a new slug adds a project."""

    aliases = list_field("aliases")
    programme = key_field("programme", Project, "slug")
    region = key_field("region", Region, "code")
    industries = keys_field("industries", Industry, "code")
    # An empty cell is no code (NULL), as the unique constraint needs: the credit code's rule (companies).
    national_code = fields.Field(attribute="national_code", column_name="national_code", widget=NullableCharWidget())
    fai_registered_at = day_field("fai_registered_at")
    tracked_by = key_field("tracked_by", get_user_model(), "username", get_user_model().objects.filter(is_staff=True))

    scope_field = "region"

    class Meta(TrackerResource.Meta):
        model = Project
        fields = (
            "slug",
            "name",
            "name_zh",
            "aliases",
            "kind",
            "programme",
            "region",
            "industries",
            "stage",
            "stage_reason",
            "planned_investment",
            "currency",
            "investment_qualifier",
            "national_code",
            "fai_registered_at",
            "tracked_by",
            "description",
            "version",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("programme", "region", "tracked_by").prefetch_related("industries")
