# ruff: noqa: S608 - the SQL is assembled from this module's own pieces; every value goes in as a parameter
"""Conversion by cohort (issue 22, item 3): of the projects signed in a year, a quarter or at a signing event, how
many performed, started, went into production and reached design capacity, what was agreed and what arrived.

The counting rules (docs/api.md, "Conversion by cohort"):

- The cohort's projects are the *signed* ones among those the filters give: projects (never programmes) whose stage
  history shows them signed or further down the funnel, or that belong to a signing event. Each counts once, in one
  cohort: the year or quarter of its signing date, or its signing event. A project on hold or cancelled stays in its
  cohort and in every denominator.
- The signing date is the actual "signed" milestone's; else, for a member of a signing event, the event's day; else
  the day the change history first shows the project signed. A signed project with none of these (it reached a
  later stage with no signing recorded) falls in the row whose key is null ("signing date unknown"), as does a
  signed project outside every signing event in the `signing_event` cohorts. A year-precision signing date has no
  quarter: in the quarterly cohorts it falls in the year's own row (`2024`, "quarter unknown").
- Reaching a stage is read from the stage history (`oversight.sql.stage_entries_sql`: actual milestones, else the
  recorded change of stage) and the current stage: a project that started and was later cancelled counts as started.
  Reaching a stage counts every stage before it as passed.
- performing (履约): landed (落地) or further, and neither on hold nor cancelled now. 履约率 = performing / signed,
  开工率 = started / signed, 资金到位率 = funds in place / agreed investment.
- Amounts are in CNY, as in the summaries: the agreed investment is the projects' planned investment (总投资) in
  yuan; funds in place are the latest cumulative figure (in the project's currency) of the same projects, so that
  the rate compares like with like. A project with no amount adds nothing and is counted apart. A bound ("more
  than", "at least", "less than") or an "about" figure is added as stated and flagged (`..._includes_bounds`): a sum
  with a "more than" in it is a lower bound of the true one.
- Rates are decimals with four places (`0.8298`), null when their denominator is 0. Days from signing to the start
  run from the last day of the period each date was known to (a month-precision date counts from its last day).

One statement answers every cohort, whatever their number. The answer is kept in the answer cache
(projects.summary_cache) until a write to a table it reads: the summaries' tables, and FUNNEL_TABLES.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.choices import BOUND_QUALIFIERS, Qualifier
from oversight.sql import stage_entries_sql
from projects.models import STAGE_RANK, ProjectKind, Stage

# What the funnel reads beyond the summaries' tables (projects.summary_cache.SUMMARY_TABLES): a write to any of them
# raises the data generation (oversight 0004), so that a kept funnel is never stale. The projects' history, which
# the stage history reads, is written with the projects themselves.
FUNNEL_TABLES = ("projects_fundsinplace", "oversight_signingevent", "oversight_signingeventproject")
COHORTS = ("signed_year", "signed_quarter", "signing_event")

# The stages a signed project goes through, in order: the conversions are between consecutive ones.
CONVERTING = [Stage.SIGNED, Stage.LANDED, Stage.CONSTRUCTION_STARTED, Stage.IN_PRODUCTION, Stage.AT_CAPACITY]
# The count of the projects that reached each stage, as the rows name it.
REACHED = {
    Stage.SIGNED: "signed",
    Stage.LANDED: "landed",
    Stage.CONSTRUCTION_STARTED: "started",
    Stage.IN_PRODUCTION: "in_production",
    Stage.AT_CAPACITY: "at_full_production",
}
CONVERSIONS = [(CONVERTING[n], CONVERTING[n + 1]) for n in range(len(CONVERTING) - 1)]

# The counts of a row, in the order the answer gives them.
COUNTS = ("signed", "performing", "landed", "started", "in_production", "at_full_production", "cancelled", "on_hold")
RATE_PLACES = Decimal("0.0001")
_APPROXIMATE = [*BOUND_QUALIFIERS, Qualifier.ABOUT]

_KEYS = {
    "signed_year": "to_char(s.signed_on, 'YYYY')",
    "signed_quarter": "CASE WHEN s.signed_precision = 'year' THEN to_char(s.signed_on, 'YYYY') "
    "ELSE to_char(s.signed_on, 'YYYY-\"Q\"Q') END",
    "signing_event": "s.event_id::text",
}

# What the statement gives per row after its key: the counts, the sums and their flags, the days' percentiles.
_COLUMNS = (
    *COUNTS,
    *("agreed_investment", "agreed_investment_includes_bounds", "funds_in_place", "funds_in_place_includes_bounds"),
    *("projects_without_amount", "timed", "p50", "p75"),
)


def funnel_sql(ids_sql: str, cohort: str) -> str:
    """One statement: per cohort of the signed projects among `ids_sql` (a query of project ids), then over all of
    them (`is_total`), the counts, sums and percentiles of `_COLUMNS`, with the signing event's name and day."""
    signed, landed = STAGE_RANK[Stage.SIGNED], STAGE_RANK[Stage.LANDED]
    started, producing = STAGE_RANK[Stage.CONSTRUCTION_STARTED], STAGE_RANK[Stage.IN_PRODUCTION]
    capacity = STAGE_RANK[Stage.AT_CAPACITY]
    exits = f"('{Stage.ON_HOLD}', '{Stage.CANCELLED}')"
    days = (
        "CASE WHEN s.started_end IS NOT NULL AND s.signed_end IS NOT NULL "
        "THEN GREATEST(0, s.started_end - s.signed_end) END"
    )
    event_join = (
        "LEFT JOIN oversight_signingevent e ON e.id = a.key::bigint"
        if cohort == "signing_event"
        else "LEFT JOIN oversight_signingevent e ON false"
    )
    return f"""
    WITH ids(id) AS MATERIALIZED ({ids_sql}),
    entries AS ({stage_entries_sql("SELECT id FROM ids", "%s")}),
    reached AS (
        SELECT project_id,
            max(projects_stage_rank(stage)) AS rank,
            max(entered_on) FILTER (WHERE stage = 'signed' AND source = 'milestone') AS signed_on,
            max(precision) FILTER (WHERE stage = 'signed' AND source = 'milestone') AS signed_precision,
            max(entered_end) FILTER (WHERE stage = 'signed' AND source = 'milestone') AS signed_end,
            max(entered_on) FILTER (WHERE stage = 'signed' AND source = 'history') AS signed_recorded_on,
            max(entered_end) FILTER (WHERE stage = 'construction_started') AS started_end
        FROM entries GROUP BY project_id
    ),
    funds AS (
        SELECT f.project_id, max(f.amount) AS in_place,
            (array_agg(f.qualifier ORDER BY f.amount DESC, f.as_of DESC, f.id DESC))[1] AS qualifier
        FROM projects_fundsinplace f
        JOIN ids ON ids.id = f.project_id
        JOIN projects_project p ON p.id = f.project_id AND p.currency = f.currency
        GROUP BY f.project_id
    ),
    facts AS (
        SELECT p.id, p.stage, p.investment_qualifier, m.event_id,
            p.currency = 'CNY' AND p.planned_investment IS NOT NULL AS counted,
            p.planned_investment, fu.in_place, fu.qualifier AS funds_qualifier,
            COALESCE(r.signed_on, ev.date, r.signed_recorded_on) AS signed_on,
            CASE WHEN r.signed_on IS NOT NULL THEN r.signed_precision ELSE 'day' END AS signed_precision,
            COALESCE(r.signed_end, ev.date, r.signed_recorded_on) AS signed_end,
            r.started_end,
            GREATEST(COALESCE(projects_stage_rank(p.stage), 0), COALESCE(r.rank, 0)) AS rank
        FROM projects_project p
        JOIN ids ON ids.id = p.id
        LEFT JOIN reached r ON r.project_id = p.id
        LEFT JOIN oversight_signingeventproject m ON m.project_id = p.id
        LEFT JOIN oversight_signingevent ev ON ev.id = m.event_id
        LEFT JOIN funds fu ON fu.project_id = p.id
    ),
    signed AS (
        SELECT s.*, {_KEYS[cohort]} AS key
        FROM facts s
        WHERE s.rank >= {signed} OR s.event_id IS NOT NULL
    ),
    a AS (
        SELECT GROUPING(s.key) = 1 AS is_total, s.key,
            count(*) AS signed,
            count(*) FILTER (WHERE s.rank >= {landed} AND s.stage NOT IN {exits}) AS performing,
            count(*) FILTER (WHERE s.rank >= {landed}) AS landed,
            count(*) FILTER (WHERE s.rank >= {started}) AS started,
            count(*) FILTER (WHERE s.rank >= {producing}) AS in_production,
            count(*) FILTER (WHERE s.rank >= {capacity}) AS at_full_production,
            count(*) FILTER (WHERE s.stage = '{Stage.CANCELLED}') AS cancelled,
            count(*) FILTER (WHERE s.stage = '{Stage.ON_HOLD}') AS on_hold,
            COALESCE(sum(s.planned_investment) FILTER (WHERE s.counted), 0) AS agreed_investment,
            COALESCE(bool_or(s.investment_qualifier = ANY(%s)) FILTER (WHERE s.counted), false)
                AS agreed_investment_includes_bounds,
            COALESCE(sum(s.in_place) FILTER (WHERE s.counted), 0) AS funds_in_place,
            COALESCE(bool_or(s.funds_qualifier = ANY(%s)) FILTER (WHERE s.counted), false)
                AS funds_in_place_includes_bounds,
            count(*) FILTER (WHERE s.planned_investment IS NULL) AS projects_without_amount,
            count({days}) AS timed,
            round(percentile_cont(0.5) WITHIN GROUP (ORDER BY {days})::numeric, 1) AS p50,
            round(percentile_cont(0.75) WITHIN GROUP (ORDER BY {days})::numeric, 1) AS p75
        FROM signed s
        GROUP BY ROLLUP (s.key)
    )
    SELECT a.is_total, a.key, e.name, e.date, {", ".join(f"a.{column}" for column in _COLUMNS)}
    FROM a {event_join}
    ORDER BY a.is_total, a.key IS NULL, e.date, e.name, a.key
    """


