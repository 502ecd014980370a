"""F, the floor: the benchmarked endpoints as a bare WSGI app, psycopg 3 and orjson, nothing else.

It answers the same requests with the same rows and fields as the app (see `bench/compare.py` for
what is compared), with hand-written SQL doing what the app's queries do: one query for a count
(bounded at the cap, as O's) and one for a page, one for a detail, one for a region, two for a
summary. What costs more than this in the app is framework and serialization. Served by gunicorn like the others:

    DATABASE_URL=... gunicorn -w 2 bench.floor:application
"""

# SQL here is built from this module's constants only; every value is a parameter.
# ruff: noqa: S608
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg
import psycopg.sql

PAGE_SIZE = 50
APPROXIMATE = ["more_than", "at_least", "less_than", "about"]
QUERIES = {"count": 0}  # executes since start, for the harness's queries-per-request column
COUNT_CAP = int(os.environ.get("API_COUNT_CAP") or 1000)  # as O's setting: a list counts this many rows at most
_connection: psycopg.Connection | None = None
# O's session settings (database.config.SESSION_OPTIONS, which imports Django; tests/bench holds them equal).
SESSION_OPTIONS = "-c jit=off"


def _conn() -> psycopg.Connection:
    # One connection per worker process, opened on its first request (gunicorn forks after import).
    global _connection
    if _connection is None or _connection.closed:
        # With O's session settings (database/config.py: JIT off), so that the floor stays a floor.
        _connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, options=SESSION_OPTIONS)
    return _connection


