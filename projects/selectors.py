"""Read-side queries over projects: the list queryset and the summaries."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    DecimalField,
    Func,
    JSONField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.base import DEFERRED
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, JSONObject

from core.choices import BOUND_QUALIFIERS, Qualifier
from core.querysets import built_once, compiled
from core.sql_json import JSONBuildObject, json_array, json_summary, record_of, timestamp_writer, write_timestamps
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
from sources.models import Citation, Source

GROUPINGS = ("region", "industry", "status", "year")


# The records a project's row joins (a detail's too).
ROW_JOINS = ("region", "programme", "investment_citation__source", "tracked_by")


@built_once
def project_list_queryset() -> QuerySet[Project]:
    """Projects with what a list row shows, in one query however many rows: to-one records are
    joined, the lead investor and the industry codes are correlated subqueries of the row's own
    SELECT (a prefetch would be a second query per page, and per chunk of a CSV export)."""
    return (
        Project.objects.select_related(*ROW_JOINS)
        .annotate(lead_investor=lead_investor(JSONObject), industry_codes=industry_codes())
        .order_by("name", "id")
    )


def project_csv_queryset() -> QuerySet[Project]:
    """The list's rows for a CSV export: industries prefetched per chunk of the server-side cursor.

    The annotated array of the JSON list measured a peak memory growing with the rows of an export
    (tests/test_csv.py); the prefetch keeps it flat, for one more query per 500 rows.
    """
    return (
        project_list_queryset()
        .annotate(industry_codes=Value(None, output_field=JSONField()))
        .prefetch_related("industries")
    )


def lead_investor(json_object: type[Func]) -> Subquery:
    """The outer project's lead investor as a company summary, built by `json_object` (JSONObject or
    JSONBuildObject), or null."""
    leads = Participant.objects.filter(project=OuterRef("pk"), role=ParticipantRole.LEAD_INVESTOR)
    summary = json_object(id="company_id", slug="company__slug", name="company__name", name_zh="company__name_zh")
    return Subquery(leads.values(json=summary)[:1], output_field=JSONField())


def industry_codes() -> ArraySubquery:
    """The codes of the outer project's industries, in the industries' own order (code, id)."""
    return ArraySubquery(Industry.objects.filter(projects=OuterRef("pk")).order_by("code", "id").values("code"))


# The timestamps of a row, which the list serializer writes in the request's time zone (see `project_rows`).
ROW_TIMESTAMPS = ("created_at", "updated_at")


def _citation(key: str) -> Subquery:
    """The summary of the citation whose id is the outer row's `key`, as `citation_field` writes it, or null."""
    return json_summary(
        Citation,
        key,
        ("id",),
        source=json_summary(Source, "source_id", ("id", "slug", "title")),
        locator="locator",
        quote="quote",
    )


def _row_fields() -> dict[str, Any]:
    """A project's list row as `ProjectSerializer` writes it, field for field and in its order, timestamps aside."""
    return {
        "id": "id",
        "slug": "slug",
        "name": "name",
        "name_zh": "name_zh",
        "aliases": "aliases",
        "kind": "kind",
        "programme": json_summary(Project, "programme_id", ("id", "slug", "name", "name_zh")),
        "region": json_summary(Region, "region_id", ("code", "name", "name_zh", "level")),
        "industries": industry_codes(),
        "stage": "stage",
        "stage_reason": "stage_reason",
        # numeric(20, 2) as text is the serializer's two-place decimal string ("2000000000.00").
        "planned_investment": _text("planned_investment"),
        "currency": "currency",
        "investment_qualifier": "investment_qualifier",
        "investment_citation": _citation("investment_citation_id"),
        "lead_investor": lead_investor(JSONBuildObject),
        "tracked_by": Subquery(record_of(get_user_model(), "tracked_by_id").values("username")),
        "description": "description",
    }


def _text(name: str) -> Cast:
    # A decimal column as text is the serializer's decimal string: the column's scale is the field's places.
    return Cast(name, TextField())


@functools.cache
def project_row_json() -> RawSQL:
    """A project's list row as JSON text, written by PostgreSQL (see `project_row_queryset`).

    The same row as `project_list_queryset` through `ProjectSerializer`, field for field and in the same
    order, timestamps aside (`project_rows` adds them); tests/projects/test_sql_rows.py compares them.

    Compiled once per process, to SQL that reads the outer row's columns only (related records come from
    correlated subqueries): resolving and compiling the expression's forty-odd references took about
    2 ms of CPU on every page, for the same SQL each time.
    """
    return compiled(Project, Cast(JSONBuildObject(**_row_fields()), TextField()))


