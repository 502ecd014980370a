import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from api.filters import KeyFilter
from commitments.models import PERIOD_PATTERN, CommitmentKind, Compliance, ComplianceStatus
from core.periods import period_bounds
from projects.models import Project
from regions.filters import region_subtree_filter

period_validator = RegexValidator(PERIOD_PATTERN, _("Write a period as a year (2024) or a quarter (2024-Q2)."))


class ComplianceFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and period_bounds(end)[1] < period_bounds(start)[0]:
            self.add_error(
                "period_to", ValidationError(_("period_to must not end before period_from starts."), code="range")
            )
        return data


class ComplianceFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=ComplianceStatus.choices,
        help_text=_("One or more verdicts (repeat the parameter: status=breach&status=pending)."),
    )
    kind = django_filters.MultipleChoiceFilter(
        distinct=False, choices=CommitmentKind.choices, help_text=_("One or more kinds of commitment.")
    )
    region = region_subtree_filter(
        codes_field="project__region_codes", help_text=_("Region code: projects in it or anywhere below it.")
    )
    project = KeyFilter(queryset=Project.objects.all(), help_text=_("Id or slug of the project."))
    period = django_filters.CharFilter(
        method="filter_period",
        validators=[period_validator],
        help_text=_("A year (2024: the year and its quarters) or a quarter (2024-Q2)."),
    )
    period_from = django_filters.CharFilter(
        method="filter_period_from",
        validators=[period_validator],
        help_text=_("Periods starting on or after the start of this one."),
    )
    period_to = django_filters.CharFilter(
        method="filter_period_to",
        validators=[period_validator],
        help_text=_("Periods starting on or before the end of this one."),
    )

    class Meta:
        model = Compliance
        form = ComplianceFilterForm
        fields = ["status", "kind", "region", "project", "period", "period_from", "period_to"]

    def filter_period(self, queryset, name, value):
        if len(value) == 4:
            return queryset.filter(period__startswith=value)
        return queryset.filter(period=value)

    def filter_period_from(self, queryset, name, value):
        return queryset.filter(period_start__gte=period_bounds(value)[0])

    def filter_period_to(self, queryset, name, value):
        return queryset.filter(period_start__lte=period_bounds(value)[1])
