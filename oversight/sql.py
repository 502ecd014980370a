# ruff: noqa: S608 - the SQL is assembled from this module's own pieces; every value goes in as a parameter
"""SQL pieces shared by the evaluation and the stage history: a partial date's last day, and its typed form."""

from __future__ import annotations

from projects.models import STAGE_RANK, Stage

STARTED_RANK = STAGE_RANK[Stage.CONSTRUCTION_STARTED]
LAST_RANK = STAGE_RANK[Stage.AT_CAPACITY]


def last_day(date: str, precision: str) -> str:
    """The last day of the period a date of `precision` starts (core.dates.partial_date_bounds, in SQL):
    month-precision dates count from the end of their month, so nothing fires early."""
    return (
        f"({date} + CASE {precision} WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months' "
        f"WHEN 'year' THEN interval '1 year' ELSE interval '1 day' END - interval '1 day')::date"
    )


def typed(date: str, precision: str) -> str:
    """The date as it is typed at its precision (core.dates.format_partial_date, in SQL): `2024-07`, `2024-Q3`."""
    return (
        f"CASE {precision} WHEN 'year' THEN to_char({date}, 'YYYY') "
        f"WHEN 'quarter' THEN to_char({date}, 'YYYY') || '-Q' || to_char({date}, 'Q') "
        f"WHEN 'month' THEN to_char({date}, 'YYYY-MM') ELSE to_char({date}, 'YYYY-MM-DD') END"
    )


def stage_entries_sql(projects: str, tz: str = "%(tz)s") -> str:
    """(project_id, stage, entered_on, precision, entered_end, source) of every stage each project of `projects` (a
    query of ids) entered: the date of its actual milestone, else the day the change history first shows the
    project at that stage (the last time, for on hold and cancelled, which a project may enter more than once),
    unless a milestone of a later funnel stage came before that day.

    `tz` is the placeholder of the time zone a recorded change's day is taken in.
    """
    return f"""
    WITH chosen AS (SELECT q.id FROM ({projects}) AS q(id)),
    milestone_entries AS (
        SELECT m.project_id, m.stage, m.date AS entered_on, m.date_precision AS precision,
               {last_day("m.date", "m.date_precision")} AS entered_end, 'milestone'::text AS source
        FROM projects_milestone m JOIN chosen c ON c.id = m.project_id
        WHERE NOT m.is_planned
    ),
    changes AS (
        SELECT e.pgh_obj_id AS project_id, e.stage, e.pgh_created_at AS at,
               LAG(e.stage) OVER (PARTITION BY e.pgh_obj_id ORDER BY e.pgh_id) AS stage_before
        FROM projects_projectevent e JOIN chosen c ON c.id = e.pgh_obj_id
        WHERE e.pgh_label IN ('insert', 'update')
    ),
    recorded AS (
        SELECT project_id, stage,
               (CASE WHEN stage IN ('on_hold', 'cancelled') THEN max(at) ELSE min(at) END AT TIME ZONE {tz})::date
                   AS entered_on
        FROM changes
        WHERE stage_before IS DISTINCT FROM stage
        GROUP BY project_id, stage
    )
    SELECT project_id, stage, entered_on, precision, entered_end, source FROM milestone_entries
    UNION ALL
    SELECT r.project_id, r.stage, r.entered_on, 'day', r.entered_on, 'history'
    FROM recorded r
    WHERE NOT EXISTS (
        SELECT 1 FROM milestone_entries m
        WHERE m.project_id = r.project_id
          AND (m.stage = r.stage
               -- a funnel stage recorded after a milestone dates a later stage: the record, not the step (a
               -- project entered today with last year's milestones was not "conceived" today)
               OR (projects_stage_rank(m.stage) > projects_stage_rank(r.stage) AND m.entered_end <= r.entered_on))
    )
    """
