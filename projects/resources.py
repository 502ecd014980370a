"""Projects in and out of the admin as CSV or XLSX rows (see `core.imports`)."""

from django.contrib.auth import get_user_model

from core.imports import TrackerResource, key_field, keys_field, list_field
from industries.models import Industry
from projects.models import Project
from regions.models import Region


class ProjectResource(TrackerResource):
    """One row per project, keyed by its slug; a row with a new slug adds a project."""

    aliases = list_field("aliases")
    programme = key_field("programme", Project, "slug")
    region = key_field("region", Region, "code")
    industries = keys_field("industries", Industry, "code")
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
            "tracked_by",
            "description",
            "version",
        )

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("programme", "region", "tracked_by").prefetch_related("industries")
