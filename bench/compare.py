"""The benchmarked requests, and the check that F, N and O answer them with the same rows and fields.

What is compared, per endpoint:

- lists: `count` (a bounded count, `count` null with `count_exceeds` N, agrees with any exact count
  above N), and per row every field that all three variants return (id, slug, name, region,
  industries, stage, money, created_at, ...); `next`/`previous` are links to each server's own
  address and are left out;
- detail and region: every field all three return, nested lists (participants, milestones,
  ancestors, children) as the sequence of their ids or codes;
- summaries: every row's and the totals' fields, in order;
- the conditional GET: each variant answers 304 to its own detail ETag.

Values are compared after normalisation: a nested record becomes its code (regions, industries)
or id (everything else), so `{"code": "331181", ...}` (O, F) equals N's fuller nested region and a
bare foreign key `7` equals `{"id": 7, ...}`; timestamps are compared as instants (O renders them in
Asia/Shanghai, N in UTC); money as decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from bench.generate import SEARCH_TERM

MONEY_FIELDS = {"planned_investment", "total_investment", "amount", "share", "value"}
IGNORED_FIELDS = {"next", "previous"}
DEEP_PAGE = 1000


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    kind: str  # list, record, summary or not_modified
    headers: dict[str, str] = field(default_factory=dict)


def pick_endpoints(conn: psycopg.Connection) -> list[Endpoint]:
    """The requests, with parameters chosen from the loaded data so that each one finds rows."""
    province = conn.execute(
        "SELECT t.code FROM projects_project p JOIN regions_region r ON r.id = p.region_id"
        " JOIN regions_region t ON t.id = subltree(r.path, 0, 1)::text::bigint"
        " GROUP BY t.code ORDER BY count(*) DESC, t.code LIMIT 1"
    ).fetchone()[0]
    city = conn.execute(
        "SELECT r.code FROM regions_region r WHERE r.level = 'prefecture_city'"
        " ORDER BY (SELECT count(*) FROM regions_region c WHERE c.parent_id = r.id) DESC, r.code LIMIT 1"
    ).fetchone()[0]
    detail = conn.execute(
        "SELECT p.id FROM projects_project p WHERE p.investment_citation_id IS NOT NULL AND p.programme_id IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM projects_milestone m WHERE m.project_id = p.id)"
        " AND EXISTS (SELECT 1 FROM projects_participant x WHERE x.project_id = p.id AND x.role = 'investor')"
        " ORDER BY p.id LIMIT 1"
    ).fetchone()
    detail_id = detail[0] if detail else conn.execute("SELECT min(id) FROM projects_project").fetchone()[0]
    total = conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]
    deep = min(DEEP_PAGE, max(1, total // 50 // 2))
    return [
        Endpoint("list", "/api/v1/projects/", "list"),
        Endpoint("filtered", f"/api/v1/projects/?stage=signed&industry=C&region={province}", "list"),
        Endpoint("search", f"/api/v1/projects/?search={SEARCH_TERM}", "list"),
        Endpoint("deep_page", f"/api/v1/projects/?page={deep}", "list"),
        Endpoint("detail", f"/api/v1/projects/{detail_id}/", "record"),
        Endpoint("region", f"/api/v1/regions/{city}/", "record"),
        Endpoint("summary_region", "/api/v1/projects/summary/?group_by=region", "summary"),
        Endpoint("summary_industry", "/api/v1/projects/summary/?group_by=industry", "summary"),
        Endpoint("not_modified", f"/api/v1/projects/{detail_id}/", "not_modified"),
    ]


def _reduce(value: Any) -> Any:
    """A nested record as its key: a code where it has one, else its id."""
    if isinstance(value, dict):
        return value.get("code", value.get("id", value.get("key")))
    if isinstance(value, list):
        return [_reduce(item) for item in value]
    return value


def _normal(name: str, value: Any) -> Any:
    if name in MONEY_FIELDS and isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    if isinstance(value, str) and len(value) > 10 and value[4:5] == "-" and value[10:11] in ("T", " "):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return value
    return _reduce(value)


def compare_rows(rows: dict[str, dict], where: str, problems: list[str]) -> set[str]:
    """Compare one record as each variant returns it; return the fields compared."""
    common = set.intersection(*(set(row) for row in rows.values())) - IGNORED_FIELDS
    variants = list(rows)
    for name in sorted(common):
        values = {variant: _normal(name, rows[variant][name]) for variant in variants}
        if len({repr(v) for v in values.values()}) > 1:
            problems.append(f"{where}.{name}: {values}")
    return common


def compare(endpoint: Endpoint, bodies: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(differences, fields compared) between the variants' answers to `endpoint`."""
    problems: list[str] = []
    fields: set[str] = set()
    if endpoint.kind == "list":
        counts = {variant: body["count"] for variant, body in bodies.items()}
        exact = {n for n in counts.values() if n is not None}
        # A bounded count ({"count": null, "count_exceeds": 1000}) agrees with any exact count above it.
        bounds = [body.get("count_exceeds") for body in bodies.values() if body["count"] is None]
        if len(exact) > 1 or any(bound is None or not all(n > bound for n in exact) for bound in bounds):
            problems.append(f"count: {counts}, bounds: {bounds}")
        lengths = {variant: len(body["results"]) for variant, body in bodies.items()}
        if len(set(lengths.values())) > 1:
            problems.append(f"rows: {lengths}")
        else:
            for i in range(next(iter(lengths.values()))):
                fields |= compare_rows({v: b["results"][i] for v, b in bodies.items()}, f"results[{i}]", problems)
        fields |= {"count"}
    elif endpoint.kind == "record":
        fields = compare_rows(bodies, "body", problems)
    elif endpoint.kind == "summary":
        lengths = {variant: len(body["rows"]) for variant, body in bodies.items()}
        if len(set(lengths.values())) > 1:
            problems.append(f"rows: {lengths}")
        else:
            for i in range(next(iter(lengths.values()))):
                fields |= compare_rows({v: b["rows"][i] for v, b in bodies.items()}, f"rows[{i}]", problems)
        fields |= compare_rows({v: b["totals"] for v, b in bodies.items()}, "totals", problems)
    return problems[:20], sorted(fields)


def compare_answers(kind: str, path: str, answers: dict[str, tuple[int, Any]]) -> list[str]:
    """Differences between the variants' (status, body) answers to one long-tail URL (`bench/longtail.py`).

    The statuses must be equal (a 404 past a list's last page from every variant, or none); bodies of
    200s are compared as the fixed endpoints' are.
    """
    statuses = {variant: status for variant, (status, _) in answers.items()}
    if len(set(statuses.values())) > 1:
        return [f"{path}: statuses {statuses}"]
    if next(iter(statuses.values())) != 200:
        return []
    problems, _ = compare(Endpoint(path, path, kind), {variant: body for variant, (_, body) in answers.items()})
    return [f"{path}: {problem}" for problem in problems]