def _query(sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[tuple]:
    QUERIES["count"] += 1
    return _conn().execute(sql, params).fetchall()


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


CITATION_JSON = """(SELECT json_build_object('id', c.id, 'source', json_build_object('id', s.id, 'slug', s.slug,
    'title', s.title), 'locator', c.locator, 'quote', c.quote) FROM sources_citation c
    JOIN sources_source s ON s.id = c.source_id WHERE c.id = {column})"""

# A programme that states its total exactly counts it instead of its projects' amounts (projects.models.
# counts_in_totals): the summary reads every project and those programmes, and `counted` says whose amount counts.
STATED = "{p}.kind = 'programme' AND {p}.investment_qualifier = 'exact' AND {p}.planned_investment IS NOT NULL"
SUMMARISED = f"(p.kind = 'project' OR {STATED.format(p='p')})"
COUNTED = (
    f"({STATED.format(p='p')} OR p.kind = 'project' AND (p.programme_id IS NULL"
    f" OR p.programme_id NOT IN (SELECT s.id FROM projects_project s WHERE {STATED.format(p='s')})))"
)

# projects.models.fai_eligible: at least 5 million yuan planned (a figure or a lower bound) and started.
FAI_ELIGIBLE = """(p.planned_investment IS NOT NULL AND p.planned_investment >= 5000000 AND p.currency = 'CNY'
    AND p.investment_qualifier IN ('exact', 'about', 'more_than', 'at_least')
    AND EXISTS (SELECT 1 FROM projects_milestone m WHERE m.project_id = p.id AND NOT m.is_planned
                AND m.stage IN ('construction_started', 'in_production', 'at_capacity')))"""

ROW_SELECT = f"""
SELECT p.id, p.slug, p.name, p.name_zh, p.aliases, p.kind,
       CASE WHEN p.programme_id IS NOT NULL THEN json_build_object('id', pg.id, 'slug', pg.slug, 'name', pg.name,
            'name_zh', pg.name_zh) END,
       json_build_object('code', r.code, 'name', r.name, 'name_zh', r.name_zh, 'level', r.level),
       ARRAY(SELECT i.code FROM projects_project_industries pi JOIN industries_industry i ON i.id = pi.industry_id
             WHERE pi.project_id = p.id ORDER BY i.code, i.id),
       p.stage, p.stage_reason, p.planned_investment, p.currency, p.investment_qualifier,
       {CITATION_JSON.format(column="p.investment_citation_id")}, {COUNTED}, p.national_code, {FAI_ELIGIBLE},
       p.fai_registered_at,
       (SELECT json_build_object('id', co.id, 'slug', co.slug, 'name', co.name, 'name_zh', co.name_zh)
        FROM projects_participant x JOIN companies_company co ON co.id = x.company_id
        WHERE x.project_id = p.id AND x.role = 'lead_investor' LIMIT 1),
       u.username, p.description, p.created_at, p.updated_at, p.version
FROM projects_project p
JOIN regions_region r ON r.id = p.region_id
LEFT JOIN projects_project pg ON pg.id = p.programme_id
LEFT JOIN auth_user u ON u.id = p.tracked_by_id
"""
ROW_FIELDS = [
    "id", "slug", "name", "name_zh", "aliases", "kind", "programme", "region", "industries", "stage", "stage_reason",
    "planned_investment", "currency", "investment_qualifier", "investment_citation", "counts_in_totals",
    "national_code", "fai_eligible", "fai_registered_at", "lead_investor", "tracked_by", "description", "created_at",
    "updated_at",
]  # fmt: skip


def _row(values: tuple) -> dict[str, Any]:
    row = dict(zip(ROW_FIELDS, values, strict=False))
    row["planned_investment"] = _money(row["planned_investment"])
    return row


# core.search._TRIGRAM_WORD: a term with such a run is found through the documents' trigrams.
_TRIGRAM_WORD = re.compile(r"[a-z0-9]{3}")
MAX_WALKED_OFFSET = 200  # core.search.MAX_WALKED_OFFSET


def _where(params: dict[str, list[str]], walk: bool = False) -> tuple[str, list[Any]]:
    """The list's and the summary's filters (projects.filters.ProjectFilterSet), on the project `p`; `walk`: for
    a statement that wants the first rows of an order (core.search._DocumentSearch)."""
    conditions, args = ["TRUE"], []
    if stages := params.get("stage"):
        conditions.append("p.stage = ANY(%s)")
        args.append(stages)
    # The codes of the project's region and industries with everything above them (projects/migrations/0012).
    if region := params.get("region"):
        conditions.append("p.region_codes @> %s::varchar[]")
        args.append([region[-1]])
    if industry := params.get("industry"):
        conditions.append("p.industry_codes @> %s::varchar[]")
        args.append([industry[-1]])
    # The projects' search documents (projects/migrations/0015, 0017), as core.search._DocumentSearch finds them:
    # the term written in as a literal; a term with three Latin letters or digits in a row, where `walk`, through
    # the trigrams of lower(document), any other through the grams of its words too.
    if (search := params.get("search")) and (term := search[-1].strip()):
        literal = psycopg.sql.quote(term).replace("%", "%%")
        pattern = (
            f"'%%' || replace(replace(replace(tracker_search_normalize({literal}),"
            " '\\', '\\\\'), '%%', '\\%%'), '_', '\\_') || '%%'"
        )
        if walk and _TRIGRAM_WORD.search(unicodedata.normalize("NFKC", term).lower()):
            condition = f"lower(s.document) LIKE {pattern}"
        else:
            condition = f"s.grams @> tracker_search_query_grams({literal}) AND s.document LIKE {pattern}"
        conditions.append(f"p.id IN (SELECT s.project_id FROM projects_searchdocument s WHERE {condition})")
    return " AND ".join(conditions), args


FILTERED = "FROM projects_project p WHERE {where}"
# The statement of O's page (api.pagination.BoundedPageNumberPagination), with the same meaning and
# shape: the page's ids first, as an array, then their rows by primary key, and the count bounded at the
# cap in the same statement. Written as `id IN (...)`, or as one ORDER BY ... OFFSET over the rows
# themselves, PostgreSQL may join the whole filtered result first: a deep or filtered page then costs
# tens of times O's, and the floor would not be one.
# The count, the page's ids and the rows may each find the search's documents another way (`_where`'s `walk`).
COUNT_IDS, PAGE_IDS = FILTERED.replace("{where}", "{counted}"), FILTERED.replace("{where}", "{paged}")
BOUNDED_COUNT = f"p.version, (SELECT count(*) FROM (SELECT p.id {COUNT_IDS} LIMIT %s) b)\nFROM"
LIST_SQL = f"""
{ROW_SELECT.replace("p.version" + chr(10) + "FROM", BOUNDED_COUNT)}
WHERE {{where}} AND p.id = ANY(ARRAY(SELECT p.id {PAGE_IDS} ORDER BY p.name, p.id LIMIT %s OFFSET %s))
ORDER BY p.name, p.id
"""
NO_PAGE = "Page {page} does not exist: That page contains no results"


def project_list(environ: dict, params: dict[str, list[str]]) -> tuple[int, dict, Any]:
    page = int(params.get("page", ["1"])[-1])
    offset = (page - 1) * PAGE_SIZE
    # As core.search._DocumentSearch writes a search: the estimated form for the bounded count and the first pages,
    # the grams form for a deep page.
    where, args = _where(params, walk=True)
    paged, paged_args = (where, args) if offset <= MAX_WALKED_OFFSET else _where(params)
    rows = _query(
        LIST_SQL.format(counted=where, where=where, paged=paged),
        [*args, COUNT_CAP + 1, *args, *paged_args, PAGE_SIZE + 1, offset],
    )
    if not rows and page != 1:
        return 404, {}, {"error": {"code": "not_found", "message": NO_PAGE.format(page=page)}}
    # The same bounded count as O (api.pagination): exact up to the cap, else null with `count_exceeds`.
    counted = rows[0][len(ROW_FIELDS) + 1] if rows else 0
    count = counted if counted <= COUNT_CAP else None
    more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]

    def link(number: int) -> str:
        query = {key: values[-1] for key, values in params.items()} | {"page": number}
        return f"http://{environ.get('HTTP_HOST', 'localhost')}{environ['PATH_INFO']}?{urlencode(query)}"

    return (
        200,
        {},
        {
            "count": count,
            "count_exceeds": None if count is not None else COUNT_CAP,
            "next": link(page + 1) if more else None,
            "previous": link(page - 1) if page > 1 else None,
            "results": [_row(row) for row in rows],
        },
    )


