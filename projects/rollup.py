"""The summaries from the rollup (projects/migrations/0020): sums per cell that the database keeps on every write.

`project_summary` reads every filtered project; over most of them (no region, a province, a stage, an industry)
that is 0.2-1 s at 300,000 projects. Those questions are answered here from the cells instead, a few thousand
rows, with the same rows, labels and totals (tests/projects/test_summary_rollup.py holds the two equal):

- grain 1, per (region down to the second level of the tree, stage, year): any grouping but by industry, with
  no industry filter, and a region filter at the first or second level (grouping by region: at the first).
- grain 2, per (stage, year, industry code, filed directly under it): any grouping but by region, with no
  region filter, and an industry filter at any level.

Any other filter, a deeper region, both a region and an industry, or a question about the past (`as_of`: the
cells hold only now) goes to `project_summary`.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from api.asof import reads_the_past
from industries.models import Industry
from projects.selectors import ALL, Totals, _child_key, _row, _tree_rows, flat_rows, summary_answer
from regions.models import Region

# The filters the cells can answer; any other one set sends the question to the projects themselves.
ANSWERED_FILTERS = frozenset({"region", "stage", "industry"})
# The deepest region whose subtree the region cells cover (they are kept down to the second level).
CELL_DEPTH = 2

SUMS = """COALESCE(SUM(c.members), 0)::bigint, COALESCE(SUM(c.n), 0)::bigint, COALESCE(SUM(c.total), 0),
    COALESCE(SUM(c.bounds), 0) > 0, COALESCE(SUM(c.without), 0)::bigint"""
# The columns of a child row (of the tree's children listed for rows with zeros), empty in a sums row.
NO_CHILD = "NULL::bigint, NULL::varchar, NULL::varchar"


def _depth(node: Region | Industry) -> int:
    return str(node.path).count(".") + 1


def summary_from_cells(group_by: str, filters: dict[str, Any]) -> dict[str, Any] | None:
    """`project_summary`'s answer from the cells, or None when they cannot give it (see the module docstring).

    `filters` is the list filter set's cleaned data."""
    if reads_the_past() or any(
        value not in (None, "", [], ()) for name, value in filters.items() if name not in ANSWERED_FILTERS
    ):
        return None
    region: Region | None = filters.get("region")
    industry: Industry | None = filters.get("industry")
    stages: list[str] = list(filters.get("stage") or [])
    if region is not None and (industry is not None or group_by == "industry"):
        return None
    if industry is not None or group_by == "industry":
        if group_by == "region":
            return None
        return _by_code(group_by, industry, stages)
    if region is not None and _depth(region) > (CELL_DEPTH - 1 if group_by == "region" else CELL_DEPTH):
        return None
    return _by_region_cell(group_by, region, stages)


def _by_region_cell(group_by: str, region: Region | None, stages: list[str]) -> dict[str, Any]:
    where, params = ["c.grain = 1"], []
    join = "JOIN regions_region r ON r.id = c.region_cell"
    if region is not None:
        where.append("r.path <@ %s::ltree")
        params.append(str(region.path))
    if stages:
        where.append("c.stage = ANY(%s)")
        params.append(stages)
    if group_by == "region":
        key, key_params = _child_key("r", region)
        totals, children = _aggregate(key, key_params, join, where, params, children=("regions_region", region))
        return summary_answer(group_by, region, _tree_rows(totals, region, children), totals)
    totals, _children = _aggregate(_plain_key(group_by), [], join, where, params)
    return summary_answer(group_by, None, flat_rows(group_by, totals), totals)