def project_row_queryset() -> QuerySet[Project]:
    """Projects for a JSON list page: the row statement selects the id and timestamps, and the page's
    rows get their JSON (`project_row_json`, as `row_json`) from the pagination, on the page's final
    statement only: the count and the page's ids are subqueries of the same query, and carrying the
    JSON expression into them would cost its resolution three times over.

    PostgreSQL writes each row's JSON in the page's one statement, instead of Django building five
    model instances per row and DRF walking a serializer's fields for each (tier M: 13 ms -> 5 ms of
    CPU a page).
    """
    return Project.objects.only("id", *ROW_TIMESTAMPS).order_by("name", "id")


def project_rows(projects: list[Project]) -> list[dict[str, Any]]:
    """The rows of a JSON list page, from `project_row_queryset`'s records.

    The timestamps are written as the serializer writes them (its `DateTimeField`), in the request's time zone.
    """
    timestamp = timestamp_writer()
    rows = []
    for project in projects:
        row = orjson.loads(project.row_json)
        for name in ROW_TIMESTAMPS:
            value = getattr(project, name)
            row[name] = None if value is None else timestamp(value)
        rows.append(row)
    return rows


# What a project's detail shows of each record attached to it, as (model, fields); a field that is a
# dict is a related record, with its own fields. The serializers (projects.serializers) read nothing else,
# and write the fields in this order (`project_detail_json` follows it).
Fields = tuple[str | dict[str, "Fields"], ...]
CITATION: Fields = ("id", {"source": ("id", "slug", "title")}, "locator", "quote")
TIMESTAMPS: Fields = ("created_at", "updated_at")
FOLDED: dict[str, tuple[QuerySet, Fields]] = {
    "participants": (
        Participant.objects.order_by("role", "id"),
        (
            "id", {"company": ("id", "slug", "name", "name_zh")}, "role", "share", "note", {"citation": CITATION},
            *TIMESTAMPS,
        ),
    ),
    "milestones": (
        Milestone.objects.order_by("date", "id"),
        ("id", "stage", "date", "date_precision", "is_planned", "note", {"citation": CITATION}, *TIMESTAMPS),
    ),
    "funds_in_place": (
        FundsInPlace.objects.order_by("as_of", "id"),
        ("id", "as_of", "amount", "currency", "qualifier", {"citation": CITATION}, *TIMESTAMPS),
    ),
    "figures": (
        Figure.objects.order_by("period_start", "metric", "id"),
        (
            "id", "metric", "label", "period", "value", "unit", "qualifier", "is_estimated", "is_derived", "formula",
            {"citation": CITATION},
        ),
    ),
    "follow_ups": (
        FollowUp.objects.order_by("-happened_on", "-id"),
        ("id", "happened_on", {"author": ("id", "username")}, "action", "next_step", "next_step_due", *TIMESTAMPS),
    ),
    "component_projects": (Project.objects.order_by("name", "id"), ("id", "slug", "name", "name_zh")),
}  # fmt: skip


# The relations of a detail whose records carry timestamps (`project_detail` writes them in the request's zone).
FOLDED_TIMESTAMPED = ("participants", "milestones", "funds_in_place", "follow_ups")


# Related records that a detail's serializer writes as one of their fields, not as an object.
AS_ONE_FIELD = {"author": "username"}


def _json_fields(model: type[Model], fields: Fields) -> dict[str, Any]:
    """The values of `fields` of a `model` row for `JSONBuildObject`, in their order: a related record as a
    correlated subquery of its own fields, a decimal as the serializer's decimal string."""
    values: dict[str, Any] = {}
    for item in fields:
        if isinstance(item, str):
            values[item] = _text(item) if isinstance(model._meta.get_field(item), DecimalField) else item
            continue
        for name, related_fields in item.items():
            field = model._meta.get_field(name)
            related = record_of(field.related_model, field.attname)
            if name in AS_ONE_FIELD:
                values[name] = Subquery(related.values(AS_ONE_FIELD[name]))
            else:
                json = JSONBuildObject(**_json_fields(field.related_model, related_fields))
                values[name] = Subquery(related.values(json=json), output_field=JSONField())
    return values


