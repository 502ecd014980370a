from __future__ import annotations

import calendar
import datetime as dt

import pytest
from django.utils import timezone

from core.choices import DatePrecision
from oversight.models import ProjectWarning
from oversight.services import evaluate_warnings
from tests.factories import MilestoneFactory, ProjectFactory


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_of(day: dt.date) -> dt.date:
    """The first day of `day`'s month: how a month-precision date is stored."""
    return day.replace(day=1)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def signed_project(signed_on: dt.date, precision: str = DatePrecision.MONTH, **fields):
    project = ProjectFactory(**fields)
    date = month_of(signed_on) if precision == DatePrecision.MONTH else signed_on
    MilestoneFactory(project=project, stage="signed", date=date, date_precision=precision)
    project.refresh_from_db()
    return project


def open_warnings(project) -> set[tuple[str, str]]:
    """(rule, level) of the project's open warnings."""
    return set(ProjectWarning.objects.filter(project=project, resolved_at__isnull=True).values_list("rule", "level"))


__all__ = ["evaluate_warnings", "month_of", "months_before", "open_warnings", "signed_project"]
