"""Figures: numbers a source states about a project or a company (revenue, jobs, market share, ...)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.choices import Qualifier, Unit
from core.models import Located, TimeStampedModel, tracked
from core.periods import PERIOD_PATTERN


class Metric(models.TextChoices):
    REVENUE = "revenue", _("revenue")
    PRODUCTION_VALUE = "production_value", _("production value")
    GROWTH = "growth", _("growth")
    MARKET_SHARE = "market_share", _("market share")
    JOBS = "jobs", _("jobs")
    PARTNER_COUNT = "partner_count", _("partner companies")
    PIPELINE_SIZE = "pipeline_size", _("pipeline of potential enterprises")
    COMPANIES_BROUGHT_IN = "companies_brought_in", _("companies brought in")
    PROJECT_COUNT = "project_count", _("number of projects")
    OTHER = "other", _("other")


@tracked(moved_from="projects")
class Figure(Located, TimeStampedModel):
    """A number a source states about one project or one company, with its period and sentence.

    Bounds stay bounds (`qualifier`); an estimated figure or one derived from others says so, and a
    derived one shows its formula.

    The projects app defined it first: its table, constraints, triggers and history keep their
    `projects_` names (figures/migrations/0001_initial moved it without touching the database).
    """

    located_by = ("project", "company")

    Metric = Metric
    Unit = Unit

    project = models.ForeignKey(
        to="projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="figures",
        null=True,
        blank=True,
    )
    company = models.ForeignKey(
        to="companies.Company",
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        related_name="figures",
        null=True,
        blank=True,
    )
    metric = models.CharField(verbose_name=_("metric"), max_length=24, choices=Metric.choices)
    label = models.CharField(
        verbose_name=_("label"), max_length=200, blank=True, help_text=_("What exactly is counted, in a few words.")
    )
    period = models.CharField(verbose_name=_("period"), max_length=7, help_text=_("2024, 2024-H1, 2024-Q2 or 2024-07."))
    period_start = models.DateField(verbose_name=_("period start"), editable=False, null=True)
    period_end = models.DateField(verbose_name=_("period end"), editable=False, null=True)
    value = models.DecimalField(verbose_name=_("value"), max_digits=24, decimal_places=4)
    unit = models.CharField(verbose_name=_("unit"), max_length=20, choices=Unit.choices)
    qualifier = models.CharField(
        verbose_name=_("qualifier"), max_length=16, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    is_estimated = models.BooleanField(verbose_name=_("estimated"), default=False)
    is_derived = models.BooleanField(verbose_name=_("derived"), default=False)
    formula = models.CharField(
        verbose_name=_("formula"), max_length=300, blank=True, help_text=_("How a derived value was computed.")
    )
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="figures",
        null=True,
        blank=True,
    )

    class Meta:
        db_table = "projects_figure"
        ordering = ["period_start", "metric", "id"]
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        constraints = [
            models.CheckConstraint(
                condition=Q(project__isnull=False, company__isnull=True)
                | Q(project__isnull=True, company__isnull=False),
                name="projects_figure_one_subject",
                violation_error_message=_("A figure is about exactly one project or one company."),
            ),
            models.UniqueConstraint(
                fields=["project", "metric", "period", "label"],
                condition=Q(project__isnull=False),
                name="projects_figure_unique_project_metric_period",
                violation_error_message=_("This project already has this figure for this period."),
            ),
            models.UniqueConstraint(
                fields=["company", "metric", "period", "label"],
                condition=Q(company__isnull=False),
                name="projects_figure_unique_company_metric_period",
                violation_error_message=_("This company already has this figure for this period."),
            ),
            models.CheckConstraint(
                condition=Q(period__regex=PERIOD_PATTERN),
                name="projects_figure_period_format",
                violation_error_message=_("Write the period as 2024, 2024-H1, 2024-Q2 or 2024-07."),
            ),
            models.CheckConstraint(
                condition=Q(metric__in=Metric.values),
                name="projects_figure_metric_valid",
                violation_error_message=_("Unknown metric."),
            ),
            models.CheckConstraint(
                condition=Q(unit__in=Unit.values),
                name="projects_figure_unit_valid",
                violation_error_message=_("Unknown unit."),
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values),
                name="projects_figure_qualifier_valid",
                violation_error_message=_("Unknown qualifier."),
            ),
            models.CheckConstraint(
                condition=Q(is_derived=False) | Q(formula__regex=r"\S"),
                name="projects_figure_derived_has_formula",
                violation_error_message=_("A derived figure shows its formula."),
            ),
            models.CheckConstraint(
                condition=~Q(unit="yuan") | Q(value__gte=0),
                name="projects_figure_money_non_negative",
                violation_error_message=_("An amount of money cannot be negative."),
            ),
            models.CheckConstraint(
                condition=~Q(metric="market_share") | Q(value__gte=0, value__lte=100, unit="percent"),
                name="projects_figure_market_share_percent",
                violation_error_message=_("A market share is a percentage between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=~Q(unit="percent") | Q(value__gte=-100),
                name="projects_figure_percent_at_least_minus_100",
                violation_error_message=_("A percentage cannot fall below -100."),
            ),
            models.CheckConstraint(
                condition=~Q(unit="count") | Q(value__gte=0),
                name="projects_figure_count_non_negative",
                violation_error_message=_("A count cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        subject = self.project or self.company
        return f"{subject}: {self.get_metric_display()} {self.period}"