def _by_code(group_by: str, industry: Industry | None, stages: list[str]) -> dict[str, Any]:
    where, params = ["c.grain = 2"], []
    if stages:
        where.append("c.stage = ANY(%s)")
        params.append(stages)
    if group_by != "industry":
        # The filtered projects are those with the industry among their codes, each once.
        totals, _children = _aggregate(_plain_key(group_by), [], "", [*where, "c.code = %s"], [*params, industry.code])
        return summary_answer(group_by, None, flat_rows(group_by, totals), totals)
    # Rows: the root's children (the top of the taxonomy without one), each a code a project holds; the root's
    # own projects (filed under it directly); without a root, the projects filed under no industry. Totals: the
    # filtered projects themselves, each once (code '*' or the root's code).
    children = "parent_id = %s" if industry is not None else "parent_id IS NULL"
    child_codes = f"SELECT code FROM industries_industry WHERE {children}"  # noqa: S608
    child_params = [industry.pk] if industry is not None else []
    if industry is None:
        keyed = f"c.code IN ({child_codes}) OR c.code = ''"
        key = "NULLIF(c.code, '')"
        total = "c.code = '*'"
        key_params, total_params = child_params, []
    else:
        keyed = f"c.code IN ({child_codes}) OR (c.code = %s AND c.direct)"
        key = "c.code"
        total = "c.code = %s"
        key_params, total_params = [*child_params, industry.code], [industry.code]
    totals, kids = _aggregate(
        key,
        [],
        "",
        where,
        params,
        keyed=(keyed, key_params),
        total=(total, total_params),
        children=("industries_industry", industry),
    )
    rows = _tree_rows(totals, industry, kids, by_code=True)
    if None in totals:
        rows.append(_row(None, _("no industry recorded"), totals[None]))
    return summary_answer(group_by, industry, rows, totals)


def _plain_key(group_by: str) -> str:
    return "c.stage" if group_by == "status" else "NULLIF(c.year, 0)::text"


def _aggregate(
    key_sql: str,
    key_params: list,
    join: str,
    where: list[str],
    params: list,
    *,
    keyed: tuple[str, list] | None = None,
    total: tuple[str, list] | None = None,
    children: tuple[str, Region | Industry | None] | None = None,
) -> tuple[dict[Any, Totals], list[tuple[int, str, str]]]:
    """The cells' sums per key and overall, in one statement, as `projects.selectors._aggregate` gives them.

    A group with no member (every project moved out of its cells) is no group, as no project would make it.
    `keyed` and `total` restrict the cells of the keyed rows and of the overall total (grain 2, where a project
    is in several cells); without them each cell has one key and ROLLUP gives the total."""
    # Only constant SQL fragments of this module and projects.selectors are interpolated; values are parameters.
    condition = " AND ".join(f"({part})" for part in where)
    cells = f"FROM projects_summary_cell c {join} WHERE {condition}"
    if keyed is None:
        inner = f"SELECT {key_sql} AS key, c.* {cells}"
        rollup = f"FROM ({inner}) AS c GROUP BY ROLLUP (key)"
        parts = [f"SELECT CASE WHEN GROUPING(key) = 1 THEN 2 ELSE 0 END, key, {SUMS}, {NO_CHILD} {rollup}"]
        all_params = [*key_params, *params]
    else:
        keyed_sql, keyed_params = keyed
        total_sql, total_params = total
        parts = [
            f"SELECT 0, {key_sql}, {SUMS}, {NO_CHILD} {cells} AND ({keyed_sql}) GROUP BY 2",
            f"SELECT 2, NULL, {SUMS}, {NO_CHILD} {cells} AND ({total_sql})",
        ]
        all_params = [*key_params, *params, *keyed_params, *params, *total_params]
    if children is not None:
        table, root = children
        where_child = "parent_id = %s" if root is not None else "parent_id IS NULL"
        child_columns = "id, code::varchar, name::varchar"
        parts.append(f"SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, {child_columns} FROM {table} WHERE {where_child}")  # noqa: S608
        all_params += [root.pk] if root is not None else []
    sql = " UNION ALL ".join(f"({part})" for part in parts) + " ORDER BY 1, 2 NULLS LAST, 9, 8"
    totals: dict[Any, Totals] = {}
    kids: list[tuple[int, str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        for part, key, members, count, amount, bounds, without, pk, code, name in cursor.fetchall():
            if part == 1:
                kids.append((pk, code, name))
            elif members or part == 2:
                totals[ALL if part == 2 else key] = (count, amount, bounds, without)
    return totals, kids