def _records_json(relation: str) -> Func:
    """The outer project's records of `relation` as a JSON array, in the detail's order and fields (`FOLDED`)."""
    queryset, fields = FOLDED[relation]
    rows = queryset.filter(**{_back_to_project(relation): OuterRef("pk")}).values(
        json=JSONBuildObject(**_json_fields(queryset.model, fields))
    )
    return json_array(rows)


@functools.cache
def project_detail_json() -> RawSQL:
    """A project's detail as JSON text, written by PostgreSQL: the list row, its timestamps, then the records
    attached to it (`FOLDED`), each as its serializer writes it, field for field and in the same order.
    The timestamps are PostgreSQL's, in UTC; `project_detail` writes them as the serializers do.
    tests/projects/test_detail_one_query.py compares the answer with the serializers' bytes. Compiled once
    per process (`compiled`).
    """
    detail = JSONBuildObject(
        **_row_fields(),
        created_at="created_at",
        updated_at="updated_at",
        **{relation: _records_json(relation) for relation in FOLDED},
    )
    return compiled(Project, Cast(detail, TextField()))


# What a JSON detail reads of its project: the keys, the version (the ETag) and the detail's JSON.
DETAIL_ROW_COLUMNS = ("id", "slug", "version", "detail_json")


def project_detail_row_queryset() -> QuerySet[Project]:
    """Projects for a JSON detail: `DETAIL_ROW_COLUMNS`, the JSON written by `project_detail_json`."""
    return Project.objects.only(*DETAIL_ROW_COLUMNS[:-1]).annotate(detail_json=project_detail_json())


def project_detail(project: Project) -> dict[str, Any]:
    """The detail of a `project_detail_row_queryset` record, with every timestamp written as the serializers
    write them (DRF's `DateTimeField`), in the request's time zone."""
    detail = orjson.loads(project.detail_json)
    write_timestamps(
        [detail, *(record for relation in FOLDED_TIMESTAMPED for record in detail[relation])], ROW_TIMESTAMPS
    )
    return detail


def folded_annotation(relation: str) -> str:
    """The annotation of `project_detail_queryset` holding the records of `relation`."""
    return f"folded_{relation}"


@built_once
def project_detail_queryset() -> QuerySet[Project]:
    """A project with everything attached to it, in one query: each to-many relation is an array of JSON
    objects from a correlated subquery of the row's own SELECT, in the order the detail shows it (six
    prefetches would be six more queries). `folded_records` turns the JSON back into records.

    Built once per process (`built_once`: building the subqueries took about 3 ms of CPU on every detail
    and every 304), and the subqueries compiled to SQL once (`compiled`: compiling them took about 4 ms
    more on every detail, for the same SQL each time). A detail is a query of its own, with the project
    table unaliased, as `compiled` requires; nothing uses this queryset as a subquery.
    """
    folded = {
        folded_annotation(relation): compiled(
            Project,
            ArraySubquery(
                queryset.filter(**{_back_to_project(relation): OuterRef("pk")}).values(
                    json=_json_of(queryset.model, fields)
                )
            ),
        )
        for relation, (queryset, fields) in FOLDED.items()
    }
    return (
        Project.objects.select_related(*ROW_JOINS)
        .annotate(
            lead_investor=compiled(Project, lead_investor(JSONObject)),
            industry_codes=compiled(Project, industry_codes()),
            **folded,
        )
        .order_by("name", "id")
    )


def _back_to_project(relation: str) -> str:
    """The foreign key to the project that `relation` follows back (`project`, a component's `programme`)."""
    return Project._meta.get_field(relation).field.name


def _json_of(model: type[Model], fields: Fields, prefix: str = "") -> JSONObject:
    """A JSON object of the fields. Decimals travel as text: JSON numbers would come back as floats."""
    columns: dict[str, Any] = {}
    for item in fields:
        if isinstance(item, dict):
            for name, related in item.items():
                target = model._meta.get_field(name).related_model
                columns[name] = _json_of(target, related, f"{prefix}{name}__")
        elif isinstance(model._meta.get_field(item), DecimalField):
            columns[item] = Cast(f"{prefix}{item}", TextField())
        else:
            columns[item] = f"{prefix}{item}"
    return JSONObject(**columns)


def folded_records(relation: str, rows: list[dict[str, Any]]) -> list[Model]:
    """The records of `relation` from their JSON (`project_detail_queryset`), as a query would return them."""
    queryset, _fields = FOLDED[relation]
    return [_record(queryset.model, row) for row in rows]