DETAIL_EXTRA = f"""
, (SELECT coalesce(json_agg(json_build_object('id', x.id, 'company', json_build_object('id', co.id, 'slug', co.slug,
       'name', co.name, 'name_zh', co.name_zh), 'role', x.role, 'share', x.share, 'note', x.note,
       'citation', {CITATION_JSON.format(column="x.citation_id")}, 'created_at', x.created_at,
       'updated_at', x.updated_at) ORDER BY x.role, x.id), '[]')
   FROM projects_participant x JOIN companies_company co ON co.id = x.company_id WHERE x.project_id = p.id)
, (SELECT coalesce(json_agg(json_build_object('id', m.id, 'stage', m.stage, 'date', m.date,
       'date_precision', m.date_precision, 'is_planned', m.is_planned, 'note', m.note,
       'citation', {CITATION_JSON.format(column="m.citation_id")}, 'created_at', m.created_at,
       'updated_at', m.updated_at) ORDER BY m.date, m.id), '[]')
   FROM projects_milestone m WHERE m.project_id = p.id)
, (SELECT coalesce(json_agg(json_build_object('id', f.id, 'as_of', f.as_of, 'as_of_precision', f.as_of_precision,
       'amount', f.amount, 'currency', f.currency, 'qualifier', f.qualifier,
       'citation', {CITATION_JSON.format(column="f.citation_id")},
       'created_at', f.created_at, 'updated_at', f.updated_at) ORDER BY f.as_of, f.id), '[]')
   FROM projects_fundsinplace f WHERE f.project_id = p.id)
, (SELECT coalesce(json_agg(json_build_object('id', g.id, 'metric', g.metric, 'label', g.label, 'period', g.period,
       'value', g.value, 'unit', g.unit, 'qualifier', g.qualifier) ORDER BY g.period_start, g.metric, g.id), '[]')
   FROM projects_figure g WHERE g.project_id = p.id)
, NULL::json
, (SELECT coalesce(json_agg(json_build_object('id', q.id, 'slug', q.slug, 'name', q.name, 'name_zh', q.name_zh)
       ORDER BY q.name, q.id), '[]') FROM projects_project q WHERE q.programme_id = p.id)
"""
DETAIL_SELECT = ROW_SELECT.replace("p.version\nFROM", "p.version" + DETAIL_EXTRA + "FROM")
# The benchmark's clients are not signed in: a project's follow-up log is null for them, as O writes it.
DETAIL_FIELDS = ["participants", "milestones", "funds_in_place", "figures", "follow_ups", "component_projects"]


