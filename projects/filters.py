import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from api.filters import BooleanFilter, KeyFilter, SearchFilterSet
from companies.models import Company
from core.search import MAX_SEARCH_LENGTH
from industries.filters import industry_subtree_filter
from projects import national_code
from projects.models import (
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    ProjectKind,
    SearchDocument,
    Stage,
    fai_eligible,
    fai_pending,
)
from regions.filters import region_subtree_filter

INVESTOR_ROLES = [ParticipantRole.INVESTOR, ParticipantRole.LEAD_INVESTOR]


class ProjectFilterForm(forms.Form):
    """Rules between parameters: a range must not be upside down."""

    def clean(self):
        data = super().clean()
        after, before = data.get("milestone_after"), data.get("milestone_before")
        if after and before and after > before:
            self.add_error(
                "milestone_before",
                ValidationError(_("milestone_before must not be earlier than milestone_after."), code="range"),
            )
        low, high = data.get("min_investment"), data.get("max_investment")
        if low is not None and high is not None and low > high:
            self.add_error(
                "max_investment", ValidationError(_("max_investment must not be below min_investment."), code="range")
            )
        return data


class ProjectFilterSet(SearchFilterSet):
    search_documents = SearchDocument

    search = django_filters.CharFilter(
        method="filter_search",
        validators=[MaxLengthValidator(MAX_SEARCH_LENGTH)],
        help_text=_(
            "Text found in a name or alias, English or Chinese, of the project, its region or a region above it, "
            "its industries or a broader one, or a company taking part (Kolen finds Kelun's projects, 龙泉 those "
            "in Longquan). Full-width letters and digits read as ASCII ones; case is ignored."
        ),
    )
    region = region_subtree_filter(
        codes_field="region_codes", help_text=_("Region code: projects in it or anywhere below it.")
    )
    # A column of the row itself cannot repeat rows: no DISTINCT (django-filter's default), which would
    # make PostgreSQL sort every matching row before it could take a page.
    stage = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Stage.choices,
        help_text=_("One or more stages (repeat the parameter: stage=signed&stage=landed)."),
    )
    industry = industry_subtree_filter(codes_field="industry_codes", help_text=_("Industry code, narrower included."))
    company = KeyFilter(
        queryset=Company.objects.all(),
        method="filter_company",
        help_text=_("Id or slug of a company taking part in any role."),
    )
    investor = KeyFilter(
        queryset=Company.objects.all(),
        method="filter_investor",
        help_text=_("Id or slug of a company investing (lead or not)."),
    )
    min_investment = django_filters.NumberFilter(
        field_name="planned_investment", lookup_expr="gte", help_text=_("Planned investment at least this (yuan).")
    )
    max_investment = django_filters.NumberFilter(
        field_name="planned_investment", lookup_expr="lte", help_text=_("Planned investment at most this (yuan).")
    )
    has_investment = BooleanFilter(
        field_name="planned_investment",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("true: only projects with a planned investment; false: only those without."),
    )
    milestone_after = django_filters.DateFilter(
        method="filter_milestones", help_text=_("An actual milestone on or after this date (YYYY-MM-DD).")
    )
    milestone_before = django_filters.DateFilter(
        method="filter_milestones", help_text=_("An actual milestone on or before this date (YYYY-MM-DD).")
    )
    milestone_stage = django_filters.MultipleChoiceFilter(
        distinct=False,
        choices=Stage.choices,
        method="filter_milestones",
        help_text=_("Limit milestone_after/before to milestones of these stages (e.g. landed)."),
    )
    kind = django_filters.ChoiceFilter(choices=ProjectKind.choices, help_text=_("project or programme."))
    programme = KeyFilter(
        queryset=Project.objects.filter(kind=ProjectKind.PROGRAMME),
        field_name="programme",
        help_text=_("Id or slug of a programme: its projects."),
        error_messages={"invalid_choice": _("No programme has the id or slug %(value)s.")},
    )
    national_code = django_filters.CharFilter(
        method="filter_national_code",
        max_length=national_code.LENGTH,
        help_text=_("National project code (项目代码), e.g. 2111-522323-04-01-342068: the project that has it."),
    )
    fai_eligible = BooleanFilter(
        method="filter_fai_eligible",
        help_text=_(
            "true: only projects the fixed-asset investment statistics take in (纳统: at least 5,000,000 yuan "
            "planned and started); false: the others."
        ),
    )
    fai_registered = BooleanFilter(
        field_name="fai_registered_at",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("true: only projects entered in the investment statistics (已入库); false: those not entered."),
    )
    fai_pending = BooleanFilter(
        method="filter_fai_pending",
        help_text=_(
            "true: only projects eligible for the investment statistics but not yet entered (待入库); false: the "
            "others."
        ),
    )

    class Meta:
        model = Project
        form = ProjectFilterForm
        fields = [
            "region", "stage", "industry", "company", "investor", "min_investment", "max_investment",
            "has_investment", "milestone_after", "milestone_before", "milestone_stage", "kind", "programme", "search",
            "national_code", "fai_eligible", "fai_registered", "fai_pending",
        ]  # fmt: skip

    def filter_national_code(self, queryset, name, value):
        # As the model stores it: full-width characters and a code typed without hyphens find it too.
        return queryset.filter(national_code=national_code.normalise(value))

    def filter_fai_eligible(self, queryset, name, value):
        return queryset.filter(fai_eligible() if value else ~fai_eligible())

    def filter_fai_pending(self, queryset, name, value):
        return queryset.filter(fai_pending() if value else ~fai_pending())

    def filter_company(self, queryset, name, value):
        return queryset.filter(Exists(Participant.objects.filter(company=value, project_id=OuterRef("pk"))))

    def filter_investor(self, queryset, name, value):
        links = Participant.objects.filter(company=value, project_id=OuterRef("pk"), role__in=INVESTOR_ROLES)
        return queryset.filter(Exists(links))

    def filter_milestones(self, queryset, name, value):
        # The three milestone parameters describe one milestone together: filter_queryset applies them.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        after, before, stages = data.get("milestone_after"), data.get("milestone_before"), data.get("milestone_stage")
        if not (after or before or stages):
            return queryset
        milestones = Milestone.objects.filter(project_id=OuterRef("pk"), is_planned=False)
        if after:
            milestones = milestones.filter(date__gte=after)
        if before:
            milestones = milestones.filter(date__lte=before)
        if stages:
            milestones = milestones.filter(stage__in=stages)
        return queryset.filter(Exists(milestones))
