# ruff: noqa: S608 - the SQL is assembled from this module's own pieces; every value goes in as a parameter
"""Evaluating the warning rules over every project at once, and the stage history and ageing they read.

Everything here is set-wise SQL: one statement judges every project by every rule (no loop over projects in
Python), so an evaluation costs a few statements whatever the number of projects.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import partial_date_bounds
from oversight.models import ProjectWarning
from oversight.rules import DEFAULTS, PARAMETER_FIELDS, Level, RuleCode
from oversight.sql import LAST_RANK, STARTED_RANK, last_day, stage_entries_sql, typed
from projects.models import STAGE_RANK, ProjectKind, Stage


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation did."""

    opened: int
    kept: int
    resolved: int
    seconds: float

    @property
    def open(self) -> int:
        return self.opened + self.kept


def _defaults_sql() -> tuple[str, dict[str, Any]]:
    """The built-in defaults as a VALUES list, with its parameters."""
    rows, params = [], {}
    for number, (code, default) in enumerate(DEFAULTS.items()):
        values = {"code": str(code), "level": str(default.level), **default.parameters()}
        params.update({f"default_{number}_{name}": value for name, value in values.items()})
        rows.append(
            f"(%(default_{number}_code)s, %(default_{number}_level)s, %(default_{number}_months)s::int, "
            f"%(default_{number}_days)s::int, %(default_{number}_share_percent)s::numeric, "
            f"%(default_{number}_red_after_months)s::int)"
        )
    return "VALUES " + ", ".join(rows), params


def _settings_sql() -> tuple[str, dict[str, Any]]:
    """Each region's setting of each rule: the rule of the nearest region at or above it that sets it, else the
    built-in default."""
    defaults, params = _defaults_sql()
    parameters = ", ".join(
        f"CASE WHEN r.id IS NULL THEN d.{name} ELSE r.{name} END AS {name}" for name in PARAMETER_FIELDS
    )
    return (
        f"""
        SELECT g.id AS region_id, d.code, r.id AS rule_id, COALESCE(r.is_active, true) AS active,
               COALESCE(r.level, d.level) AS level, {parameters}
        FROM regions_region g
        CROSS JOIN ({defaults}) AS d(code, level, {", ".join(PARAMETER_FIELDS)})
        LEFT JOIN LATERAL (
            SELECT w.* FROM oversight_warningrule w JOIN regions_region wr ON wr.id = w.region_id
            WHERE w.code = d.code AND wr.path @> g.path
            ORDER BY nlevel(wr.path) DESC LIMIT 1
        ) r ON true
        """,
        params,
    )


