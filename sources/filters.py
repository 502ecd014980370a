import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.search import MAX_SEARCH_LENGTH
from sources.models import Citation, Source, SourceKind


class SourceFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=SourceKind.choices, help_text=_("One or more kinds."))
    search = django_filters.CharFilter(
        method="filter_search", max_length=MAX_SEARCH_LENGTH, help_text=_("Text in the title or publisher.")
    )

    class Meta:
        model = Source
        fields = ["kind", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(publisher__icontains=value))


class CitationFilterSet(django_filters.FilterSet):
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.all(), to_field_name="slug", help_text=_("Slug of the source.")
    )
    locator = django_filters.CharFilter(help_text=_("Exact locator, such as L19."))
    search = django_filters.CharFilter(
        field_name="quote", lookup_expr="icontains", max_length=MAX_SEARCH_LENGTH, help_text=_("Text in the quote.")
    )

    class Meta:
        model = Citation
        fields = ["source", "locator", "search"]
