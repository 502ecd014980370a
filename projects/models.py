from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import CURRENCY_CHOICES, DEFAULT_CURRENCY, DatePrecision, Qualifier
from core.constraints import date_precision_constraint, non_negative_constraint, qualifier_constraint
from core.dates import PartialDate, format_partial_date
from core.fields import MoneyField, date_precision_field
from core.models import Located, TimeStampedModel, local_name, tracked
from core.search import document_grams_field, document_index, document_trigram_index
from core.slugs import SlugFromName
from projects import national_code

CURRENCIES = [code for code, _label in CURRENCY_CHOICES]


class Stage(models.TextChoices):
    """The investment-promotion funnel, plus the two ways out of it."""

    CONCEIVED = "conceived", _("conceived (谋划)")
    NEGOTIATING = "negotiating", _("negotiating (洽谈)")
    SIGNED = "signed", _("signed (签约)")
    LANDED = "landed", _("landed (落地)")
    CONSTRUCTION_STARTED = "construction_started", _("construction started (开工)")
    IN_PRODUCTION = "in_production", _("in production (投产)")
    AT_CAPACITY = "at_capacity", _("at design capacity (达产)")
    ON_HOLD = "on_hold", _("on hold")
    CANCELLED = "cancelled", _("cancelled")


# Funnel order; the current stage of a project is the furthest one an actual milestone reached.
FUNNEL = [
    Stage.CONCEIVED,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.LANDED,
    Stage.CONSTRUCTION_STARTED,
    Stage.IN_PRODUCTION,
    Stage.AT_CAPACITY,
]
STAGE_RANK = {stage: rank for rank, stage in enumerate(FUNNEL, start=1)}
EXIT_STAGES = [Stage.ON_HOLD, Stage.CANCELLED]


class ProjectKind(models.TextChoices):
    PROJECT = "project", _("project")
    PROGRAMME = "programme", _("programme or cluster")


def states_its_total() -> Q:
    """A programme whose planned investment the source states exactly ("two projects ... totaling 2.95 billion")."""
    return Q(kind=ProjectKind.PROGRAMME, investment_qualifier=Qualifier.EXACT, planned_investment__isnull=False)


def counts_in_totals() -> Q:
    """The rows whose planned investment goes into a total, so that no yuan counts twice and none is lost.

    A project counts, unless its programme states its total exactly: the programme's total then counts
    instead of its projects' amounts (which the source often gives only as bounds, "each more than 1
    billion"). A programme counts only then; otherwise its projects count and its own figure, a restatement
    of theirs or a bound, does not. Summaries, the dashboard and the list's `counts_in_totals` all read this; the
    summaries' rollup states it again in SQL (projects/migrations/0020, `projects_summary_facts`), and
    tests/projects/test_summary_rollup.py holds the two equal.
    """
    # The row's own programme is looked up by its key, not sought among every stated programme (`NOT IN`):
    # the stated programmes' partial index needs literal values, a prepared statement's generic plan has
    # parameters, so that form cost a scan of the table and PostgreSQL planned every detail again (1.5 ms of
    # its 3). Most projects have no programme and skip the lookup: a summary over every row costs the same.
    programme_states_it = Exists(Project.objects.filter(states_its_total(), pk=OuterRef("programme_id")))
    return states_its_total() | (Q(kind=ProjectKind.PROJECT) & (Q(programme__isnull=True) | ~programme_states_it))


# The investment statistics (固定资产投资统计, 纳统) take in a project of at least 5 million yuan of planned total
# investment once it has started construction.
FAI_THRESHOLD = Decimal("5000000.00")
# An exact or approximate figure of at least the threshold, or a lower bound at or above it ("more than 5
# million"), shows the plan reaches it; an upper bound ("less than 8 million") never does.
FAI_QUALIFIERS = [Qualifier.EXACT, Qualifier.ABOUT, Qualifier.MORE_THAN, Qualifier.AT_LEAST]
# Started: an actual milestone of construction start or of a later stage (a project in production has started,
# whether or not its start was recorded), as the oversight rules read it.
STARTED_STAGES = FUNNEL[FUNNEL.index(Stage.CONSTRUCTION_STARTED) :]