def _facts_sql() -> str:
    """What the rules read of each project that can be warned about (a project, not a programme; not cancelled)."""
    signed_end = last_day("m.signed_on", "m.signed_precision")
    started_end = last_day("m.started_on", "m.started_precision")
    planned_end = last_day("m.planned_start_on", "m.planned_start_precision")
    return f"""
    candidates AS (
        SELECT id FROM projects_project WHERE kind = '{ProjectKind.PROJECT}' AND stage <> '{Stage.CANCELLED}'
    ),
    ms AS (
        SELECT project_id,
            max(projects_stage_rank(stage)) FILTER (WHERE NOT is_planned) AS reached_rank,
            max(date) FILTER (WHERE stage = 'signed' AND NOT is_planned) AS signed_on,
            max(date_precision) FILTER (WHERE stage = 'signed' AND NOT is_planned) AS signed_precision,
            max(date) FILTER (WHERE stage = 'construction_started' AND NOT is_planned) AS started_on,
            max(date_precision) FILTER (WHERE stage = 'construction_started' AND NOT is_planned) AS started_precision,
            max(date) FILTER (WHERE stage = 'construction_started' AND is_planned) AS planned_start_on,
            max(date_precision) FILTER (WHERE stage = 'construction_started' AND is_planned) AS planned_start_precision
        FROM projects_milestone GROUP BY project_id
    ),
    funds AS (
        SELECT f.project_id, f.amount, {last_day("f.as_of", "f.as_of_precision")} AS ends,
               {typed("f.as_of", "f.as_of_precision")} AS as_of,
               LAG(f.amount) OVER (
                   PARTITION BY f.project_id ORDER BY {last_day("f.as_of", "f.as_of_precision")}, f.as_of, f.id
               ) AS amount_before
        FROM projects_fundsinplace f JOIN projects_project p ON p.id = f.project_id AND p.currency = f.currency
    ),
    fa AS (
        SELECT project_id, max(amount) AS in_place,
               max(ends) FILTER (WHERE amount > COALESCE(amount_before, 0)) AS last_rise_end,
               (array_agg(as_of ORDER BY ends DESC) FILTER (WHERE amount > COALESCE(amount_before, 0)))[1]
                   AS last_rise_as_of
        FROM funds GROUP BY project_id
    ),
    fu AS (SELECT project_id, max(happened_on) AS last_on FROM projects_followup GROUP BY project_id),
    entered AS (
        SELECT s.project_id, s.stage, s.entered_end, {typed("s.entered_on", "s.precision")} AS entered_on, s.source
        FROM ({stage_entries_sql("SELECT id FROM candidates")}) s
    ),
    facts AS (
        SELECT p.id, p.region_id, p.stage, p.planned_investment,
            COALESCE(projects_stage_rank(p.stage), m.reached_rank, 0) AS rank,
            m.signed_on, {typed("m.signed_on", "m.signed_precision")} AS signed_typed,
            {signed_end} AS signed_end,
            m.started_on, {typed("m.started_on", "m.started_precision")} AS started_typed,
            {started_end} AS started_end,
            {typed("m.planned_start_on", "m.planned_start_precision")} AS planned_start_typed,
            {planned_end} AS planned_start_end,
            fa.in_place, fa.last_rise_end, fa.last_rise_as_of,
            fu.last_on AS last_follow_up, (p.created_at AT TIME ZONE %(tz)s)::date AS created_on,
            COALESCE(e.entered_end, (p.created_at AT TIME ZONE %(tz)s)::date) AS stage_entered_end,
            COALESCE(e.entered_on, to_char(p.created_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD')) AS stage_entered_on,
            COALESCE(e.source, 'created') AS stage_entered_source
        FROM projects_project p
        JOIN candidates c ON c.id = p.id
        LEFT JOIN ms m ON m.project_id = p.id
        LEFT JOIN fa ON fa.project_id = p.id
        LEFT JOIN fu ON fu.project_id = p.id
        LEFT JOIN entered e ON e.project_id = p.id AND e.stage = p.stage
    )
    """


def _rule(code: str) -> str:
    return f"JOIN rs s ON s.region_id = f.region_id AND s.code = '{code}' AND s.active"


