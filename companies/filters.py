import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from api.filters import KeyFilter, SearchFilterSet
from companies.models import CREDIT_CODE_DB_PATTERN, Company, CompanyKind
from industries.filters import industry_subtree_filter
from regions.filters import region_subtree_filter


class CreditCodeField(forms.CharField):
    """A unified social credit code in any case, upper-cased before its format is checked."""

    default_validators = [
        RegexValidator(
            CREDIT_CODE_DB_PATTERN,
            _("A unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z."),
        )
    ]

    def to_python(self, value):
        return super().to_python(value).upper()


class CreditCodeFilter(django_filters.CharFilter):
    field_class = CreditCodeField


class CompanyFilterSet(SearchFilterSet):
    search_prefix_fields = ("credit_code",)
    search_unindexed_prefix_fields = ("stock_code",)

    region = region_subtree_filter(
        "headquarters__path", help_text=_("Region code: companies headquartered in it or anywhere below it.")
    )
    industry = industry_subtree_filter(
        "path",
        through=Company.industries.through,
        owner="company",
        help_text=_("Industry code, narrower ones included."),
    )
    parent = KeyFilter(
        queryset=Company.objects.all(), field_name="parent", help_text=_("Id or slug of the parent company.")
    )
    credit_code = CreditCodeFilter(help_text=_("Unified social credit code (any case)."))
    kind = django_filters.MultipleChoiceFilter(choices=CompanyKind.choices, help_text=_("One or more kinds."))

    class Meta:
        model = Company
        fields = ["region", "industry", "parent", "credit_code", "kind", "search"]
