import django_filters
from django.utils.translation import gettext_lazy as _

from api.filters import BooleanFilter, CodeFilter, SearchFilterSet, SubtreeFilter
from industries.models import Industry, IndustryScheme


def industry_subtree_filter(path_field: str = "", **kwargs) -> SubtreeFilter:
    """An industry given by its code, matching the records filed under it or anywhere below it."""
    return SubtreeFilter(queryset=Industry.objects.all(), path_field=path_field, **kwargs)


class IndustryFilterSet(SearchFilterSet):
    search_prefix_fields = ("code",)

    scheme = django_filters.ChoiceFilter(choices=IndustryScheme.choices, help_text=_("Classification scheme."))
    parent = CodeFilter(queryset=Industry.objects.all(), help_text=_("Code of the parent: its direct children."))
    within = industry_subtree_filter("path", help_text=_("Code of an industry: it and every narrower one."))
    root = BooleanFilter(field_name="parent", lookup_expr="isnull", help_text=_("true: only top-level industries."))

    class Meta:
        model = Industry
        fields = ["scheme", "parent", "within", "root", "search"]
