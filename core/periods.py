"""Reporting periods written as people write them: `2024`, `2024-H1`, `2024-Q2`, `2024-07`.

The database derives each period's first and last day with the SQL function `period_bounds`
(created by core's migration), so bulk writes get them too; this module is the same rule in
Python for validation and filters.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

PERIOD_PATTERN = r"^[1-9][0-9]{3}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$"
_PERIOD_RE = re.compile(PERIOD_PATTERN)


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period; ValueError for anything else."""
    if not isinstance(period, str) or not _PERIOD_RE.fullmatch(period):
        raise ValueError(f"{period!r} is not a period: write 2024, 2024-H1, 2024-Q2 or 2024-07.")
    year = int(period[:4])
    part = period[5:]
    if not part:
        first_month, months = 1, 12
    elif part.startswith("H"):
        first_month, months = 1 + 6 * (int(part[1]) - 1), 6
    elif part.startswith("Q"):
        first_month, months = 1 + 3 * (int(part[1]) - 1), 3
    else:
        first_month, months = int(part), 1
    last_month = first_month + months - 1
    return dt.date(year, first_month, 1), dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
