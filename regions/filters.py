import django_filters
from django.utils.translation import gettext_lazy as _

from api.filters import CodeFilter, SearchFilterSet, SubtreeFilter
from regions.models import Region, RegionLevel


def region_subtree_filter(path_field: str = "", **kwargs) -> SubtreeFilter:
    """A region given by its code, matching the records placed in it or anywhere below it."""
    return SubtreeFilter(queryset=Region.objects.all(), path_field=path_field, **kwargs)


class RegionFilterSet(SearchFilterSet):
    search_prefix_fields = ("code",)

    level = django_filters.MultipleChoiceFilter(
        choices=RegionLevel.choices, help_text=_("One or more levels (repeat the parameter).")
    )
    parent = CodeFilter(queryset=Region.objects.all(), help_text=_("Code of the parent: its direct children."))
    within = region_subtree_filter("path", help_text=_("Code of a region: it and every region below it."))

    class Meta:
        model = Region
        fields = ["level", "parent", "within", "search"]