def _record(model: type[Model], data: dict[str, Any]) -> Model | None:
    """A record from its JSON object: each value converted as the field reads it (dates, timestamps with
    their zone, exact decimals), related records attached. The fields left out are deferred, so reading
    one would be a query, never a silently wrong default. A related record left empty is all nulls."""
    if data.get("id") is None:
        return None
    values: dict[str, Any] = {}
    related: dict[str, Model | None] = {}
    for name, value in data.items():
        field = model._meta.get_field(name)
        if field.is_relation:
            related[name] = _record(field.related_model, value)
        else:
            values[field.attname] = None if value is None else field.to_python(value)
    concrete = model._meta.concrete_fields
    record = model.from_db(
        connection.alias, [f.attname for f in concrete], [values.get(f.attname, DEFERRED) for f in concrete]
    )
    for name, other in related.items():
        setattr(record, name, other)
    return record


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

    Programmes are left out: their figures restate their projects' and would count twice. Each
    project counts once per row, however many of its industries fall into that row.

    `region` gives one row per direct child of the given region (or per top-level region), each
    summing the child's whole subtree, in code order and with zeros for children without projects,
    so a dashboard always gets the same rows; projects placed on the region itself get a row of
    their own. `industry` likewise under the given industry or at the top of the taxonomy, plus a
    row for projects filed under no industry. `status` gives every stage in funnel order, `year`
    the years of the projects' latest actual milestones.

    This computes from the committed data; `projects.summary_cache` keeps the answer until the next write.
    """
    projects = projects.filter(kind=ProjectKind.PROJECT).order_by()
    columns = ("id", "planned_investment", "currency", "investment_qualifier", "region_id", "stage")
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
        parent = {"code": region.code, "name": region.name} if region else None
    elif group_by == "industry":
        totals, children = _by_industry(base, industry)
        rows = _tree_rows(totals, industry, children)
        if None in totals:
            rows.append(_row(None, "no industry recorded", totals[None]))
        parent = {"code": industry.code, "name": industry.name} if industry else None
    elif group_by == "status":
        totals, _children = _aggregate(base, "p.stage")
        rows = [_row(stage, str(Stage(stage).label), totals.get(stage)) for stage in Stage.values]
    elif group_by == "year":
        join = (
            "LEFT JOIN LATERAL (SELECT max(m.date) AS last_date FROM projects_milestone m "
            "WHERE m.project_id = p.id AND NOT m.is_planned) m ON TRUE"
        )
        totals, _children = _aggregate(base, "extract(year FROM m.last_date)::int::text", join)
        rows = [_row(key, key or "no actual milestone", value) for key, value in totals.items() if key is not ALL]
    else:  # pragma: no cover - the view validates group_by
        raise ValueError(group_by)
    return {
        "group_by": group_by,
        "parent": parent,
        "rows": rows,
        "totals": _row(None, "all projects", totals.get(ALL)),
    }


def _row(key: str | None, label: str, totals: Totals | None) -> SummaryRow:
    return SummaryRow(key, label, *totals) if totals else SummaryRow(key, label)


def _by_industry(base: tuple[str, tuple], root: Industry | None) -> tuple[dict, list[tuple[int, str, str]]]:
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
    return _aggregate(
        base,
        key_sql,
        join,
        key_params=key_params,
        join_params=join_params,
        several_keys=True,
        children=("industries_industry", root),
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
    totals: dict[str | None, Totals], root: Region | Industry | None, children: list[tuple[int, str, str]]
) -> list[SummaryRow]:
    """A row per child in code order, zeros included, after one for the projects placed on `root` itself."""
    rows = [_row(code, name, totals.get(str(pk))) for pk, code, name in children]
    if root is not None and str(root.pk) in totals:
        rows.insert(0, _row(root.code, f"{root.name} (directly)", totals[str(root.pk)]))
    return rows


# The key of the overall total among an aggregate's keys (never a real key: those are text or None).
ALL = object()

AGGREGATES = """COUNT(*) AS n, COALESCE(SUM(planned_investment) FILTER (WHERE currency = 'CNY'), 0) AS total,
    COALESCE(BOOL_OR(investment_qualifier = ANY(%s)), FALSE) AS bounds,
    COUNT(*) FILTER (WHERE planned_investment IS NULL) AS without"""
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
    A project has one key, unless `several_keys` (industries): then it counts once per key, and the
    overall total is taken over the projects themselves, not over the keyed rows.

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
            f"FROM (SELECT DISTINCT ON (key, id) * FROM ({keyed}) AS keyed) AS per_group GROUP BY key",
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