def fai_eligible() -> Q:
    """The projects the investment statistics take in (纳统): at least 5,000,000 yuan planned (`FAI_QUALIFIERS`
    say which figures show it; an amount in another currency is not converted, so it does not) and started (an
    actual milestone in `STARTED_STAGES`). One expression for the API's `fai_eligible`, the list filters and the
    admin; every part of it is true or false, never null."""
    started = Milestone.objects.filter(project_id=OuterRef("pk"), is_planned=False, stage__in=STARTED_STAGES)
    return Q(
        planned_investment__isnull=False,
        planned_investment__gte=FAI_THRESHOLD,
        currency=DEFAULT_CURRENCY,
        investment_qualifier__in=FAI_QUALIFIERS,
    ) & Exists(started)


def fai_pending() -> Q:
    """Eligible for the investment statistics but not yet entered (待入库)."""
    return fai_eligible() & Q(fai_registered_at__isnull=True)


@tracked
class Project(Located, TimeStampedModel, SlugFromName):
    """An investment project or lead that the bureau promotes, from first idea to full capacity.

    A programme (an industry cluster, a block's set of projects) is a project of kind
    `programme`; projects in it point to it. Totals count each yuan once (`counts_in_totals`): a
    programme's exactly stated total stands for its projects' amounts, otherwise its projects count.
    """

    located_by = ("region",)
    # Kept by the database from the region and industry trees (see the fields): in no form, serializer,
    # filter or history of their own.
    derived_fields = ("region_codes", "industry_codes")
    # As of a past moment (core.asof), worked out again by the functions the triggers use: the region codes of
    # the region the project was in then; the industry codes of its links now (the links have no history).
    as_of_derived = {
        "region_codes": "projects_region_codes({row}.region_id)",
        "industry_codes": "projects_industry_codes({row}.pgh_obj_id)",
    }

    Kind = ProjectKind
    Stage = Stage

    name = models.CharField(verbose_name=_("name"), max_length=300)
    name_zh = models.CharField(verbose_name=_("Chinese name"), max_length=300, blank=True)
    aliases = ArrayField(models.CharField(max_length=300), verbose_name=_("aliases"), default=list, blank=True)
    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_("Latin letters, digits and hyphens; left empty, it is made from the name (pinyin for Chinese)."),
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=ProjectKind.choices, default="project")
    programme = models.ForeignKey(
        to="projects.Project",
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        related_name="component_projects",
        null=True,
        blank=True,
        limit_choices_to={"kind": ProjectKind.PROGRAMME},
    )
    description = models.TextField(verbose_name=_("description"), blank=True)
    region = models.ForeignKey(
        to="regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="projects"
    )
    industries = models.ManyToManyField(
        to="industries.Industry", verbose_name=_("industries"), related_name="projects", blank=True
    )
    stage = models.CharField(verbose_name=_("stage"), max_length=24, choices=Stage.choices, default=Stage.CONCEIVED)
    stage_reason = models.TextField(
        verbose_name=_("reason for hold or cancellation"),
        blank=True,
        help_text=_("Required when the project is on hold or cancelled."),
    )
    planned_investment = MoneyField(
        verbose_name=_("planned total investment (总投资)"),
        null=True,
        blank=True,
        help_text=_("Yuan (or the currency below). Empty when the source gives no amount."),
    )
    currency = models.CharField(
        verbose_name=_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY
    )
    investment_qualifier = models.CharField(
        verbose_name=_("investment qualifier"),
        max_length=16,
        choices=Qualifier.choices,
        blank=True,
        help_text=_("'more than' keeps a bound a bound: 'exceeding one billion' is not one billion."),
    )
    investment_citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("investment citation"),
        on_delete=models.PROTECT,
        related_name="project_investments",
        null=True,
        blank=True,
    )
    tracked_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        verbose_name=_("tracked by (跟踪人)"),
        on_delete=models.SET_NULL,
        related_name="tracked_projects",
        null=True,
        blank=True,
    )
    # NULL when unknown, never "": the unique constraint lets any number of projects lack a code.
    national_code = models.CharField(  # noqa: DJ001
        verbose_name=_("national project code (项目代码)"),
        max_length=national_code.LENGTH,
        null=True,
        blank=True,
        help_text=_(
            "The 24-character code of the national investment project online approval platform, e.g. "
            "2111-522323-04-01-342068: year-month, GB/T 2260 region, department, type, random digits and check "
            "character. Empty when unknown."
        ),
    )
    fai_registered_at = models.DateField(
        verbose_name=_("entered the investment statistics on (纳统入库日期)"),
        null=True,
        blank=True,
        help_text=_("The day the statistics bureau took the project into the fixed-asset investment statistics."),
    )
    # Filter keys the database keeps (projects/migrations/0012): the codes of the project's region and of every
    # region above it, and of its industries and every broader one. A list filtered by a subtree is then an
    # indexed containment test on the project's own row, with the code as the client wrote it: no join, no
    # lookup of the code first, and the planner can tell a county's hundred projects from a province's
    # hundred thousand (see docs/operations/performance.md, "Filtered lists").
    region_codes = ArrayField(
        models.CharField(max_length=32),
        verbose_name=_("region codes"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("The region's code and those of the regions above it, maintained by the database."),
    )
    industry_codes = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("industry codes"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("The industries' codes and those of the broader industries, maintained by the database."),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")
        constraints = [
            models.CheckConstraint(
                condition=~Q(slug=""),
                name="projects_project_slug_not_empty",
                violation_error_message=_("A record needs a slug."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ProjectKind.values),
                name="projects_project_kind_valid",
                violation_error_message=_("Unknown project kind."),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="projects_project_stage_valid",
                violation_error_message=_("Unknown stage."),
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=EXIT_STAGES) | Q(stage_reason__regex=r"\S"),
                name="projects_project_exit_needs_reason",
                violation_error_message=_("A project on hold or cancelled needs the reason."),
            ),
            models.CheckConstraint(
                condition=Q(currency__in=CURRENCIES),
                name="projects_project_currency_valid",
                violation_error_message=_("Unknown currency."),
            ),
            non_negative_constraint("projects_project", "planned_investment"),
            qualifier_constraint("projects_project", "planned_investment", "investment_qualifier"),
            models.CheckConstraint(
                condition=~Q(programme=F("id")),
                name="projects_project_not_own_programme",
                violation_error_message=_("A project cannot be part of itself."),
            ),
            models.CheckConstraint(
                condition=Q(programme__isnull=True) | Q(kind=ProjectKind.PROJECT),
                name="projects_project_programmes_not_nested",
                violation_error_message=_("Only projects, not programmes, belong to a programme."),
            ),
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"),
                name="projects_project_name_not_blank",
                violation_error_message=_("A project needs a name."),
            ),
            models.CheckConstraint(
                condition=Q(national_code__isnull=True) | Q(national_code__regex=national_code.FORMAT),
                name="projects_project_national_code_format",
                violation_error_message=_(
                    "A national project code has 24 characters in five segments: YYMM-RRRRRR-DD-PP-NNNNNN."
                ),
            ),
            models.UniqueConstraint(
                fields=["national_code"],
                name="projects_project_national_code_unique",
                violation_error_message=_("Another project already has this national project code."),
                violation_error_code="unique",
            ),
        ]
        indexes = [
            # The programmes whose total stands for their projects' amounts (counts_in_totals): every total
            # and every list page asks which they are, and they are a few among all projects.
            models.Index(fields=["id"], condition=states_its_total(), name="project_stated_totals_idx"),
            models.Index(fields=["stage", "id"], name="projects_project_stage_idx"),
            models.Index(fields=["region", "id"], name="projects_project_region_idx"),
            # A stage within a region subtree (the dashboard's "signed in Lishui"): one index range per
            # region of the subtree, instead of every project at that stage (tier M: 700 ms -> 56 ms).
            models.Index(fields=["stage", "region"], name="project_stage_region_idx"),
            # Filtered lists (issue 13): any region or industry subtree, as one index lookup each ...
            GinIndex(fields=["region_codes"], name="project_region_codes_idx"),
            GinIndex(fields=["industry_codes"], name="project_industry_codes_idx"),
            # ... and a page in the default order walked through the index of that order, the filters read
            # from the index entry itself (an index-only scan): a filtered page reads no table row it does
            # not return. The stage comes first in the second, so a stage's page skips the other stages.
            models.Index(
                fields=["name", "id"],
                include=["stage", "region_codes", "industry_codes", "planned_investment"],
                name="project_name_filters_idx",
            ),
            models.Index(
                fields=["stage", "name", "id"],
                include=["region_codes", "industry_codes", "planned_investment"],
                name="project_stage_name_idx",
            ),
            # The other documented orders (?ordering=, either direction: the id tiebreak follows it).
            models.Index(fields=["planned_investment", "id"], name="project_investment_order_idx"),
            models.Index(fields=["created_at", "id"], name="project_created_order_idx"),
            models.Index(fields=["updated_at", "id"], name="project_updated_order_idx"),
        ]

    def __str__(self) -> str:
        return local_name(self)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.programme_id and self.programme and self.programme.kind != ProjectKind.PROGRAMME:
            errors["programme"] = _("Only a programme can contain projects.")
        errors.update(self._national_code_errors())
        if self.fai_registered_at and self.fai_registered_at > timezone.localdate():
            errors["fai_registered_at"] = _("The project cannot have entered the statistics on a future day.")
        if self.pk and self.stage not in EXIT_STAGES:
            reached = derived_stage(self)
            if reached and reached != self.stage:
                errors["stage"] = _(
                    "The milestones show this project reached %(reached)s; record a milestone to change its stage."
                ) % {"reached": Stage(reached).label}
        if errors:
            raise ValidationError(errors)

    def _national_code_errors(self) -> dict[str, str]:
        """The code's form, its year-month and its region (projects.national_code says what is checked, and why
        the check character is not). Empty is unknown: stored as NULL."""
        if self.national_code is not None:
            self.national_code = national_code.normalise(self.national_code) or None
        if not self.national_code:
            return {}
        code = national_code.parse(self.national_code)
        if code is None:
            return {"national_code": national_code.format_problem(self.national_code)}
        problem = national_code.time_problem(code.time, timezone.localdate())
        if problem:
            return {"national_code": problem}
        from regions.models import Region

        region = Region.objects.filter(code=code.region).only("path", "code", "name", "name_zh").first()
        if region is None:
            return {"national_code": _("No region has the code %(code)s of GB/T 2260.") % {"code": code.region}}
        own = self.region if self.region_id else None
        if own is not None and not (_on_branch(own.path, region.path) or _on_branch(region.path, own.path)):
            return {
                "national_code": _(
                    "The code's region %(code_region)s is not on the branch of the project's region %(region)s "
                    "(that region, one above it or one below it)."
                )
                % {"code_region": region, "region": own}
            }
        return {}


