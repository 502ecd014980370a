"""Read-side queries over projects: the list queryset and the summaries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import JSONObject

from core.choices import BOUND_QUALIFIERS, Qualifier
from industries.models import Industry
from projects.models import Figure, FollowUp, Milestone, Participant, ParticipantRole, Project, ProjectKind, Stage
from regions.models import Region

GROUPINGS = ("region", "industry", "status", "year")


def project_list_queryset() -> QuerySet[Project]:
    """Projects with what a list row shows, in a constant number of queries however many rows."""
    lead = Participant.objects.filter(project=OuterRef("pk"), role=ParticipantRole.LEAD_INVESTOR).values(
        json=JSONObject(id="company_id", slug="company__slug", name="company__name", name_zh="company__name_zh")
    )[:1]
    return (
        Project.objects.select_related("region", "programme", "investment_citation__source", "tracked_by")
        .prefetch_related("industries")
        .annotate(lead_investor=Subquery(lead))
        .order_by("name", "id")
    )


def project_detail_queryset() -> QuerySet[Project]:
    return project_list_queryset().prefetch_related(
        Prefetch(
            "participants",
            queryset=Participant.objects.select_related("company", "citation__source").order_by("role", "id"),
        ),
        Prefetch("milestones", queryset=Milestone.objects.select_related("citation__source").order_by("date", "id")),
        Prefetch("funds_in_place"),
        Prefetch("figures", queryset=Figure.objects.select_related("citation__source")),
        Prefetch("follow_ups", queryset=FollowUp.objects.select_related("author")),
        Prefetch("component_projects", queryset=Project.objects.order_by("name", "id")),
    )


@dataclass
class SummaryRow:
    key: str | None
    label: str
    project_count: int
    total_investment: Decimal
    includes_bounds: bool
    projects_without_amount: int
    currency: str = "CNY"


_APPROXIMATE = [*BOUND_QUALIFIERS, Qualifier.ABOUT]


def project_summary(
    projects: QuerySet[Project], *, group_by: str, region: Region | None = None, industry: Industry | None = None
) -> dict[str, Any]:
    """Totals of the filtered projects per group, plus the overall total.

    Programmes are left out: their figures restate their projects' and would count twice.
    `region` groups by the direct children of the given region (its whole subtree summed into each
    child), `industry` likewise under the given industry or at the top of the taxonomy.
    """
    projects = projects.filter(kind=ProjectKind.PROJECT).order_by()
    columns = ("id", "planned_investment", "currency", "investment_qualifier", "region_id", "stage")
    base_sql, base_params = projects.values(*columns).query.sql_with_params()
    parent: dict[str, Any] | None = None

    if group_by == "region":
        root = region
        depth_sql = "nlevel(%s::ltree)" if root else "0"
        # The label of the root's child on the project's region path, or the root itself.
        key_sql = (
            f"CASE WHEN nlevel(r.path) > {depth_sql} "
            f"THEN subltree(r.path, {depth_sql}, {depth_sql} + 1)::text ELSE r.id::text END"
        )
        join = "JOIN regions_region r ON r.id = p.region_id"
        key_params = [root.path, root.path, root.path] if root else []
        rows = _run(key_sql, join, base_sql, base_params, key_params)
        ids = [int(row[0]) for row in rows if row[0] is not None]
        names = {str(r.id): (r.code, r.name) for r in Region.objects.filter(id__in=ids)}
        parent = {"code": root.code, "name": root.name} if root else None
        result = []
        for key, count, total, bounds, without in rows:
            code, name = names.get(key, (None, "unknown"))
            label = name if not (root and code == root.code) else f"{name} (directly)"
            result.append(SummaryRow(code, label, count, total, bounds, without))
    elif group_by == "industry":
        root = industry
        join = (
            "LEFT JOIN projects_project_industries pi ON pi.project_id = p.id "
            "LEFT JOIN industries_industry i ON i.id = pi.industry_id"
        )
        if root:
            join += " AND i.path <@ %s::ltree AND nlevel(i.path) > nlevel(%s::ltree)"
            key_sql = "subltree(i.path, nlevel(%s::ltree), nlevel(%s::ltree) + 1)::text"
            key_params = [root.path, root.path]
            join_params = [root.path, root.path]
        else:
            key_sql = "subltree(i.path, 0, 1)::text"
            key_params, join_params = [], []
        rows = _run(key_sql, join, base_sql, base_params, key_params, join_params)
        ids = [int(row[0]) for row in rows if row[0] is not None]
        names = {str(i.id): (i.code, i.name) for i in Industry.objects.filter(id__in=ids)}
        parent = {"code": root.code, "name": root.name} if root else None
        result = [
            SummaryRow(names.get(key, (None, ""))[0], names.get(key, (None, "no industry recorded"))[1], c, t, b, w)
            for key, c, t, b, w in rows
        ]
    elif group_by == "status":
        rows = _run("p.stage", "", base_sql, base_params, [])
        order = {stage: n for n, stage in enumerate(Stage.values)}
        result = sorted(
            (SummaryRow(key, str(Stage(key).label), c, t, b, w) for key, c, t, b, w in rows),
            key=lambda row: order[row.key],
        )
    elif group_by == "year":
        join = (
            "LEFT JOIN LATERAL (SELECT max(m.date) AS last_date FROM projects_milestone m "
            "WHERE m.project_id = p.id AND NOT m.is_planned) m ON TRUE"
        )
        rows = _run("extract(year FROM m.last_date)::int::text", join, base_sql, base_params, [])
        result = [SummaryRow(key, key or "no actual milestone", c, t, b, w) for key, c, t, b, w in rows]
    else:  # pragma: no cover - the view validates group_by
        raise ValueError(group_by)

    totals = _run("'all'", "", base_sql, base_params, [])
    total_row = totals[0] if totals else ("all", 0, Decimal(0), False, 0)
    return {
        "group_by": group_by,
        "parent": parent,
        "rows": result,
        "totals": SummaryRow(None, "all projects", total_row[1], total_row[2], total_row[3], total_row[4]),
    }


def _run(
    key_sql: str, join: str, base_sql: str, base_params, key_params: list, join_params: list | tuple = ()
) -> list[tuple]:
    """Aggregate the filtered projects (`base_sql`) per `key_sql`, each project once per key."""
    # Only constant SQL fragments of this module are interpolated; every value is a parameter.
    inner = f"SELECT p.*, {key_sql} AS key FROM ({base_sql}) AS p {join}"  # noqa: S608
    sql = f"""
        SELECT key, COUNT(*), COALESCE(SUM(planned_investment) FILTER (WHERE currency = 'CNY'), 0),
               COALESCE(BOOL_OR(investment_qualifier = ANY(%s)), FALSE),
               COUNT(*) FILTER (WHERE planned_investment IS NULL)
        FROM (SELECT DISTINCT ON (key, id) * FROM ({inner}) AS keyed) AS per_group
        GROUP BY key ORDER BY key NULLS LAST
    """  # noqa: S608
    params = [list(_APPROXIMATE), *key_params, *base_params, *join_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