def hits_sql() -> tuple[str, dict[str, Any]]:
    """(project_id, rule, level, rule_id, evidence) of every warning that holds on `%(today)s`.

    The funds rules read started projects until they reach design capacity (达产: the investment is done), and
    only the funds in the project's own currency; "not started" means no actual construction start and no later
    stage reached.
    """
    settings_sql, params = _settings_sql()
    months = "make_interval(months => s.months::int)"
    sql = f"""
    WITH rs AS ({settings_sql}),
    {_facts_sql()},
    breached AS (
        -- The commitments' verdicts as they stand today (commitments.models.Compliance): at every stage, since
        -- a commitment is checked when the project produces too (达产复核).
        SELECT project_id, count(*) AS breaches, array_agg(DISTINCT kind ORDER BY kind) AS kinds,
               array_agg(DISTINCT COALESCE(period, due_on::text) ORDER BY COALESCE(period, due_on::text)) AS periods
        FROM commitments_compliance WHERE status = 'breach' GROUP BY project_id
    )
    SELECT f.id AS project_id, '{RuleCode.SIGNED_NOT_STARTED}' AS rule, s.level, s.rule_id,
        jsonb_build_object('signed_on', f.signed_typed, 'counted_from', f.signed_end, 'months', s.months) AS evidence
    FROM facts f {_rule(RuleCode.SIGNED_NOT_STARTED)}
    WHERE f.signed_end IS NOT NULL AND f.started_on IS NULL AND f.rank < {STARTED_RANK}
      AND (f.signed_end + {months})::date <= %(today)s
    UNION ALL
    SELECT f.id, '{RuleCode.NO_NEW_FUNDS}', s.level, s.rule_id,
        jsonb_build_object('started_on', f.started_typed, 'last_funds_on', f.last_rise_as_of,
                           'counted_from', GREATEST(f.started_end, f.last_rise_end), 'months', s.months)
    FROM facts f {_rule(RuleCode.NO_NEW_FUNDS)}
    WHERE f.started_end IS NOT NULL AND f.rank < {LAST_RANK}
      AND (GREATEST(f.started_end, f.last_rise_end) + {months})::date <= %(today)s
    UNION ALL
    SELECT f.id, '{RuleCode.LOW_FUNDS}', s.level, s.rule_id,
        jsonb_build_object('started_on', f.started_typed, 'months', s.months,
                           'agreed', f.planned_investment::text, 'in_place', COALESCE(f.in_place, 0)::text,
                           'share_percent', round(COALESCE(f.in_place, 0) * 100 / f.planned_investment, 2)::text,
                           'threshold_percent', s.share_percent::text)
    FROM facts f {_rule(RuleCode.LOW_FUNDS)}
    WHERE f.started_end IS NOT NULL AND f.rank < {LAST_RANK} AND f.planned_investment > 0
      AND (f.started_end + {months})::date <= %(today)s
      AND COALESCE(f.in_place, 0) * 100 < f.planned_investment * s.share_percent
    UNION ALL
    SELECT f.id, '{RuleCode.START_SLIPPED}',
        CASE WHEN (f.planned_start_end + make_interval(months => s.red_after_months::int))::date <= %(today)s
             THEN '{Level.RED}' ELSE s.level END,
        s.rule_id,
        jsonb_build_object('planned_start', f.planned_start_typed, 'counted_from', f.planned_start_end,
                           'days_late', %(today)s - f.planned_start_end, 'red_after_months', s.red_after_months)
    FROM facts f {_rule(RuleCode.START_SLIPPED)}
    WHERE f.planned_start_end IS NOT NULL AND f.started_on IS NULL AND f.rank < {STARTED_RANK}
      AND f.planned_start_end < %(today)s
    UNION ALL
    SELECT f.id, '{RuleCode.NO_FOLLOW_UP}', s.level, s.rule_id,
        jsonb_build_object('last_follow_up', f.last_follow_up, 'counted_from', COALESCE(f.last_follow_up, f.created_on),
                           'days_since', %(today)s - COALESCE(f.last_follow_up, f.created_on), 'days', s.days)
    FROM facts f {_rule(RuleCode.NO_FOLLOW_UP)}
    WHERE f.rank < {LAST_RANK} AND %(today)s - COALESCE(f.last_follow_up, f.created_on) > s.days
    UNION ALL
    SELECT f.id, '{RuleCode.STALLED_IN_STAGE}', s.level, s.rule_id,
        jsonb_build_object('stage', f.stage, 'entered_on', f.stage_entered_on, 'source', f.stage_entered_source,
                           'days_in_stage', %(today)s - f.stage_entered_end, 'days', s.days)
    FROM facts f {_rule(RuleCode.STALLED_IN_STAGE)}
    WHERE f.rank < {LAST_RANK} AND %(today)s - f.stage_entered_end > s.days
    UNION ALL
    SELECT f.id, '{RuleCode.COMMITMENT_BREACHED}', s.level, s.rule_id,
        jsonb_build_object('breaches', b.breaches, 'kinds', b.kinds, 'periods', b.periods)
    FROM facts f {_rule(RuleCode.COMMITMENT_BREACHED)}
    JOIN breached b ON b.project_id = f.id
    """
    return sql, params