def _on_branch(path: str, ancestor_path: str) -> bool:
    """Whether the record at `path` is the one at `ancestor_path` or below it (materialised paths of ids)."""
    return path == ancestor_path or path.startswith(ancestor_path + ".")


def derived_stage(project: Project) -> str | None:
    """The furthest funnel stage an actual milestone of the project reached, if any."""
    stages = project.milestones.filter(is_planned=False, stage__in=FUNNEL).values_list("stage", flat=True)
    return max(stages, key=STAGE_RANK.__getitem__, default=None)


class SearchDocument(models.Model):
    """The names a project is found by (issue 10, item 1): its own, then its region's and every region's above it,
    its industries' and every broader one's, and those of the companies taking part, one name a line, normalised
    (core.search). `?search=` and the admin's search read it through its index: 龙泉 finds the projects in
    Longquan, 科伦 those Kelun takes part in.

    One row a project, written by the database alone (projects/migrations/0015) whenever one of those names
    changes: never by the app, never in a form, serializer or history, and no change of the project (its version
    and history stay). A table of its own, so that the project rows the lists walk stay narrow.
    """

    project = models.OneToOneField(
        Project,
        verbose_name=_("project"),
        primary_key=True,
        # The database's own trigger deletes the row with its project.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="search_document",
        editable=False,
    )
    document = models.TextField(verbose_name=_("search text"), editable=False)
    grams = document_grams_field()

    # The column naming the record a document is for (core.search.document_search).
    owner_column = "project_id"

    class Meta:
        ordering = ["project"]
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")
        indexes = [
            document_index("project_search_grams_idx"),
            document_trigram_index("project_search_trgm_idx", "document"),
        ]

    def __str__(self) -> str:
        return self.document.split("\n", 1)[0]