def rate(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """`numerator / denominator` to four places (half up), None when the denominator is 0."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def conversion_by_cohort(projects: QuerySet, *, cohort: str) -> dict[str, Any]:
    """Per cohort (`COHORTS`) of the signed projects among `projects`, in order, then over them all: the counts,
    the agreed investment and funds in place, the rates and the days from signing to the start (module docstring).
    One SQL statement, whatever the number of projects and cohorts."""
    if cohort not in COHORTS:  # pragma: no cover - the view validates it
        raise ValueError(cohort)
    ids_sql, ids_params = projects.filter(kind=ProjectKind.PROJECT).order_by().values("pk").query.sql_with_params()
    # The placeholders in the order they appear: the projects' query, the time zone, the qualifiers twice.
    params = [*ids_params, settings.TIME_ZONE, list(_APPROXIMATE), list(_APPROXIMATE)]
    with connection.cursor() as cursor:
        cursor.execute(funnel_sql(ids_sql, cohort), params)
        found = cursor.fetchall()
    rows, totals = [], None
    for is_total, key, event_name, event_date, *values in found:
        counts = dict(zip(_COLUMNS, values, strict=True))
        if is_total:
            totals = _row(None, _("all signed projects"), counts)
        else:
            rows.append(_row(key, _label(cohort, key, event_name, event_date), counts))
    if totals is None:
        totals = _row(None, _("all signed projects"), dict.fromkeys(_COLUMNS))
    return {"cohort": cohort, "rows": rows, "totals": totals}


def _label(cohort: str, key: str | None, event_name: str | None, event_date) -> str:
    if key is None:
        return _("not signed at a signing event") if cohort == "signing_event" else _("signing date unknown")
    if cohort == "signing_event":
        return f"{event_name} ({event_date.isoformat()})"
    if cohort == "signed_quarter" and "-" not in key:
        return _("%(year)s (quarter unknown)") % {"year": key}
    return key


def _row(key: str | None, label: str, counts: dict[str, Any]) -> dict[str, Any]:
    signed = counts["signed"]
    return {
        "key": key,
        "label": label,
        **{name: counts[name] or 0 for name in COUNTS},
        "currency": "CNY",
        "agreed_investment": Decimal(counts["agreed_investment"] or 0),
        "agreed_investment_includes_bounds": bool(counts["agreed_investment_includes_bounds"]),
        "funds_in_place": Decimal(counts["funds_in_place"] or 0),
        "funds_in_place_includes_bounds": bool(counts["funds_in_place_includes_bounds"]),
        "projects_without_amount": counts["projects_without_amount"] or 0,
        "performance_rate": rate(counts["performing"] or 0, signed),
        "start_rate": rate(counts["started"] or 0, signed),
        "funds_rate": rate(counts["funds_in_place"] or 0, counts["agreed_investment"] or 0),
        "days_signed_to_started": {"projects": counts["timed"] or 0, "p50": counts["p50"], "p75": counts["p75"]},
        "conversion": {
            f"{before}_to_{after}": {
                "reached_from": counts[REACHED[before]] or 0,
                "reached_to": counts[REACHED[after]] or 0,
                "rate": rate(counts[REACHED[after]] or 0, counts[REACHED[before]] or 0),
            }
            for before, after in CONVERSIONS
        },
    }
