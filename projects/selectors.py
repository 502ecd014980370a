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
from projects.models import (
    Figure,
    FollowUp,
    FundsInPlace,
    Milestone,
    Participant,
    ParticipantRole,
    Project,
    ProjectKind,
    Stage,
)
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
        Prefetch("funds_in_place", queryset=FundsInPlace.objects.select_related("citation__source")),
        Prefetch("figures", queryset=Figure.objects.select_related("citation__source")),
        Prefetch("follow_ups", queryset=FollowUp.objects.select_related("author")),
        Prefetch("component_projects", queryset=Project.objects.order_by("name", "id")),
    )


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
    """Totals of the filtered projects per group, plus the overall total.

    Programmes are left out: their figures restate their projects' and would count twice. Each
    project counts once per row, however many of its industries fall into that row.

    `region` gives one row per direct child of the given region (or per top-level region), each
    summing the child's whole subtree, in code order and with zeros for children without projects,
    so a dashboard always gets the same rows; projects placed on the region itself get a row of
    their own. `industry` likewise under the given industry or at the top of the taxonomy, plus a
    row for projects filed under no industry. `status` gives every stage in funnel order, `year`
    the years of the projects' latest actual milestones.
    """
    projects = projects.filter(kind=ProjectKind.PROJECT).order_by()
    columns = ("id", "planned_investment", "currency", "investment_qualifier", "region_id", "stage")
    base = projects.values(*columns).query.sql_with_params()
    parent = None
    if group_by == "region":
        rows = _rows_by_region(base, region)
        parent = {"code": region.code, "name": region.name} if region else None
    elif group_by == "industry":
        rows = _rows_by_industry(base, industry)
        parent = {"code": industry.code, "name": industry.name} if industry else None
    elif group_by == "status":
        totals = _aggregate(base, "p.stage")
        rows = [_row(stage, str(Stage(stage).label), totals.get(stage)) for stage in Stage.values]
    elif group_by == "year":
        join = (
            "LEFT JOIN LATERAL (SELECT max(m.date) AS last_date FROM projects_milestone m "
            "WHERE m.project_id = p.id AND NOT m.is_planned) m ON TRUE"
        )
        totals = _aggregate(base, "extract(year FROM m.last_date)::int::text", join)
        rows = [_row(key, key or "no actual milestone", value) for key, value in totals.items()]
    else:  # pragma: no cover - the view validates group_by
        raise ValueError(group_by)
    return {
        "group_by": group_by,
        "parent": parent,
        "rows": rows,
        "totals": _row(None, "all projects", _aggregate(base, "'all'").get("all")),
    }


def _row(key: str | None, label: str, totals: Totals | None) -> SummaryRow:
    return SummaryRow(key, label, *totals) if totals else SummaryRow(key, label)


def _rows_by_region(base: tuple[str, tuple], root: Region | None) -> list[SummaryRow]:
    key_sql, key_params = _child_key("r", root)
    totals = _aggregate(base, key_sql, "JOIN regions_region r ON r.id = p.region_id", key_params=key_params)
    return _tree_rows(totals, root, root.children.all() if root else Region.objects.filter(parent__isnull=True))


def _rows_by_industry(base: tuple[str, tuple], root: Industry | None) -> list[SummaryRow]:
    # Only a project's industries inside `root`'s subtree place it: with industry=C, a project also
    # filed under an industry chain counts under C's children, and is not "filed under no industry".
    links = (
        "SELECT pi.project_id, i.id, i.path FROM projects_project_industries pi "
        "JOIN industries_industry i ON i.id = pi.industry_id"
    )
    join_params = []
    if root:
        links += " WHERE i.path <@ %s::ltree"
        join_params.append(root.path)
    key_sql, key_params = _child_key("i", root)
    join = f"LEFT JOIN ({links}) i ON i.project_id = p.id"
    totals = _aggregate(base, key_sql, join, key_params=key_params, join_params=join_params)
    rows = _tree_rows(totals, root, root.children.all() if root else Industry.objects.filter(parent__isnull=True))
    if None in totals:
        rows.append(_row(None, "no industry recorded", totals[None]))
    return rows


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
    totals: dict[str | None, Totals], root: Region | Industry | None, children: QuerySet
) -> list[SummaryRow]:
    """A row per child in code order, zeros included, after one for the projects placed on `root` itself."""
    rows = [_row(child.code, child.name, totals.get(str(child.pk))) for child in children.order_by("code", "id")]
    if root is not None and str(root.pk) in totals:
        rows.insert(0, _row(root.code, f"{root.name} (directly)", totals[str(root.pk)]))
    return rows


def _aggregate(
    base: tuple[str, tuple], key_sql: str, join: str = "", *, key_params: list = (), join_params: list = ()
) -> dict[str | None, Totals]:
    """Aggregate the filtered projects (`base`) per `key_sql`, each project once per key, keys in order."""
    base_sql, base_params = base
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
        return {key: (count, total, bounds, without) for key, count, total, bounds, without in cursor.fetchall()}
