"""Dates known to a precision (a day, a month, a quarter or a year), as people write them.

A model keeps such a date in two columns: the first day of the period (`date`) and the precision
beside it (`date_precision`; `core.fields.date_precision_field`, checked by
`core.constraints.date_precision_constraints`). The admin's forms (`core.forms.PartialDateField`)
and the API's serializers (`api.serializers.PartialDateField`) read what people type with
`parse_partial_date`; titles and lists show the date back with `format_partial_date`, so July 2024
at month precision reads `2024-07` everywhere, never `2024-07-01`.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from core.choices import DatePrecision


@dataclass(frozen=True)
class PartialDate:
    """A date as typed: its first day and how much of it was given."""

    date: datetime.date
    precision: str

    def __str__(self) -> str:
        return format_partial_date(self.date, self.precision)

    @property
    def last_day(self) -> datetime.date:
        """The last day of the period: 2024-07 at month precision ends on 2024-07-31."""
        return partial_date_bounds(self.date, self.precision)[1]


PARTIAL_DATE_FORMATS = (
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"), DatePrecision.DAY),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"), DatePrecision.DAY),
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})"), DatePrecision.MONTH),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月"), DatePrecision.MONTH),
    (re.compile(r"(?P<y>\d{4})-?[Qq](?P<q>[1-4])"), DatePrecision.QUARTER),
    (re.compile(r"(?P<y>\d{4})年?第?(?P<q>[1-4一二三四])季度"), DatePrecision.QUARTER),
    (re.compile(r"(?P<y>\d{4})年?"), DatePrecision.YEAR),
)
CHINESE_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4}


def parse_partial_date(text: str) -> PartialDate | None:
    """`2024-07` → (2024-07-01, month); `2024-Q3` → (2024-07-01, quarter); None if not a date."""
    text = text.strip()
    for pattern, precision in PARTIAL_DATE_FORMATS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        year = int(parts["y"])
        if "q" in parts:
            month = 3 * (CHINESE_QUARTERS.get(parts["q"]) or int(parts["q"])) - 2
        else:
            month = int(parts.get("m") or 1)
        try:
            return PartialDate(datetime.date(year, month, int(parts.get("d") or 1)), precision)
        except ValueError:
            return None
    return None


def format_partial_date(value: datetime.date | None, precision: str | None) -> str:
    """The way to type `value` back at its precision: 2024-07-01 at month precision is `2024-07`."""
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value:%Y}"
    if precision == DatePrecision.QUARTER:
        return f"{value:%Y}-Q{(value.month - 1) // 3 + 1}"
    if precision == DatePrecision.MONTH:
        return f"{value:%Y-%m}"
    return value.isoformat()


MONTHS_OF = {DatePrecision.DAY: 0, DatePrecision.MONTH: 1, DatePrecision.QUARTER: 3, DatePrecision.YEAR: 12}


def partial_date_bounds(value: datetime.date, precision: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of the period that `value` starts at `precision` (a day is its own period)."""
    months = MONTHS_OF.get(precision, 0)
    if not months:
        return value, value
    last_month = value.month + months - 1
    return value, datetime.date(value.year, last_month, calendar.monthrange(value.year, last_month)[1])


def precision_field_name(field: models.Field) -> str | None:
    """The name of the field that records `field`'s precision, when its model has one."""
    if not isinstance(field, models.DateField) or isinstance(field, models.DateTimeField):
        return None
    name = f"{field.name}_precision"
    try:
        field.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return name
