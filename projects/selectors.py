"""Read-side queries over projects: the summaries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _

from core.choices import BOUND_QUALIFIERS, Qualifier
from industries.models import Industry
from projects.models import Project, ProjectKind, Stage, counts_in_totals, states_its_total
from regions.models import Region

GROUPINGS = ("region", "industry", "status", "year")


@dataclass
class SummaryRow:
    key: str | None
    label: str
    project_count: int = 0
    total_investment: Decimal = Decimal("0.00")
    includes_bounds: bool = False
    projects_without_amount: int = 0
    currency: str = "CNY"


_APPROXIMATE = [*BOUND_QUALIFIERS, Qualifier.ABOUT]

# Aggregates of one group: project count, CNY total, whether a bound went in, projects without amount.
Totals = tuple[int, Decimal, bool, int]


def project_summary(
    projects: QuerySet[Project], *, group_by: str, region: Region | None = None, industry: Industry | None = None
) -> dict[str, Any]:
    """Totals of the filtered projects per group, plus the overall total: one SQL statement.

    `project_count` counts projects, never programmes. The investment total counts each yuan once
    (projects.models.counts_in_totals): a programme whose total the source states exactly counts that
    total, in its own region, industries and stage, instead of its projects' amounts; otherwise its
    projects' amounts count and its own figure does not. `includes_bounds` and `projects_without_amount`
    speak of the amounts counted. Each project counts once per row, however many of its industries fall
    into that row.

    `region` gives one row per direct child of the given region (or per top-level region), each
    summing the child's whole subtree, in code order and with zeros for children without projects,
    so a dashboard always gets the same rows; projects placed on the region itself get a row of
    their own. `industry` likewise under the given industry or at the top of the taxonomy, plus a
    row for projects filed under no industry. `status` gives every stage in funnel order, `year`
    the years of the projects' latest actual milestones.

    This computes from the committed data; `projects.summary_cache` keeps the answer until the next write.
    """
    # Every project (they are counted), and the programmes whose stated total stands for their projects' amounts;
    # `counted` says whose amount goes into the total (projects.models.counts_in_totals).
    projects = (
        projects.filter(Q(kind=ProjectKind.PROJECT) | states_its_total())
        .annotate(counted=ExpressionWrapper(counts_in_totals(), output_field=BooleanField()))
        .order_by()
    )
    columns = ("id", "kind", "planned_investment", "currency", "investment_qualifier", "region_id", "stage", "counted")
    if group_by == "industry":
        columns += ("industry_codes",)
    base = projects.values(*columns).query.sql_with_params()
    parent = None
    if group_by == "region":
        key_sql, key_params = _child_key("r", region)
        totals, children = _aggregate(
            base,
            key_sql,
            "JOIN regions_region r ON r.id = p.region_id",
            key_params=key_params,
            children=("regions_region", region),
            pre_group="region_id",
        )
        rows = _tree_rows(totals, region, children)
        parent = region
    elif group_by == "industry":
        totals, children = _by_industry(base, industry)
        rows = _tree_rows(totals, industry, children, by_code=True)
        if None in totals:
            rows.append(_row(None, _("no industry recorded"), totals[None]))
        parent = industry
    elif group_by == "status":
        totals, _children = _aggregate(base, "p.stage")
        rows = flat_rows(group_by, totals)
    elif group_by == "year":
        join = (
            "LEFT JOIN LATERAL (SELECT max(m.date) AS last_date FROM projects_milestone m "
            "WHERE m.project_id = p.id AND NOT m.is_planned) m ON TRUE"
        )
        totals, _children = _aggregate(base, "extract(year FROM m.last_date)::int::text", join)
        rows = flat_rows(group_by, totals)
    else:  # pragma: no cover - the view validates group_by
        raise ValueError(group_by)
    return summary_answer(group_by, parent, rows, totals)


def summary_answer(
    group_by: str, parent: Region | Industry | None, rows: list[SummaryRow], totals: dict[Any, Totals]
) -> dict[str, Any]:
    """A summary's answer: its rows, under the region or industry they break down (if any), and the overall total."""
    return {
        "group_by": group_by,
        "parent": {"code": parent.code, "name": parent.name} if parent is not None else None,
        "rows": rows,
        "totals": _row(None, _("all projects"), totals.get(ALL)),
    }