@tracked
class Milestone(Located, TimeStampedModel):
    """A dated step of a project through the funnel, actual or planned, with what backs it.

    The date is stored as the first day of its precision: "July 2024" is 2024-07-01 at month
    precision. Actual milestones move the project's stage (a database trigger keeps it in step).
    """

    located_by = ("project",)

    project = models.ForeignKey(
        to="projects.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    stage = models.CharField(verbose_name=_("stage"), max_length=24, choices=Stage.choices)
    date = models.DateField(verbose_name=_("date"))
    date_precision = date_precision_field()
    is_planned = models.BooleanField(
        verbose_name=_("planned"), default=False, help_text=_("A target date rather than something that happened.")
    )
    note = models.TextField(verbose_name=_("note"), blank=True)
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="milestones",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["project_id", "date", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "stage", "is_planned"],
                name="projects_milestone_unique_stage",
                violation_error_message=_("This project already has this milestone."),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="projects_milestone_stage_valid",
                violation_error_message=_("Unknown stage."),
            ),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="projects_milestone_precision_valid",
                violation_error_message=_("Unknown date precision."),
            ),
            date_precision_constraint("projects_milestone", "date", "date_precision"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.get_stage_display()} {format_partial_date(self.date, self.date_precision)}"


@tracked
class FundsInPlace(Located, TimeStampedModel):
    """Money actually arrived for a project (到位资金), cumulative up to a date known to a precision.

    Like a milestone's, the date is stored as the first day of its precision: "by March 2024" is
    2024-03-01 at month precision, shown as `2024-03`.
    """

    located_by = ("project",)

    project = models.ForeignKey(
        to="projects.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="funds_in_place"
    )
    as_of = models.DateField(verbose_name=_("as of"))
    as_of_precision = date_precision_field()
    amount = MoneyField(verbose_name=_("cumulative amount"))
    currency = models.CharField(
        verbose_name=_("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY
    )
    qualifier = models.CharField(
        verbose_name=_("qualifier"), max_length=16, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="funds_in_place",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["project_id", "as_of", "id"]
        verbose_name = _("funds in place (到位资金)")
        verbose_name_plural = _("funds in place (到位资金)")
        constraints = [
            # One figure per period, a period being its first day and its precision: "by March 2024"
            # (2024-03 at month precision) and "by 1 March 2024" (the day 2024-03-01) share a first
            # day but are different statements, and so are a year's figure and its December's, which
            # often come from different reports; the cumulative rule in clean() keeps them consistent.
            models.UniqueConstraint(
                fields=["project", "as_of", "as_of_precision"],
                name="projects_fundsinplace_unique_period",
                violation_error_message=_("This project already has a figure for this date."),
            ),
            date_precision_constraint("projects_fundsinplace", "as_of", "as_of_precision"),
            non_negative_constraint("projects_fundsinplace", "amount"),
            qualifier_constraint("projects_fundsinplace", "amount"),
            models.CheckConstraint(
                condition=Q(currency__in=CURRENCIES),
                name="projects_fundsinplace_currency_valid",
                violation_error_message=_("Unknown currency."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.amount} {self.currency} by {self.as_of_display}"

    @property
    def as_of_display(self) -> str:
        """The date as it is typed and shown: `2024-03` at month precision, `2024` at year precision."""
        return format_partial_date(self.as_of, self.as_of_precision)

    @property
    def period(self) -> PartialDate:
        return PartialDate(self.as_of, self.as_of_precision or DatePrecision.DAY)

    def clean(self) -> None:
        """Funds are cumulative: a figure is never less than one surely dated before it.

        A figure "by 2024-03" is known only to fall somewhere in March, so two figures are compared
        only when their order is certain: when one's period ends on or before the day the other's
        begins (`funds_surely_before`). A year's figure and a month inside it are not compared;
        day-precision figures compare exactly as plain dates did.
        """
        super().clean()
        if not (self.project_id and self.as_of and self.amount is not None):
            return
        others = FundsInPlace.objects.filter(project_id=self.project_id).exclude(pk=self.pk)
        others = list(others.only("as_of", "as_of_precision", "amount"))
        earlier = [other for other in others if funds_surely_before(other.period, self.period)]
        later = [other for other in others if funds_surely_before(self.period, other.period)]
        most_before = max(earlier, key=lambda other: other.amount, default=None)
        least_after = min(later, key=lambda other: other.amount, default=None)
        if most_before and most_before.amount > self.amount:
            raise ValidationError(
                {
                    "amount": _("Funds in place are cumulative: %(amount)s had already arrived by %(date)s.")
                    % {"amount": most_before.amount, "date": most_before.as_of_display}
                }
            )
        if least_after and least_after.amount < self.amount:
            raise ValidationError(
                {
                    "amount": _("Funds in place are cumulative: only %(amount)s had arrived by the later %(date)s.")
                    % {"amount": least_after.amount, "date": least_after.as_of_display}
                }
            )


def funds_surely_before(first: PartialDate, second: PartialDate) -> bool:
    """Whether whatever day `first` stands for is surely no later than the day `second` stands for:
    `first`'s period ends on or before the day `second`'s begins (2024-03-31 or `2024-03` before
    `2024-04`, `2024-Q1` before `2024-03-31`; but not `2024` before `2024-06`)."""
    return first.last_day <= second.date


class ParticipantRole(models.TextChoices):
    INVESTOR = "investor", _("investor")
    LEAD_INVESTOR = "lead_investor", _("lead investor")
    OPERATOR = "operator", _("operator")
    PARTNER = "partner", _("partner")
    PROMOTING_AGENCY = "promoting_agency", _("promoting agency")


@tracked
class Participant(Located, TimeStampedModel):
    """A company's part in a project: investor, lead investor, operator, partner or promoter."""

    located_by = ("project",)

    Role = ParticipantRole

    project = models.ForeignKey(
        to="projects.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="participants"
    )
    company = models.ForeignKey(
        to="companies.Company", verbose_name=_("company"), on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(verbose_name=_("role"), max_length=20, choices=ParticipantRole.choices)
    share = models.DecimalField(
        verbose_name=_("share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Share of the investment in percent, when known."),
    )
    note = models.TextField(verbose_name=_("note"), blank=True)
    citation = models.ForeignKey(
        to="sources.Citation",
        verbose_name=_("citation"),
        on_delete=models.PROTECT,
        related_name="participations",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["project_id", "role", "id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "company", "role"],
                name="projects_participant_unique_role",
                violation_error_message=_("This company already has this role in the project."),
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(role="lead_investor"),
                name="projects_participant_one_lead_investor",
                violation_error_message=_("A project has at most one lead investor."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=ParticipantRole.values),
                name="projects_participant_role_valid",
                violation_error_message=_("Unknown role."),
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gt=0, share__lte=100),
                name="projects_participant_share_percent",
                violation_error_message=_("A share is a percentage above 0 and at most 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.get_role_display()}) in {self.project}"


@tracked
class FollowUp(Located, TimeStampedModel):
    """An entry in a project's follow-up log: what the tracking officer did and what comes next."""

    located_by = ("project",)

    project = models.ForeignKey(
        to="projects.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    happened_on = models.DateField(verbose_name=_("date"))
    author = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
        null=True,
        blank=True,
    )
    action = models.TextField(verbose_name=_("what was done"))
    next_step = models.TextField(verbose_name=_("next step"), blank=True)
    next_step_due = models.DateField(verbose_name=_("next step due"), null=True, blank=True)

    class Meta:
        ordering = ["project_id", "-happened_on", "-id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(next_step_due__isnull=True) | Q(next_step_due__gte=F("happened_on")),
                name="projects_followup_due_not_before_date",
                violation_error_message=_("The next step cannot be due before the follow-up itself."),
            ),
            models.CheckConstraint(
                condition=Q(action__regex=r"\S"),
                name="projects_followup_action_not_blank",
                violation_error_message=_("Say what was done."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.happened_on}: {self.action[:40]}"