# pgtrigger's way to skip a trigger (`pgtrigger.ignore`, which its triggers read from the setting), for this
# transaction's statements: the history triggers of the warnings' inserts and updates. Answers the setting before.
IGNORE_HISTORY_TRIGGERS = """
    SELECT COALESCE(current_setting('pgtrigger.ignore', true), ''), set_config('pgtrigger.ignore', COALESCE((
        SELECT '{' || string_agg(tgname, ',') || '}' FROM pg_trigger
        WHERE tgrelid = %(table)s::regclass
          AND left(tgname, 24) IN ('pgtrigger_insert_insert_', 'pgtrigger_update_update_')
    ), ''), true)
"""


@transaction.atomic
def evaluate_warnings(*, today: datetime.date | None = None) -> Evaluation:
    """Judge every project by every rule as of `today` (the local date by default): open a warning where a rule
    newly holds, refresh the level and evidence of those that still hold, resolve those that no longer do.

    Idempotent: a second run on the same day changes nothing but `last_evaluated_at`. A warning someone
    resolved by hand opens again (a new warning) if its rule still holds: snoozing is the way to quiet one.
    """
    started = time.perf_counter()
    today = today or timezone.localdate()
    now = timezone.now()
    sql, named = hits_sql()
    named.update(today=today, tz=settings.TIME_ZONE)
    table = ProjectWarning._meta.db_table
    # The history keeps what people do to a warning (snooze, resolve); what the evaluation writes is in the
    # warning's own columns (first seen, last evaluated, resolved at without a resolver). A history event for each
    # row it writes would cost a trigger call, and a subtransaction, per warning: minutes at tier M.
    with connection.cursor() as cursor:
        # One evaluation at a time (two schedulers, a manual run): the second waits for the first to commit.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('oversight.evaluate_warnings'))")
        cursor.execute(IGNORE_HISTORY_TRIGGERS, {"table": table})
        previous = cursor.fetchone()[0]
        cursor.execute("DROP TABLE IF EXISTS oversight_hits")
        cursor.execute(f"CREATE TEMP TABLE oversight_hits ON COMMIT DROP AS {sql}", named)
        cursor.execute(
            f"""
            INSERT INTO {table} AS w (project_id, rule, level, rule_setting_id, evidence, first_seen_at,
                last_evaluated_at, snooze_reason, created_at, updated_at, version)
            SELECT project_id, rule, level, rule_id, evidence, %(now)s, %(now)s, '', %(now)s, %(now)s, 1
            FROM oversight_hits
            ON CONFLICT (project_id, rule) WHERE resolved_at IS NULL DO UPDATE
            SET level = EXCLUDED.level, rule_setting_id = EXCLUDED.rule_setting_id, evidence = EXCLUDED.evidence,
                last_evaluated_at = EXCLUDED.last_evaluated_at,
                updated_at = CASE WHEN w.level = EXCLUDED.level THEN w.updated_at ELSE EXCLUDED.updated_at END
            RETURNING (xmax = 0)
            """,
            {"now": now},
        )
        inserted = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"""
            UPDATE {table} w SET resolved_at = %(now)s, last_evaluated_at = %(now)s, updated_at = %(now)s
            WHERE w.resolved_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM oversight_hits h WHERE h.project_id = w.project_id AND h.rule = w.rule)
            """,
            {"now": now},
        )
        resolved = cursor.rowcount
        cursor.execute("DROP TABLE oversight_hits")
        cursor.execute("SELECT set_config('pgtrigger.ignore', %(previous)s, true)", {"previous": previous})
    opened = sum(inserted)
    return Evaluation(
        opened=opened, kept=len(inserted) - opened, resolved=resolved, seconds=time.perf_counter() - started
    )


#
# Stage history and ageing (issue 22, item 2)
#

STAGES = [*Stage]


@dataclass(frozen=True)
class StageEntry:
    """A stage a project entered: when (as typed, to its precision), known from what, and for how long it stayed."""

    stage: str
    entered_on: datetime.date
    entered_on_precision: str
    source: str  # milestone, history or created
    days_in_stage: int


