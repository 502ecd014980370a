"""Commitments of investment agreements (issue 23, item 1): what a firm promised, what it delivered, and the
verdict, which is derived and never stored (`Compliance`, a database view)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Located, TimeStampedModel, tracked
from projects.models import Stage


class CommitmentKind(models.TextChoices):
    """The indicators a Zhejiang investment agreement (标准地 and others) writes in, and its dates."""

    FIXED_ASSET_INVESTMENT = "fixed_asset_investment", _("total fixed-asset investment (固定资产投资总额)")
    INVESTMENT_INTENSITY = "investment_intensity", _("fixed-asset investment per mu (亩均投资强度)")
    TAX_PER_MU = "tax_per_mu", _("tax per mu per year (亩均税收)")
    FLOOR_AREA_RATIO = "floor_area_ratio", _("floor-area ratio (容积率)")
    VALUE_ADDED_PER_ENERGY = "value_added_per_energy", _("value added per tonne of standard coal (单位能耗增加值)")
    VALUE_ADDED_PER_EMISSIONS = "value_added_per_emissions", _("value added per tonne of emissions (单位排放增加值)")
    RD_SHARE = "rd_share", _("R&D spending share of revenue (研发经费占比)")
    ANNUAL_OUTPUT = "annual_output", _("annual output (年产值)")
    ANNUAL_TAX = "annual_tax", _("annual tax (年税收)")
    JOBS = "jobs", _("jobs (就业人数)")
    START_BY = "start_by", _("start construction by (开工期限)")
    COMPLETE_BY = "complete_by", _("complete by (竣工期限)")
    PRODUCE_BY = "produce_by", _("start production by (投产期限)")


class Comparator(models.TextChoices):
    AT_LEAST = "at_least", _("at least (≥)")
    AT_MOST = "at_most", _("at most (≤)")
    EQUAL = "equal", _("exactly (=)")
    BY_DATE = "by_date", _("by the due date")


class CommitmentUnit(models.TextChoices):
    """The units targets and actuals are written in; `KIND_UNITS` says which fits which kind."""

    WAN_YUAN = "wan_yuan", _("10,000 yuan (万元)")
    WAN_YUAN_PER_MU = "wan_yuan_per_mu", _("10,000 yuan per mu (万元/亩)")
    WAN_YUAN_PER_MU_YEAR = "wan_yuan_per_mu_year", _("10,000 yuan per mu per year (万元/亩·年)")
    RATIO = "ratio", _("ratio (比值)")
    WAN_YUAN_PER_TCE = "wan_yuan_per_tce", _("10,000 yuan per tonne of standard coal (万元/吨标准煤)")
    WAN_YUAN_PER_TONNE_EMISSIONS = "wan_yuan_per_tonne_emissions", _("10,000 yuan per tonne of emissions (万元/吨)")
    PERCENT = "percent", _("percent (%)")
    PERSONS = "persons", _("persons (人)")


K, U = CommitmentKind, CommitmentUnit
# The fixed table: the unit a target of each kind is written in. A dated kind has none (and no target).
KIND_UNITS: dict[str, tuple[str, ...]] = {
    K.FIXED_ASSET_INVESTMENT: (U.WAN_YUAN,),
    K.INVESTMENT_INTENSITY: (U.WAN_YUAN_PER_MU,),
    K.TAX_PER_MU: (U.WAN_YUAN_PER_MU_YEAR,),
    K.FLOOR_AREA_RATIO: (U.RATIO,),
    K.VALUE_ADDED_PER_ENERGY: (U.WAN_YUAN_PER_TCE,),
    K.VALUE_ADDED_PER_EMISSIONS: (U.WAN_YUAN_PER_TONNE_EMISSIONS,),
    K.RD_SHARE: (U.PERCENT,),
    K.ANNUAL_OUTPUT: (U.WAN_YUAN,),
    K.ANNUAL_TAX: (U.WAN_YUAN,),
    K.JOBS: (U.PERSONS,),
    K.START_BY: (),
    K.COMPLETE_BY: (),
    K.PRODUCE_BY: (),
}
DATED_KINDS = (K.START_BY, K.COMPLETE_BY, K.PRODUCE_BY)
# Per-mu kinds are measured on the land area; an actual may be given as the total (万元), divided by the area.
PER_MU_KINDS = {K.INVESTMENT_INTENSITY: U.WAN_YUAN, K.TAX_PER_MU: U.WAN_YUAN}
# Flows over a year: their actuals are a year's (a quarter's tax is not a year's tax).
YEARLY_KINDS = (
    K.TAX_PER_MU,
    K.VALUE_ADDED_PER_ENERGY,
    K.VALUE_ADDED_PER_EMISSIONS,
    K.RD_SHARE,
    K.ANNUAL_OUTPUT,
    K.ANNUAL_TAX,
)
# The actual milestones that keep a dated commitment: the stage, or any later one of the funnel.
DATED_KIND_STAGES = {
    K.START_BY: (Stage.CONSTRUCTION_STARTED, Stage.IN_PRODUCTION, Stage.AT_CAPACITY),
    K.COMPLETE_BY: (Stage.IN_PRODUCTION, Stage.AT_CAPACITY),
    K.PRODUCE_BY: (Stage.IN_PRODUCTION, Stage.AT_CAPACITY),
}
PERIOD_PATTERN = r"^[1-9][0-9]{3}(-Q[1-4])?$"


def observation_units(kind: str) -> tuple[str, ...]:
    """The units an actual of `kind` may be written in: the target's, or the total a per-mu kind divides."""
    total = PER_MU_KINDS.get(kind)
    return (*KIND_UNITS.get(kind, ()), *((total,) if total else ()))