def project_detail(environ: dict, params: dict[str, list[str]], key: str) -> tuple[int, dict, Any]:
    if not key.isdigit():
        return 404, {}, {"error": {"code": "not_found", "message": "Not found."}}
    etag_wanted = environ.get("HTTP_IF_NONE_MATCH")
    if etag_wanted:
        # The app reads the whole record before comparing; the floor needs only the version.
        found = _query("SELECT version FROM projects_project WHERE id = %s", [int(key)])
        if found and etag_wanted.strip().removeprefix("W/") == f'"{found[0][0]}"':
            return 304, {"ETag": etag_wanted.strip()}, None
    rows = _query(f"{DETAIL_SELECT} WHERE p.id = %s", [int(key)])
    if not rows:
        return 404, {}, {"error": {"code": "not_found", "message": "Not found."}}
    values = rows[0]
    body = _row(values[: len(ROW_FIELDS)])
    body.update(zip(DETAIL_FIELDS, values[len(ROW_FIELDS) + 1 :], strict=True))
    return 200, {"ETag": f'"{values[len(ROW_FIELDS)]}"'}, body


REGION_SQL = """
SELECT r.id, r.code, r.name, r.name_zh, r.aliases, r.level,
       CASE WHEN r.parent_id IS NOT NULL THEN json_build_object('code', pa.code, 'name', pa.name,
            'name_zh', pa.name_zh, 'level', pa.level) END,
       r.created_at, r.updated_at,
       (SELECT coalesce(json_agg(json_build_object('code', a.code, 'name', a.name, 'name_zh', a.name_zh,
            'level', a.level) ORDER BY a.path), '[]') FROM regions_region a WHERE a.path @> r.path AND a.id <> r.id),
       (SELECT coalesce(json_agg(json_build_object('code', c.code, 'name', c.name, 'name_zh', c.name_zh,
            'level', c.level) ORDER BY c.code, c.id), '[]') FROM regions_region c WHERE c.parent_id = r.id),
       r.version
FROM regions_region r LEFT JOIN regions_region pa ON pa.id = r.parent_id
WHERE r.code = %s
"""
REGION_FIELDS = [
    "id", "code", "name", "name_zh", "aliases", "level", "parent", "created_at", "updated_at", "ancestors", "children",
]  # fmt: skip


def region_detail(environ: dict, params: dict[str, list[str]], key: str) -> tuple[int, dict, Any]:
    rows = _query(REGION_SQL, [key])
    if not rows:
        return 404, {}, {"error": {"code": "not_found", "message": "Not found."}}
    return 200, {"ETag": f'"{rows[0][-1]}"'}, dict(zip(REGION_FIELDS, rows[0], strict=False))


# The app's summary (projects.selectors.project_summary), with its SQL: the filtered projects (and the programmes
# that state their total) aggregated per group and overall in one statement, the groups of a tree being the children of
# the filter's region or industry (of the top without one), with zeros; projects on that node itself get a
# row of their own, first. Stage labels as the app's English ones (projects.models.Stage).
STAGES = {
    "conceived": "conceived (谋划)",
    "negotiating": "negotiating (洽谈)",
    "signed": "signed (签约)",
    "landed": "landed (落地)",
    "construction_started": "construction started (开工)",
    "in_production": "in production (投产)",
    "at_capacity": "at design capacity (达产)",
    "on_hold": "on hold",
    "cancelled": "cancelled",
}
GROUPINGS = ("region", "industry", "status", "year")
ALL = object()  # the overall total's key among the groups' (never a real key: those are text or None)
AGGREGATES = """count(*) FILTER (WHERE kind = 'project') AS n,
    coalesce(sum(planned_investment) FILTER (WHERE currency = 'CNY' AND counted), 0) AS total,
    coalesce(bool_or(counted AND investment_qualifier = ANY(%s)), FALSE) AS bounds,
    count(*) FILTER (WHERE counted AND planned_investment IS NULL) AS without"""
