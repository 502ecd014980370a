"""The warning rules a bureau applies to its pipeline (红黄绿灯), and their built-in defaults.

Each rule has a code, a level and the parameters its code reads. A region may set its own version of a
rule (`WarningRule`); a project is judged by the rule of the nearest region above it (its own first) that
sets one, else by the default below. The defaults are the published city rules of issue 22: Weinan's 项目体检
(signed, not started after 12 months; started, no funds in place for 3 consecutive months; started more than
6 months with funds in place under 15 % of the agreed amount), Yinchuan's slipped start (yellow, red after 3
months), two the bureau's staff asked for (no follow-up in 90 days; more than 365 days in one stage), and the
breach of an investment agreement's commitment (履约监管, issue 23: a period whose verdict is `breach`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class RuleCode(models.TextChoices):
    SIGNED_NOT_STARTED = "signed_not_started", _("signed, not started")
    NO_NEW_FUNDS = "no_new_funds", _("started, no funds in place for months")
    LOW_FUNDS = "low_funds", _("started, funds in place below a share of the agreed investment")
    START_SLIPPED = "start_slipped", _("planned start slipped")
    NO_FOLLOW_UP = "no_follow_up", _("no follow-up")
    STALLED_IN_STAGE = "stalled_in_stage", _("too long in one stage")
    COMMITMENT_BREACHED = "commitment_breached", _("commitment breached")


# The typed parameters a rule may carry; each code reads some of them (PARAMETERS).
PARAMETER_FIELDS = ("months", "days", "share_percent", "red_after_months")


@dataclass(frozen=True)
class Default:
    """What a rule is where no region sets it."""

    level: str
    months: int | None = None
    days: int | None = None
    share_percent: Decimal | None = None
    red_after_months: int | None = None

    def parameters(self) -> dict[str, int | Decimal | None]:
        return {name: getattr(self, name) for name in PARAMETER_FIELDS}


DEFAULTS: dict[str, Default] = {
    RuleCode.SIGNED_NOT_STARTED: Default(Level.RED, months=12),
    RuleCode.NO_NEW_FUNDS: Default(Level.RED, months=3),
    RuleCode.LOW_FUNDS: Default(Level.RED, months=6, share_percent=Decimal("15.00")),
    RuleCode.START_SLIPPED: Default(Level.YELLOW, red_after_months=3),
    RuleCode.NO_FOLLOW_UP: Default(Level.YELLOW, days=90),
    RuleCode.STALLED_IN_STAGE: Default(Level.YELLOW, days=365),
    RuleCode.COMMITMENT_BREACHED: Default(Level.RED),
}

# The parameters each code reads: a rule states exactly these (a check constraint per code).
PARAMETERS: dict[str, tuple[str, ...]] = {
    code: tuple(name for name, value in default.parameters().items() if value is not None)
    for code, default in DEFAULTS.items()
}