def flat_rows(group_by: str, totals: dict[Any, Totals]) -> list[SummaryRow]:
    """The rows of a grouping with no tree: every stage in funnel order, or the years found (no milestone last)."""
    if group_by == "status":
        return [_row(stage, str(Stage(stage).label), totals.get(stage)) for stage in Stage.values]
    return [_row(key, key or _("no actual milestone"), value) for key, value in totals.items() if key is not ALL]


def _row(key: str | None, label: str, totals: Totals | None) -> SummaryRow:
    return SummaryRow(key, label, *totals) if totals else SummaryRow(key, label)


def _by_industry(base: tuple[str, tuple], root: Industry | None) -> tuple[dict, list[tuple[int, str, str]]]:
    """Totals per child of `root` (per top-level industry without one), keyed by code.

    A project's industry codes (`industry_codes`: its industries and every broader one, kept by the
    database) name the children it falls under, each once: no scan of the link table. Only a project's
    industries inside `root`'s subtree place it: with industry=C, a project also filed under an industry
    chain counts under C's children, and is not "filed under no industry". A project linked to `root`
    itself also counts in the root's own row ("(directly)").
    """
    children = "parent_id = %s" if root is not None else "parent_id IS NULL"
    # Only constant SQL fragments of this module are interpolated; every value is a parameter.
    codes = f"SELECT code FROM industries_industry WHERE {children}"  # noqa: S608
    keys = f"SELECT code FROM unnest(p.industry_codes) AS code WHERE code = ANY(ARRAY({codes}))"  # noqa: S608
    params: list = [root.pk] if root is not None else []
    if root is not None:
        keys += (
            " UNION ALL SELECT %s WHERE EXISTS (SELECT 1 FROM projects_project_industries pi"
            " WHERE pi.project_id = p.id AND pi.industry_id = %s)"
        )
        params += [root.code, root.pk]
    join = f"LEFT JOIN LATERAL ({keys}) AS k ON TRUE"
    return _aggregate(
        base, "k.code", join, join_params=params, several_keys=True, children=("industries_industry", root)
    )


def _child_key(alias: str, root: Region | Industry | None) -> tuple[str, list]:
    """SQL for the id of the child of `root` (of the top, without one) on `alias.path`, or `root`'s own id."""
    if root is None:
        return f"subltree({alias}.path, 0, 1)::text", []
    depth = "nlevel(%s::ltree)"
    sql = (
        f"CASE WHEN nlevel({alias}.path) > {depth} "
        f"THEN subltree({alias}.path, {depth}, {depth} + 1)::text ELSE {alias}.id::text END"
    )
    return sql, [root.path] * 3


def _tree_rows(
    totals: dict[str | None, Totals],
    root: Region | Industry | None,
    children: list[tuple[int, str, str]],
    *,
    by_code: bool = False,
) -> list[SummaryRow]:
    """A row per child in code order, zeros included, after one for the projects placed on `root` itself.

    `totals` are keyed by the nodes' ids as text, or by their codes (`by_code`)."""
    rows = [_row(code, name, totals.get(code if by_code else str(pk))) for pk, code, name in children]
    own = None if root is None else (root.code if by_code else str(root.pk))
    if own is not None and own in totals:
        rows.insert(0, _row(root.code, _("%(name)s (directly)") % {"name": root.name}, totals[own]))
    return rows


# The key of the overall total among an aggregate's keys (never a real key: those are text or None).
ALL = object()

AGGREGATES = """COUNT(*) FILTER (WHERE kind = 'project') AS n,
    COALESCE(SUM(planned_investment) FILTER (WHERE currency = 'CNY' AND counted), 0) AS total,
    COALESCE(BOOL_OR(counted AND investment_qualifier = ANY(%s)), FALSE) AS bounds,
    COUNT(*) FILTER (WHERE counted AND planned_investment IS NULL) AS without"""