def unit_list(units) -> str:
    return ", ".join(str(CommitmentUnit(unit).label) for unit in units)


@tracked
class Commitment(Located, TimeStampedModel):
    """One promise of a project's investment agreement: an indicator compared with a target (tax per mu at least
    30万元 a year), or a date (production by June 2025), due from a date, with its remedy and the sentence that
    states it. Whether it was kept is derived (`Compliance`), never stored."""

    located_by = ("project",)

    Kind = CommitmentKind
    Comparator = Comparator
    Unit = CommitmentUnit

    project = models.ForeignKey(
        to="projects.Project",
        verbose_name=_("project"),
        # An agreement's promise does not vanish with a deleted project: remove the commitments first (409).
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=32, choices=CommitmentKind.choices)
    comparator = models.CharField(verbose_name=_("comparator"), max_length=16, choices=Comparator.choices)
    target = models.DecimalField(
        verbose_name=_("target"),
        max_digits=20,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("The promised value, in the unit beside it; empty for a dated commitment."),
    )
    unit = models.CharField(
        verbose_name=_("unit"),
        max_length=32,
        choices=CommitmentUnit.choices,
        blank=True,
        help_text=_("Must fit the kind: 万元/亩 for investment per mu, 万元/亩·年 for tax per mu, ..."),
    )
    land_area = models.DecimalField(
        verbose_name=_("land area (mu)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The land the per-mu indicators are measured on, in mu (亩); required for them."),
    )
    due_on = models.DateField(
        verbose_name=_("due on"), null=True, blank=True, help_text=_("The date from which the promise is checked.")
    )
    due_offset_months = models.PositiveSmallIntegerField(
        verbose_name=_("due months after milestone"),
        null=True,
        blank=True,
        help_text=_("Instead of a date: due this many months after the project's actual milestone below."),
    )
    due_milestone = models.CharField(
        verbose_name=_("due after milestone"), max_length=24, choices=Stage.choices, blank=True
    )
    remedy = models.TextField(
        verbose_name=_("remedy"), blank=True, help_text=_("What the agreement provides if the promise is not kept.")
    )
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="commitments",
        help_text=_("The sentence of the agreement or report that states the promise."),
    )

    class Meta:
        ordering = ["project_id", "kind", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CommitmentKind.values),
                name="commitments_commitment_kind_valid",
                violation_error_message=_("Unknown commitment kind."),
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values),
                name="commitments_commitment_comparator_valid",
                violation_error_message=_("Unknown comparator."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DATED_KINDS, comparator=Comparator.BY_DATE, target__isnull=True, unit="")
                | (
                    ~Q(kind__in=DATED_KINDS)
                    & ~Q(comparator=Comparator.BY_DATE)
                    & Q(target__isnull=False, target__gte=0)
                ),
                name="commitments_commitment_target_fits_kind",
                violation_error_message=_(
                    "A dated commitment (start, complete, produce by) has no target and the comparator 'by date'; "
                    "any other has a target of at least 0 compared at least, at most or exactly."
                ),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DATED_KINDS)
                | Q(*[Q(kind=kind, unit__in=units) for kind, units in KIND_UNITS.items() if units], _connector=Q.OR),
                name="commitments_commitment_unit_fits_kind",
                violation_error_message=_("The unit does not fit the kind of commitment."),
            ),
            models.CheckConstraint(
                condition=Q(land_area__isnull=True) | Q(land_area__gt=0),
                name="commitments_commitment_land_area_positive",
                violation_error_message=_("A land area is more than 0 mu."),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=list(PER_MU_KINDS)) | Q(land_area__isnull=False),
                name="commitments_commitment_per_mu_needs_area",
                violation_error_message=_("A per-mu commitment needs the land area it is measured on."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=False, due_offset_months__isnull=True, due_milestone="")
                | Q(due_on__isnull=True, due_offset_months__isnull=False, due_milestone__in=Stage.values),
                name="commitments_commitment_one_due_date",
                violation_error_message=_(
                    "Give the due date, or a number of months after a milestone of the project, not both."
                ),
            ),
        ]

    def __str__(self) -> str:
        if self.kind in DATED_KINDS:
            return f"{self.project}: {self.get_kind_display()}"
        return f"{self.project}: {self.get_kind_display()} {self.get_comparator_display()} {self.target} {self.unit}"

    def clean(self) -> None:
        """Say which rule a commitment breaks, on its field (the constraints above only name themselves)."""
        super().clean()
        errors: dict[str, str] = {}
        units = KIND_UNITS.get(self.kind)
        if units is None:
            return
        if self.kind in DATED_KINDS:
            if self.comparator and self.comparator != Comparator.BY_DATE:
                errors["comparator"] = _("A dated commitment is kept by the due date: use 'by_date'.")
            if self.target is not None:
                errors["target"] = _("A dated commitment has no target value.")
            if self.unit:
                errors["unit"] = _("A dated commitment has no unit.")
        else:
            if self.comparator == Comparator.BY_DATE:
                errors["comparator"] = _("Compare a target at least, at most or exactly; 'by_date' is for dates.")
            if self.target is None:
                errors["target"] = _("This kind of commitment needs a target.")
            if self.unit not in units:
                errors["unit"] = _("%(kind)s is written in %(units)s, not %(unit)s.") % {
                    "kind": CommitmentKind(self.kind).label,
                    "units": unit_list(units),
                    "unit": self.unit or "''",
                }
        if self.kind in PER_MU_KINDS and self.land_area is None:
            errors["land_area"] = _("A per-mu commitment needs the land area it is measured on.")
        if self.due_on is None and (self.due_offset_months is None or not self.due_milestone):
            errors["due_on"] = _("Give the due date, or a number of months after a milestone of the project.")
        elif self.due_on is not None and (self.due_offset_months is not None or self.due_milestone):
            errors["due_on"] = _("Give the due date, or a number of months after a milestone of the project, not both.")
        if errors:
            raise ValidationError(errors)


