import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from api.filters import BooleanFilter, CodesFilter
from core.periods import PERIOD_PATTERN, period_bounds
from core.search import MAX_SEARCH_LENGTH
from indicators.models import Indicator, Observation
from regions.filters import region_subtree_filter

period_validator = RegexValidator(PERIOD_PATTERN, _("Write a period as 2024, 2024-H1, 2024-Q2 or 2024-07."))


class ObservationFilterForm(forms.Form):
    """Rules between parameters: the period range must not be upside down."""

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and period_bounds(end)[1] < period_bounds(start)[0]:
            self.add_error(
                "period_to", ValidationError(_("period_to must not end before period_from starts."), code="range")
            )
        return data


class ObservationFilterSet(django_filters.FilterSet):
    region = region_subtree_filter(
        "region__path", help_text=_("Region code: observations of it and every region below.")
    )
    indicator = CodesFilter(
        queryset=Indicator.objects.all(),
        field_name="indicator",
        help_text=_("One or more indicator codes (repeat the parameter)."),
    )
    period = django_filters.CharFilter(validators=[period_validator], help_text=_("Exactly this period (2024-H1)."))
    period_from = django_filters.CharFilter(
        method="filter_period_from",
        validators=[period_validator],
        help_text=_("Periods starting on or after the start of this one (2024, 2024-H1, 2024-Q2, 2024-07)."),
    )
    period_to = django_filters.CharFilter(
        method="filter_period_to",
        validators=[period_validator],
        help_text=_("Periods ending on or before the end of this one."),
    )
    is_derived = BooleanFilter(help_text=_("true: only values derived from others; false: only stated ones."))

    class Meta:
        model = Observation
        form = ObservationFilterForm
        fields = ["region", "indicator", "period", "period_from", "period_to", "is_derived"]

    def filter_period_from(self, queryset, name, value):
        return queryset.filter(period_start__gte=period_bounds(value)[0])

    def filter_period_to(self, queryset, name, value):
        return queryset.filter(period_end__lte=period_bounds(value)[1])


class IndicatorFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search", max_length=MAX_SEARCH_LENGTH, help_text=_("Text in the name or code.")
    )

    class Meta:
        model = Indicator
        fields = ["unit", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(name_zh__icontains=value))
