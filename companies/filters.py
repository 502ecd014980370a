import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from companies.models import Company, CompanyKind
from config.filters import SearchFilterSet, industry_subtree_filter, region_subtree_filter


class CompanyFilterSet(SearchFilterSet):
    search_prefix_fields = ("credit_code", "stock_code")

    region = region_subtree_filter(
        "headquarters__path", help_text=_("Region code: companies headquartered in it or anywhere below it.")
    )
    industry = industry_subtree_filter(
        "path",
        through=Company.industries.through,
        owner="company",
        help_text=_("Industry code, narrower ones included."),
    )
    parent = django_filters.CharFilter(method="filter_parent", help_text=_("Id or slug of the parent company."))
    credit_code = django_filters.CharFilter(
        method="filter_credit_code", max_length=18, help_text=_("Unified social credit code (any case).")
    )
    kind = django_filters.MultipleChoiceFilter(choices=CompanyKind.choices, help_text=_("One or more kinds."))

    class Meta:
        model = Company
        fields = ["region", "industry", "parent", "credit_code", "kind", "search"]

    def filter_parent(self, queryset, name, value):
        if value.isascii() and value.isdigit() and len(value) <= 18:
            return queryset.filter(Q(parent_id=int(value)) | Q(parent__slug=value))
        return queryset.filter(parent__slug=value)

    def filter_credit_code(self, queryset, name, value):
        return queryset.filter(credit_code=value.strip().upper())