def project_stage_history(project, *, today: datetime.date | None = None) -> dict[str, Any]:
    """Each stage `project` entered, in the order it entered them, and how long it has been in its current one.

    A month-precision milestone counts from the month's last day. A stage's days run to the day the next one was
    entered; the current stage's to today. A current stage without a milestone or a recorded change (a project
    loaded with the triggers off) counts from the day the project was recorded (`source`: created).
    """
    today = today or timezone.localdate()
    sql = f"SELECT * FROM ({stage_entries_sql('SELECT %(project)s::bigint AS id')}) s ORDER BY entered_end, stage"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"project": project.pk, "tz": settings.TIME_ZONE})
        rows = cursor.fetchall()
    entered = [
        (stage, entered_on, precision, entered_end, source)
        for _project, stage, entered_on, precision, entered_end, source in rows
    ]
    if project.stage not in {row[0] for row in entered}:
        created = timezone.localtime(project.created_at).date()
        entered.append((project.stage, created, "day", created, "created"))
    entered.sort(key=lambda row: (row[3], STAGE_RANK.get(row[0], len(STAGE_RANK) + 1)))
    entries = []
    for position, (stage, entered_on, precision, entered_end, source) in enumerate(entered):
        until = entered[position + 1][3] if position + 1 < len(entered) else today
        entries.append(StageEntry(stage, entered_on, precision, source, max(0, (until - entered_end).days)))
    current = next(entry for entry in reversed(entries) if entry.stage == project.stage)
    return {
        "project": project,
        "stage": project.stage,
        "entered_on": current.entered_on,
        "entered_on_precision": current.entered_on_precision,
        "days_in_stage": max(0, (today - _last_day(current)).days),
        "entries": entries,
    }


def _last_day(entry: StageEntry) -> datetime.date:
    return partial_date_bounds(entry.entered_on, entry.entered_on_precision)[1]


