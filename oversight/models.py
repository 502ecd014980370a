"""Warning rules per region and the warnings they raise on projects (issue 22, item 1)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Located, TimeStampedModel, tracked
from oversight.rules import PARAMETER_FIELDS, PARAMETERS, Level, RuleCode


def _states_exactly_its_parameters() -> Q:
    """Each code carries the parameters it reads and no other."""
    condition = Q(pk__in=[])
    for code, names in PARAMETERS.items():
        condition |= Q(code=code, **{f"{name}__isnull": name not in names for name in PARAMETER_FIELDS})
    return condition


@tracked
class WarningRule(Located, TimeStampedModel):
    """A region's version of a warning rule: it holds in the region and every region below it, unless a region
    nearer to the project sets the rule again. Where no region sets a rule, its built-in default holds
    (`oversight.rules.DEFAULTS`). An inactive rule switches the warning off for the subtree."""

    located_by = ("region",)

    Code = RuleCode
    Level = Level

    region = models.ForeignKey(
        to="regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="warning_rules"
    )
    code = models.CharField(verbose_name=_("rule"), max_length=24, choices=RuleCode.choices)
    level = models.CharField(verbose_name=_("level"), max_length=8, choices=Level.choices)
    months = models.PositiveSmallIntegerField(
        verbose_name=_("months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Signed not started, no new funds, low funds: the months that must pass."),
    )
    days = models.PositiveSmallIntegerField(
        verbose_name=_("days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("No follow-up, too long in one stage: the days that must pass."),
    )
    share_percent = models.DecimalField(
        verbose_name=_("share of the agreed investment (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Low funds: funds in place below this share of the planned investment."),
    )
    red_after_months = models.PositiveSmallIntegerField(
        verbose_name=_("red after (months)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Planned start slipped: yellow at once, red once the start is this many months late."),
    )
    is_active = models.BooleanField(
        verbose_name=_("active"), default=True, help_text=_("Off: no warning of this rule in the region's subtree.")
    )
    note = models.TextField(verbose_name=_("note"), blank=True, help_text=_("Where the rule comes from."))

    class Meta:
        ordering = ["region__code", "code", "id"]
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "code"],
                name="oversight_warningrule_one_per_region",
                violation_error_message=_("This region already sets this rule."),
            ),
            models.CheckConstraint(
                condition=Q(code__in=RuleCode.values),
                name="oversight_warningrule_code_valid",
                violation_error_message=_("Unknown rule."),
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values),
                name="oversight_warningrule_level_valid",
                violation_error_message=_("Unknown level."),
            ),
            models.CheckConstraint(
                condition=_states_exactly_its_parameters(),
                name="oversight_warningrule_parameters_of_its_code",
                violation_error_message=_("A rule states exactly the parameters its code reads."),
            ),
            models.CheckConstraint(
                condition=(Q(months__isnull=True) | Q(months__gte=1))
                & (Q(days__isnull=True) | Q(days__gte=1))
                & (Q(red_after_months__isnull=True) | Q(red_after_months__gte=1))
                & (Q(share_percent__isnull=True) | Q(share_percent__gt=0, share_percent__lte=100)),
                name="oversight_warningrule_parameters_positive",
                violation_error_message=_("Months and days are at least 1; a share is above 0 and at most 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region}: {self.get_code_display()}"

    def clean(self) -> None:
        super().clean()
        if self.code not in PARAMETERS:
            return
        wanted = PARAMETERS[self.code]
        errors = {}
        for name in PARAMETER_FIELDS:
            value = getattr(self, name)
            if name in wanted and value is None:
                errors[name] = _("This rule needs this parameter.")
            elif name not in wanted and value is not None:
                errors[name] = _("This rule does not read this parameter; leave it empty.")
        if errors:
            raise ValidationError(errors)


@tracked
class ProjectWarning(Located, TimeStampedModel):
    """A warning a rule raised on a project: open until the rule no longer holds or someone resolves it.

    Written by `oversight.services.evaluate_warnings` (one open warning per project and rule: the database
    keeps it so). Snoozing keeps it open but out of the red/yellow list until a date; a project on hold is
    still warned about, and listed apart (`on_hold`).
    """

    located_by = ("project",)
    # Rewritten by every evaluation: not a change anybody made, so not in the history.
    derived_fields = ("last_evaluated_at", "evidence", "version")

    project = models.ForeignKey(
        to="projects.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="warnings"
    )
    rule = models.CharField(verbose_name=_("rule"), max_length=24, choices=RuleCode.choices)
    rule_setting = models.ForeignKey(
        to="oversight.WarningRule",
        verbose_name=_("region's rule"),
        on_delete=models.SET_NULL,
        related_name="warnings",
        null=True,
        blank=True,
        help_text=_("The region's rule that raised it; empty: the built-in default."),
    )
    level = models.CharField(verbose_name=_("level"), max_length=8, choices=Level.choices)
    first_seen_at = models.DateTimeField(verbose_name=_("first seen"), default=timezone.now)
    last_evaluated_at = models.DateTimeField(verbose_name=_("last evaluated"), default=timezone.now)
    evidence = models.JSONField(
        verbose_name=_("evidence"), default=dict, blank=True, help_text=_("The dates and amounts the rule read.")
    )
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        related_name="resolved_warnings",
        null=True,
        blank=True,
        help_text=_("Empty when the evaluation found the rule no longer holds."),
    )
    snoozed_until = models.DateField(verbose_name=_("snoozed until"), null=True, blank=True)
    snooze_reason = models.TextField(verbose_name=_("reason for snoozing"), blank=True)
    snoozed_by = models.ForeignKey(
        to=settings.AUTH_USER_MODEL,
        verbose_name=_("snoozed by"),
        on_delete=models.PROTECT,
        related_name="snoozed_warnings",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["level", "first_seen_at", "id"]
        verbose_name = _("project warning")
        verbose_name_plural = _("project warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "rule"],
                condition=Q(resolved_at__isnull=True),
                name="oversight_projectwarning_one_open_per_rule",
                violation_error_message=_("This project already has an open warning of this rule."),
            ),
            models.CheckConstraint(
                condition=Q(rule__in=RuleCode.values),
                name="oversight_projectwarning_rule_valid",
                violation_error_message=_("Unknown rule."),
            ),
            models.CheckConstraint(
                condition=Q(level__in=Level.values),
                name="oversight_projectwarning_level_valid",
                violation_error_message=_("Unknown level."),
            ),
            models.CheckConstraint(
                condition=Q(last_evaluated_at__gte=F("first_seen_at")),
                name="oversight_projectwarning_evaluated_after_seen",
                violation_error_message=_("A warning is evaluated after it is first seen."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("first_seen_at")),
                name="oversight_projectwarning_resolved_after_seen",
                violation_error_message=_("A warning is resolved after it is first seen."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_by__isnull=True) | Q(resolved_at__isnull=False),
                name="oversight_projectwarning_resolver_of_resolved",
                violation_error_message=_("Only a resolved warning names who resolved it."),
            ),
            models.CheckConstraint(
                condition=Q(snoozed_until__isnull=True, snooze_reason="", snoozed_by__isnull=True)
                | (Q(snoozed_until__isnull=False) & Q(snooze_reason__regex=r"\S")),
                name="oversight_projectwarning_snooze_has_reason_and_date",
                violation_error_message=_("Snoozing needs a reason and a date."),
            ),
        ]
        indexes = [
            models.Index(fields=["level", "first_seen_at", "id"], name="projectwarning_open_idx",
                         condition=Q(resolved_at__isnull=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.project}: {self.get_rule_display()} ({self.get_level_display()})"


#
# Signing events: the cohorts of the funnel (issue 22, item 3)
#


@tracked
class SigningEvent(Located, TimeStampedModel):
    """A signing ceremony (签约仪式, 集中签约活动) a region held on a day, at which projects were signed together: Gansu
    reports conversion per such event (a cohort). The projects signed at it are its members (`SigningEventProject`),
    each a member of one event at most."""

    located_by = ("region",)

    name = models.CharField(verbose_name=_("name"), max_length=300)
    date = models.DateField(verbose_name=_("date"), help_text=_("The day of the signing."))
    region = models.ForeignKey(
        to="regions.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="signing_events",
        help_text=_("The region that held it: its projects lie in this region or below it."),
    )
    note = models.TextField(verbose_name=_("note"), blank=True)

    class Meta:
        ordering = ["-date", "name", "id"]
        verbose_name = _("signing event")
        verbose_name_plural = _("signing events")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name", "date"],
                name="oversight_signingevent_unique_region_name_date",
                violation_error_message=_("This region already has a signing event of this name on this day."),
            ),
            models.CheckConstraint(
                condition=Q(name__regex=r"\S"),
                name="oversight_signingevent_name_not_blank",
                violation_error_message=_("A signing event needs a name."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date.isoformat()})"

    @property
    def member_projects(self) -> list:
        """The projects signed at the event, by name (from the prefetched memberships, if any)."""
        return sorted((m.project for m in self.memberships.all()), key=lambda project: (project.name, project.pk))


@tracked
class SigningEventProject(Located, TimeStampedModel):
    """A project signed at a signing event. A project is signed once: it belongs to one event at most (the database
    keeps it so), and it lies in the event's region or below it (`oversight.services.signing_event_set_projects`)."""

    located_by = ("event",)

    event = models.ForeignKey(
        to="oversight.SigningEvent",
        verbose_name=_("signing event"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    project = models.ForeignKey(
        to="projects.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="signing_memberships",
    )

    class Meta:
        ordering = ["event_id", "project_id"]
        verbose_name = _("project signed at an event")
        verbose_name_plural = _("projects signed at the event")
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                name="oversight_signingeventproject_one_event_per_project",
                violation_error_message=_("This project was signed at another signing event already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.project}"

    def clean(self) -> None:
        super().clean()
        # In the admin the event may be new (unsaved): its region is what counts.
        event = self.event if self.event_id or "event" in self._state.fields_cache else None
        if event is None or event.region_id is None or self.project_id is None:
            return
        if not _within(self.project.region.path, event.region.path):
            raise ValidationError({"project": _("The project lies outside the region that held the signing event.")})


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith(f"{ancestor}.")
