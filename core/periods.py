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


PERIOD_BOUNDS_SQL = r"""
CREATE OR REPLACE FUNCTION period_bounds(period text, OUT period_start date, OUT period_end date)
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    y int;
    part text;
    first_month int;
    months int;
BEGIN
    IF period !~ '^[1-9][0-9]{3}(-(H[12]|Q[1-4]|0[1-9]|1[0-2]))?$' THEN
        RAISE EXCEPTION 'invalid period %', period USING ERRCODE = 'check_violation';
    END IF;
    y := substr(period, 1, 4)::int;
    part := substr(period, 6);
    IF part = '' THEN first_month := 1; months := 12;
    ELSIF left(part, 1) = 'H' THEN first_month := 1 + 6 * (substr(part, 2)::int - 1); months := 6;
    ELSIF left(part, 1) = 'Q' THEN first_month := 1 + 3 * (substr(part, 2)::int - 1); months := 3;
    ELSE first_month := part::int; months := 1;
    END IF;
    period_start := make_date(y, first_month, 1);
    period_end := (period_start + make_interval(months => months) - interval '1 day')::date;
END;
$$;

CREATE OR REPLACE FUNCTION set_period_bounds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT b.period_start, b.period_end INTO NEW.period_start, NEW.period_end FROM period_bounds(NEW.period) b;
    RETURN NEW;
END;
$$;
"""


def period_trigger_sql(table: str) -> str:
    """SQL that keeps `period_start`/`period_end` of `table` in step with its `period`."""
    return f"""
CREATE TRIGGER {table}_period_bounds
BEFORE INSERT OR UPDATE OF period ON {table}
FOR EACH ROW EXECUTE FUNCTION set_period_bounds();
"""