@tracked
class CommitmentObservation(Located, TimeStampedModel):
    """What the project actually reached for one commitment in one year or quarter (a year's tax, the jobs at the
    end of a quarter), as a source reports it. A per-mu commitment's actual may be the total (1,200万元 of tax),
    which the verdict divides by the commitment's land area."""

    located_by = ("commitment",)

    commitment = models.ForeignKey(
        to="commitments.Commitment",
        verbose_name=_("commitment"),
        # The actuals of a promise mean nothing without it.
        on_delete=models.CASCADE,
        related_name="observations",
    )
    period = models.CharField(
        verbose_name=_("period"), max_length=7, help_text=_("A year (2024) or a quarter (2024-Q2).")
    )
    value = models.DecimalField(verbose_name=_("value"), max_digits=20, decimal_places=4)
    unit = models.CharField(verbose_name=_("unit"), max_length=32, choices=CommitmentUnit.choices)
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="commitment_observations",
        help_text=_("The sentence of the report that gives the value."),
    )
    note = models.TextField(verbose_name=_("note"), blank=True)

    class Meta:
        ordering = ["commitment_id", "period", "id"]
        verbose_name = _("commitment observation")
        verbose_name_plural = _("commitment observations")
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "period"],
                name="commitments_observation_unique_period",
                violation_error_message=_("This commitment already has a value for this period."),
            ),
            models.CheckConstraint(
                condition=Q(period__regex=PERIOD_PATTERN),
                name="commitments_observation_period_format",
                violation_error_message=_("Write the period as a year (2024) or a quarter (2024-Q2)."),
            ),
            models.CheckConstraint(
                condition=Q(unit__in=CommitmentUnit.values),
                name="commitments_observation_unit_valid",
                violation_error_message=_("Unknown unit."),
            ),
            models.CheckConstraint(
                condition=Q(value__gte=0),
                name="commitments_observation_value_non_negative",
                violation_error_message=_("An actual value cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} — {self.period}: {self.value} {self.unit}"

    def clean(self) -> None:
        super().clean()
        if not self.commitment_id:
            return
        kind = self.commitment.kind
        errors: dict[str, str] = {}
        if kind in DATED_KINDS:
            errors["commitment"] = _("A dated commitment is checked against the project's milestones, not values.")
        elif self.unit and self.unit not in observation_units(kind):
            errors["unit"] = _("An actual of %(kind)s is written in %(units)s, not %(unit)s.") % {
                "kind": CommitmentKind(kind).label,
                "units": unit_list(observation_units(kind)),
                "unit": self.unit,
            }
        if kind in YEARLY_KINDS and self.period and "-" in self.period:
            errors["period"] = _("%(kind)s is a year's figure: give a year (2024), not a quarter.") % {
                "kind": CommitmentKind(kind).label
            }
        if errors:
            raise ValidationError(errors)


class ComplianceStatus(models.TextChoices):
    MET = "met", _("met")
    BREACH = "breach", _("breach")
    PENDING = "pending", _("pending (due, no value reported)")
    NOT_YET_DUE = "not_yet_due", _("not yet due")


class Compliance(models.Model):
    """The verdict on one commitment for one period, worked out by the database view `commitments_compliance`
    (commitments/migrations/0002) whenever it is read: never stored, never written.

    A period counts from the first one that starts on or after the due date: an actual of an earlier period is
    `not_yet_due`; a later one is `met` or `breach` by the comparator (a per-mu actual given as a total is divided
    by the land area first). Each full year since the due date without any actual is `pending`. A commitment
    with no such row has one row without a period, `not_yet_due`. A dated commitment has one row without a
    period: `met` when an actual milestone of its stage (or a later one) is dated on or before the due date,
    `breach` when the due date has passed without one (or it came later). `id` is the commitment's id times
    100000 plus the period (year times 10, plus its quarter).
    """

    id = models.BigIntegerField(primary_key=True)
    commitment = models.ForeignKey(
        to="commitments.Commitment",
        verbose_name=_("commitment"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    project = models.ForeignKey(
        to="projects.Project",
        verbose_name=_("project"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=32, choices=CommitmentKind.choices)
    period = models.CharField(verbose_name=_("period"), max_length=7, null=True)  # noqa: DJ001 - none for a dated row
    period_start = models.DateField(verbose_name=_("period start"), null=True)
    status = models.CharField(verbose_name=_("status"), max_length=16, choices=ComplianceStatus.choices)
    due_on = models.DateField(verbose_name=_("due on"), null=True)
    observation = models.ForeignKey(
        to="commitments.CommitmentObservation",
        verbose_name=_("observation"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    observed_value = models.DecimalField(verbose_name=_("observed value"), max_digits=20, decimal_places=4, null=True)
    observed_unit = models.CharField(verbose_name=_("observed unit"), max_length=32, null=True)  # noqa: DJ001
    actual = models.DecimalField(verbose_name=_("actual"), max_digits=24, decimal_places=4, null=True)
    reached_on = models.DateField(verbose_name=_("milestone reached on"), null=True)

    class Meta:
        managed = False
        db_table = "commitments_compliance"
        ordering = ["id"]
        verbose_name = _("compliance")
        verbose_name_plural = _("compliance")

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.period or ''}: {self.status}"