SUMS = """coalesce(sum(n), 0)::bigint, coalesce(sum(total), 0), coalesce(bool_or(bounds), FALSE),
    coalesce(sum(without), 0)::bigint"""
ROLLUP = "SELECT CASE WHEN GROUPING(key) = 1 THEN 2 ELSE 0 END, key, {sums}, NULL::bigint, NULL, NULL FROM ({keyed}) k"


def _child_key(alias: str, root: tuple | None) -> tuple[str, list[Any]]:
    """The id of the child of `root` (of the top without one) above `alias.path`, or `root`'s own id."""
    if root is None:
        return f"subltree({alias}.path, 0, 1)::text", []
    depth = "nlevel(%s::ltree)"
    sql = f"CASE WHEN nlevel({alias}.path) > {depth} THEN subltree({alias}.path, {depth}, {depth} + 1)::text"
    return f"{sql} ELSE {alias}.id::text END", [root[1]] * 3


def _node(table: str, code: str | None) -> tuple | None:
    """(id, path, code, name) of a tree node by its code."""
    if not code:
        return None
    rows = _query(f"SELECT id, path::text, code, name FROM {table} WHERE code = %s", [code])
    return rows[0] if rows else None


def project_summary(environ: dict, params: dict[str, list[str]]) -> tuple[int, dict, Any]:
    group_by = params.get("group_by", [""])[-1]
    if group_by not in GROUPINGS:
        return 400, {}, {"error": {"code": "invalid", "message": f"Choose one of: {', '.join(GROUPINGS)}."}}
    where, where_args = _where(params)
    columns = "p.id, p.kind, p.planned_investment, p.currency, p.investment_qualifier, p.region_id, p.stage"
    columns += f", {COUNTED} AS counted"
    filtered = f"{FILTERED.format(where=where)} AND {SUMMARISED}"
    base = f"SELECT {columns} {filtered}"
    approx = list(APPROXIMATE)
    root, children = None, None
    if group_by == "region":
        root = _node("regions_region", params.get("region", [None])[-1])
        key, key_args = _child_key("r", root)
        # Per region first: the key (a path computation and a join) once a region, not once a project.
        grouped = f"SELECT region_id, {AGGREGATES} FROM ({base}) g GROUP BY region_id"
        keyed = f"SELECT p.*, {key} AS key FROM ({grouped}) p JOIN regions_region r ON r.id = p.region_id"
        parts = [ROLLUP.format(sums=SUMS, keyed=keyed) + " GROUP BY ROLLUP (key)"]
        args = [*key_args, approx, *where_args]
        children = "regions_region"
    elif group_by == "industry":
        # As O (projects.selectors._by_industry): the children a project falls under, from its industry codes.
        root = _node("industries_industry", params.get("industry", [None])[-1])
        parent = "parent_id = %s" if root is not None else "parent_id IS NULL"
        keys = (
            "SELECT code FROM unnest(p.industry_codes) AS code"
            f" WHERE code = ANY(ARRAY(SELECT code FROM industries_industry WHERE {parent}))"
        )
        key_args = [root[0]] if root is not None else []
        if root is not None:
            keys += (
                " UNION ALL SELECT %s WHERE EXISTS (SELECT 1 FROM projects_project_industries pi"
                " WHERE pi.project_id = p.id AND pi.industry_id = %s)"
            )
            key_args += [root[2], root[0]]
        coded = f"SELECT {columns}, p.industry_codes {filtered}"
        keyed = f"SELECT p.*, k.code AS key FROM ({coded}) p LEFT JOIN LATERAL ({keys}) k ON TRUE"
        parts = [
            f"SELECT 0, key, {AGGREGATES}, NULL::bigint, NULL, NULL FROM ({keyed}) k GROUP BY key",
            f"SELECT 2, NULL, {AGGREGATES}, NULL, NULL, NULL FROM ({base}) p",
        ]
        args = [approx, *where_args, *key_args, approx, *where_args]
        children = "industries_industry"
    elif group_by == "status":
        keyed = f"SELECT p.*, p.stage AS key FROM ({base}) p"
        parts = [ROLLUP.format(sums=AGGREGATES, keyed=keyed) + " GROUP BY ROLLUP (key)"]
        args = [approx, *where_args]
    else:
        keyed = (
            f"SELECT p.*, extract(year FROM m.last_date)::int::text AS key FROM ({base}) p "
            "LEFT JOIN LATERAL (SELECT max(m.date) AS last_date FROM projects_milestone m "
            "WHERE m.project_id = p.id AND NOT m.is_planned) m ON TRUE"
        )
        parts = [ROLLUP.format(sums=AGGREGATES, keyed=keyed) + " GROUP BY ROLLUP (key)"]
        args = [approx, *where_args]
    if children:
        parent = "parent_id = %s" if root is not None else "parent_id IS NULL"
        parts.append(f"SELECT 1, NULL, NULL, NULL, NULL, NULL, id, code, name FROM {children} WHERE {parent}")
        args += [root[0]] if root is not None else []
    sql = " UNION ALL ".join(f"({part})" for part in parts) + " ORDER BY 1, 2 NULLS LAST, 8, 7"
    totals: dict[Any, tuple] = {}
    kids = []
    for part, key, *values, pk, code, name in _query(sql, args):
        if part == 1:
            kids.append((pk, code, name))
        else:
            totals[ALL if part == 2 else key] = values

    def row(key: str | None, label: str, values: list | None) -> dict[str, Any]:
        return _summary_row(key, label, *(values or (0, Decimal(0), False, 0)))

    if group_by in ("region", "industry"):
        # Regions are keyed by id, industries by code (as in O).
        by_code = group_by == "industry"
        rows = [row(code, name, totals.get(code if by_code else str(pk))) for pk, code, name in kids]
        own = None if root is None else (root[2] if by_code else str(root[0]))
        if own is not None and own in totals:
            rows.insert(0, row(root[2], f"{root[3]} (directly)", totals[own]))
        if group_by == "industry" and None in totals:
            rows.append(row(None, "no industry recorded", totals[None]))
    elif group_by == "status":
        rows = [row(stage, label, totals.get(stage)) for stage, label in STAGES.items()]
    else:
        rows = [row(key, key or "no actual milestone", values) for key, values in totals.items() if key is not ALL]
    return (
        200,
        {},
        {
            "group_by": group_by,
            "parent": {"code": root[2], "name": root[3]} if root is not None else None,
            "rows": rows,
            "totals": row(None, "all projects", totals.get(ALL)),
        },
    )