# The same, over groups already aggregated by AGGREGATES (zeros, not nulls, when no project matches).
SUMS = """COALESCE(SUM(n), 0)::bigint, COALESCE(SUM(total), 0), COALESCE(BOOL_OR(bounds), FALSE),
    COALESCE(SUM(without), 0)::bigint"""


def _aggregate(
    base: tuple[str, tuple],
    key_sql: str,
    join: str = "",
    *,
    key_params: list = (),
    join_params: list = (),
    several_keys: bool = False,
    children: tuple[str, Region | Industry | None] | None = None,
    pre_group: str = "",
) -> tuple[dict[Any, Totals], list[tuple[int, str, str]]]:
    """Aggregate the filtered projects (`base`) per `key_sql` and overall, in one statement.

    Returns the totals per key (the overall total under `ALL`) and, with `children` (a tree table and
    a root), the root's direct children (of the top without one) in code order, for rows with zeros.
    A project has one key, unless `several_keys` (industries): then it counts once per key (the join
    must give each of a project's keys once), and the overall total is taken over the projects
    themselves, not over the keyed rows.

    `pre_group` (a column of the projects the key depends on alone, such as `region_id`) aggregates per
    that column first: the key (a path computation and a join) is then worked out a few thousand
    times, once per region, instead of once per project.
    """
    base_sql, base_params = base
    # Only constant SQL fragments of this module are interpolated; every value is a parameter.
    keyed = f"SELECT p.*, {key_sql} AS key FROM ({base_sql}) AS p {join}"  # noqa: S608
    keyed_params = [*key_params, *base_params, *join_params]
    approximate = list(_APPROXIMATE)
    if pre_group:
        grouped = f"SELECT {pre_group}, {AGGREGATES} FROM ({base_sql}) AS g GROUP BY {pre_group}"  # noqa: S608
        keyed = f"SELECT p.*, {key_sql} AS key FROM ({grouped}) AS p {join}"  # noqa: S608
        parts = [
            f"SELECT CASE WHEN GROUPING(key) = 1 THEN 2 ELSE 0 END, key, {SUMS}, NULL::bigint, NULL, NULL "  # noqa: S608
            f"FROM ({keyed}) AS keyed GROUP BY ROLLUP (key)"
        ]
        params = [*key_params, approximate, *base_params, *join_params]
    elif several_keys:
        parts = [
            f"SELECT 0 AS part, key, {AGGREGATES}, NULL::bigint, NULL, NULL "  # noqa: S608
            f"FROM ({keyed}) AS keyed GROUP BY key",
            f"SELECT 2, NULL, {AGGREGATES}, NULL, NULL, NULL FROM ({base_sql}) AS p",  # noqa: S608
        ]
        params = [approximate, *keyed_params, approximate, *base_params]
    else:
        # Every project has exactly one key: ROLLUP adds the overall total without a second scan.
        parts = [
            f"SELECT CASE WHEN GROUPING(key) = 1 THEN 2 ELSE 0 END, key, {AGGREGATES}, NULL::bigint, NULL, NULL "  # noqa: S608
            f"FROM ({keyed}) AS keyed GROUP BY ROLLUP (key)"
        ]
        params = [approximate, *keyed_params]
    if children is not None:
        table, root = children
        where = "parent_id = %s" if root is not None else "parent_id IS NULL"
        parts.append(f"SELECT 1, NULL, NULL, NULL, NULL, NULL, id, code, name FROM {table} WHERE {where}")  # noqa: S608
        params += [root.pk] if root is not None else []
    sql = " UNION ALL ".join(f"({part})" for part in parts) + " ORDER BY 1, 2 NULLS LAST, 8, 7"
    totals: dict[Any, Totals] = {}
    kids: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for part, key, count, total, bounds, without, pk, code, name in cursor.fetchall():
            if part == 1:
                kids.append((pk, code, name))
            else:
                totals[ALL if part == 2 else key] = (count, total, bounds, without)
    return totals, kids