def stage_ageing(projects: QuerySet, *, today: datetime.date | None = None) -> dict[str, Any]:
    """Per stage, the projects of `projects` now in it and how many days they have been there so far: the median,
    the 75th and 90th percentiles (interpolated, to one decimal) and the longest; null where no project is in the
    stage. Days count from the last day of the period the stage was entered in (stage history), or from the day
    the project was recorded when nothing says when. The totals row reads every project together."""
    today = today or timezone.localdate()
    ids_sql, ids_params = projects.order_by().values("pk").query.sql_with_params()
    sql = f"""
    SELECT d.stage, GROUPING(d.stage) = 1, count(*),
        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.days)::numeric, 1),
        round(percentile_cont(0.75) WITHIN GROUP (ORDER BY d.days)::numeric, 1),
        round(percentile_cont(0.9) WITHIN GROUP (ORDER BY d.days)::numeric, 1),
        max(d.days)
    FROM (
        SELECT p.id, p.stage,
            GREATEST(0, %s::date - COALESCE(e.entered_end, (p.created_at AT TIME ZONE %s)::date)) AS days
        FROM projects_project p
        LEFT JOIN ({stage_entries_sql(ids_sql, "%s")}) e ON e.project_id = p.id AND e.stage = p.stage
        WHERE p.id IN ({ids_sql})
    ) d
    GROUP BY GROUPING SETS ((d.stage), ())
    """
    params = [today, settings.TIME_ZONE, *ids_params, settings.TIME_ZONE, *ids_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {(None if is_total else stage): values for stage, is_total, *values in cursor.fetchall()}

    def row(stage: str | None, label: str) -> dict[str, Any]:
        count, median, p75, p90, longest = found.get(stage, (0, None, None, None, None))
        return {
            "stage": stage,
            "label": label,
            "project_count": count,
            "median_days": median,
            "p75_days": p75,
            "p90_days": p90,
            "max_days": longest,
        }

    return {
        "as_of": today,
        "rows": [row(str(stage), str(stage.label)) for stage in STAGES],
        "totals": row(None, str(_("all projects"))),
    }


#
# What people do with a warning
#


@transaction.atomic
def warning_snooze(*, warning: ProjectWarning, until: datetime.date, reason: str, user) -> ProjectWarning:
    """Keep `warning` out of the red/yellow list until `until` (it comes back by itself the day after)."""
    warning.snoozed_until, warning.snooze_reason, warning.snoozed_by = until, reason, user
    warning.full_clean()
    warning.save(update_fields=["snoozed_until", "snooze_reason", "snoozed_by", "updated_at"])
    return warning


@transaction.atomic
def warning_unsnooze(*, warning: ProjectWarning) -> ProjectWarning:
    """Bring a snoozed `warning` back onto the red/yellow list now, before its date (the snooze is forgotten)."""
    warning.snoozed_until, warning.snooze_reason, warning.snoozed_by = None, "", None
    warning.save(update_fields=["snoozed_until", "snooze_reason", "snoozed_by", "updated_at"])
    return warning


@transaction.atomic
def warning_resolve(*, warning: ProjectWarning, user) -> ProjectWarning:
    """Close `warning` by hand. If its rule still holds, the next evaluation opens a new one."""
    warning.resolved_at, warning.resolved_by = timezone.now(), user
    warning.full_clean()
    warning.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    return warning


def red_yellow_list(*, region_code: str = "", limit: int = 50) -> dict[str, Any]:
    """The dashboard's red/yellow list: the open warnings not snoozed, red first then the oldest, of the projects in
    `region_code`'s subtree (every project without one); those on hold apart. At most `limit` of each: `tables` is
    [("active", warnings), ("on_hold", warnings)], beside the counts of red, yellow and on hold."""
    from django.db.models import Count, Q

    today = timezone.localdate()
    open_warnings = ProjectWarning.objects.filter(resolved_at__isnull=True).exclude(snoozed_until__gte=today)
    if region_code:
        open_warnings = open_warnings.filter(project__region_codes__contains=[region_code])
    on_hold = Q(project__stage=Stage.ON_HOLD)
    rows = open_warnings.select_related("project__region", "project__tracked_by").order_by(
        "level", "first_seen_at", "id"
    )
    counts = open_warnings.aggregate(
        red=Count("pk", filter=Q(level=Level.RED) & ~on_hold),
        yellow=Count("pk", filter=Q(level=Level.YELLOW) & ~on_hold),
        on_hold=Count("pk", filter=on_hold),
    )
    tables = [("active", list(rows.exclude(on_hold)[:limit])), ("on_hold", list(rows.filter(on_hold)[:limit]))]
    return {"tables": tables, **counts}


#
# Signing events (issue 22, item 3)
#


def signing_event_membership_errors(*, region, projects, event_id: int | None) -> list[str]:
    """Why `projects` cannot all be the projects signed at the event `event_id` (None: a new one) held by `region`:
    each must lie in the region or below it, and none may have been signed at another event."""
    from oversight.models import SigningEventProject

    errors = []
    outside = [p for p in projects if not (p.region.path == region.path or p.region.path.startswith(f"{region.path}."))]
    errors += [
        _("%(project)s lies outside %(region)s, which held the signing event.") % {"project": p, "region": region}
        for p in outside
    ]
    elsewhere = (
        SigningEventProject.objects.filter(project__in=projects)
        .exclude(event_id=event_id)
        .select_related("project", "event")
    )
    errors += [
        _("%(project)s was signed at %(event)s already.") % {"project": m.project, "event": m.event} for m in elsewhere
    ]
    return errors


@transaction.atomic
def signing_event_set_projects(*, event, projects) -> None:
    """Make `projects` exactly the projects signed at `event`: memberships of the others go, new ones are made, after
    `signing_event_membership_errors` found none (a few statements, however many projects). A change of the list
    raises the event's version, so its ETag changes too."""
    from django.core.exceptions import ValidationError

    from oversight.models import SigningEventProject

    errors = signing_event_membership_errors(region=event.region, projects=projects, event_id=event.pk)
    if errors:
        raise ValidationError({"projects": errors})
    wanted = {project.pk: project for project in projects}
    current = set(event.memberships.values_list("project_id", flat=True))
    removed = current - set(wanted)
    added = [wanted[pk] for pk in wanted if pk not in current]
    if removed:
        event.memberships.filter(project_id__in=removed).delete()
    SigningEventProject.objects.bulk_create([SigningEventProject(event=event, project=p) for p in added])
    if removed or added:
        event.save(update_fields=["updated_at"])
