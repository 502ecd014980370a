"""Filter pieces shared by the collections: search, region and industry subtrees."""

from __future__ import annotations

import django_filters
from django.core.validators import MaxLengthValidator
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.search import MAX_SEARCH_LENGTH, search_filter


class SearchFilterSet(django_filters.FilterSet):
    """Adds `search`: English and Chinese names and aliases (and codes, from their start)."""

    search_prefix_fields: tuple[str, ...] = ()

    search = django_filters.CharFilter(
        method="filter_search",
        validators=[MaxLengthValidator(MAX_SEARCH_LENGTH)],
        help_text=_("Text found in the English or Chinese name or an alias (Kolen finds Kelun, 龙泉 finds Longquan)."),
    )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_filter(queryset, value, *self.search_prefix_fields)


@extend_schema_field(OpenApiTypes.STR)
class SubtreeFilter(django_filters.ModelChoiceFilter):
    """A tree node given by its code, matching it and everything below it through `path`."""

    def __init__(self, *args, path_field: str, through=None, owner: str = "", **kwargs) -> None:
        self.path_field = path_field
        # For a many-to-many relation: match through the link table with EXISTS, so rows never repeat.
        self.through = through
        self.owner = owner
        kwargs.setdefault("error_messages", {"invalid_choice": _("Nothing has the code %(value)s.")})
        super().__init__(*args, to_field_name="code", **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        if self.through is not None:
            target = self.field.queryset.model._meta.model_name
            links = self.through.objects.filter(
                **{f"{self.owner}_id": OuterRef("pk"), f"{target}__{self.path_field}__descendant_of": value.path}
            )
            return qs.filter(Exists(links))
        return qs.filter(**{f"{self.path_field}__descendant_of": value.path})


def region_subtree_filter(path_field: str, **kwargs) -> SubtreeFilter:
    from regions.models import Region

    return SubtreeFilter(queryset=Region.objects.all(), path_field=path_field, **kwargs)


def industry_subtree_filter(path_field: str, **kwargs) -> SubtreeFilter:
    from industries.models import Industry

    return SubtreeFilter(queryset=Industry.objects.all(), path_field=path_field, **kwargs)
