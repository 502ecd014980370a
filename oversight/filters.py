import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from api.filters import BooleanFilter, CodeFilter
from oversight.models import ProjectWarning, SigningEvent, WarningRule
from oversight.rules import Level, RuleCode
from projects.models import Stage
from regions.filters import region_subtree_filter
from regions.models import Region


class ProjectWarningFilterSet(django_filters.FilterSet):
    level = django_filters.MultipleChoiceFilter(
        distinct=False, choices=Level.choices, help_text=_("red or yellow (repeat the parameter for both).")
    )
    rule = django_filters.MultipleChoiceFilter(
        distinct=False, choices=RuleCode.choices, help_text=_("One or more rules (repeat the parameter).")
    )
    region = region_subtree_filter(
        codes_field="project__region_codes", help_text=_("Region code: warnings on projects in it or below it.")
    )
    stage = django_filters.MultipleChoiceFilter(
        field_name="project__stage",
        distinct=False,
        choices=Stage.choices,
        help_text=_("The projects' stage now (repeat the parameter for several)."),
    )
    officer = django_filters.CharFilter(
        field_name="project__tracked_by__username",
        help_text=_("Username of the staff member who tracks the project (跟踪人)."),
    )
    on_hold = BooleanFilter(
        field_name="project__stage",
        method="filter_on_hold",
        help_text=_("true: only projects on hold (listed apart); false: only the others."),
    )
    snoozed = BooleanFilter(
        method="filter_snoozed", help_text=_("true: only warnings snoozed until today or later; false: the others.")
    )
    resolved = BooleanFilter(
        field_name="resolved_at",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("false: the open warnings (the red/yellow list); true: the resolved ones."),
    )

    class Meta:
        model = ProjectWarning
        fields = ["level", "rule", "region", "stage", "officer", "on_hold", "snoozed", "resolved"]

    def filter_on_hold(self, queryset, name, value):
        on_hold = Q(project__stage=Stage.ON_HOLD)
        return queryset.filter(on_hold if value else ~on_hold)

    def filter_snoozed(self, queryset, name, value):
        snoozed = Q(snoozed_until__gte=timezone.localdate())
        return queryset.filter(snoozed if value else ~snoozed)


class WarningRuleFilterSet(django_filters.FilterSet):
    region = CodeFilter(queryset=Region.objects.all(), help_text=_("Code of the region that sets the rule."))
    code = django_filters.MultipleChoiceFilter(
        distinct=False, choices=RuleCode.choices, help_text=_("One or more rules (repeat the parameter).")
    )
    level = django_filters.MultipleChoiceFilter(distinct=False, choices=Level.choices, help_text=_("red or yellow."))
    is_active = BooleanFilter(help_text=_("true: rules in force; false: rules switched off."))

    class Meta:
        model = WarningRule
        fields = ["region", "code", "level", "is_active"]


class SigningEventFilterSet(django_filters.FilterSet):
    region = region_subtree_filter(
        path_field="region__path", help_text=_("Region code: events held in it or in a region below it.")
    )
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text=_("Held on or after this day (YYYY-MM-DD).")
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text=_("Held on or before this day (YYYY-MM-DD).")
    )

    class Meta:
        model = SigningEvent
        fields = ["region", "date_after", "date_before"]