def _summary_row(key: str | None, label: str, n: int, total: Decimal, bounds: bool, without: int) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "project_count": n,
        "total_investment": _money(Decimal(total)),
        "currency": "CNY",
        "includes_bounds": bounds,
        "projects_without_amount": without,
    }


Handler = Callable[..., tuple[int, dict, Any]]
ROUTES: list[tuple[re.Pattern, Handler]] = [
    (re.compile(r"^/api/v1/projects/$"), project_list),
    (re.compile(r"^/api/v1/projects/summary/$"), project_summary),
    (re.compile(r"^/api/v1/projects/([^/]+)/$"), project_detail),
    (re.compile(r"^/api/v1/regions/([^/]+)/$"), region_detail),
]
REASONS = {200: "200 OK", 304: "304 Not Modified", 400: "400 Bad Request", 404: "404 Not Found"}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value))


def application(environ: dict, start_response: Callable) -> list[bytes]:
    path = environ.get("PATH_INFO", "")
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    for pattern, handler in ROUTES:
        if match := pattern.match(path):
            status, headers, body = handler(environ, params, *match.groups())
            break
    else:
        status, headers, body = 404, {}, {"error": {"code": "not_found", "message": "Not found."}}
    payload = b"" if status == 304 else orjson.dumps(body, default=_default)
    response_headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    response_headers += list(headers.items())
    start_response(REASONS.get(status, f"{status} Error"), response_headers)
    return [payload]
