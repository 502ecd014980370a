from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.choices import Qualifier, Unit
from core.models import Located, TimeStampedModel, tracked
from core.periods import PERIOD_PATTERN

IndicatorUnit = Unit


@tracked
class Indicator(TimeStampedModel):
    """What the statistics bureau measures about a region, such as year-on-year GDP growth."""

    Unit = IndicatorUnit

    code = models.SlugField(verbose_name=_("code"), max_length=80, unique=True)
    name = models.CharField(verbose_name=_("name"), max_length=200)
    name_zh = models.CharField(verbose_name=_("Chinese name"), max_length=200, blank=True)
    unit = models.CharField(verbose_name=_("unit"), max_length=20, choices=IndicatorUnit.choices)
    description = models.TextField(verbose_name=_("description"), blank=True)

    class Meta:
        ordering = ["code", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=IndicatorUnit.values),
                name="indicators_indicator_unit_valid",
                violation_error_message=_("Unknown unit."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


@tracked
class Observation(Located, TimeStampedModel):
    """One value of an indicator for a region and a period, as a source states it or as derived."""

    located_by = ("region",)

    region = models.ForeignKey(
        to="regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="observations"
    )
    indicator = models.ForeignKey(
        to="indicators.Indicator", verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="observations"
    )
    period = models.CharField(verbose_name=_("period"), max_length=7, help_text=_("2024, 2024-H1, 2024-Q2 or 2024-07."))
    period_start = models.DateField(verbose_name=_("period start"), editable=False, null=True)
    period_end = models.DateField(verbose_name=_("period end"), editable=False, null=True)
    value = models.DecimalField(verbose_name=_("value"), max_digits=24, decimal_places=4)
    qualifier = models.CharField(
        verbose_name=_("qualifier"), max_length=16, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    rank_text = models.CharField(
        verbose_name=_("rank"), max_length=200, blank=True, help_text=_("As the source says it: '2nd in Zhejiang'.")
    )
    is_derived = models.BooleanField(verbose_name=_("derived"), default=False)
    formula = models.CharField(verbose_name=_("formula"), max_length=300, blank=True)
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="observations",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["indicator_id", "region_id", "period_start", "id"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "period"],
                name="indicators_observation_unique_region_indicator_period",
                violation_error_message=_("This region already has a value of this indicator for this period."),
            ),
            models.CheckConstraint(
                condition=Q(period__regex=PERIOD_PATTERN),
                name="indicators_observation_period_format",
                violation_error_message=_("Write the period as 2024, 2024-H1, 2024-Q2 or 2024-07."),
            ),
            models.CheckConstraint(
                condition=Q(qualifier__in=Qualifier.values),
                name="indicators_observation_qualifier_valid",
                violation_error_message=_("Unknown qualifier."),
            ),
            models.CheckConstraint(
                condition=Q(is_derived=False) | Q(formula__regex=r"\S"),
                name="indicators_observation_derived_has_formula",
                violation_error_message=_("A derived value shows its formula."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=-100),
                name="indicators_observation_value_at_least_minus_100",
                violation_error_message=_("No indicator falls below -100: a decline cannot exceed 100 percent."),
            ),
        ]
        indexes = [models.Index(fields=["region", "indicator", "period_start"], name="indicators_obs_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.indicator} {self.region.code} {self.period}"

    def clean(self) -> None:
        super().clean()
        if self.indicator_id and self.value is not None:
            unit = self.indicator.unit
            if unit in (IndicatorUnit.YUAN, IndicatorUnit.COUNT) and self.value < 0:
                raise ValidationError({"value": _("An amount or a count cannot be negative.")})
