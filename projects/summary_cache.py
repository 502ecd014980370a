"""Summaries and list pages of projects, cached in PostgreSQL and never stale (issue 7).

Aggregating a million projects takes seconds, and a filtered page of them tens of milliseconds; a
dashboard asks for the same few summaries and first pages over and over. Each computed answer (a
summary, or a JSON list page) is kept in `projects_summarycache` under a key (what the request
asked for, the language, and a fingerprint of the code that shapes the answer) together with the
**data generation** it was computed at, and a hit is one query:

    SELECT g.n, c.payload FROM core_datageneration g
    LEFT JOIN projects_summarycache c ON c.key = %s AND c.generation = g.n WHERE g.id = 1

Why a hit is never stale: the generation (`core_datageneration.n`, one row) is raised by statement
triggers (AFTER INSERT/UPDATE/DELETE/TRUNCATE, FOR EACH STATEMENT, so a bulk update raises it once)
on every table an answer or its filters read (GENERATION_TABLES). The raise runs inside the writer's
transaction, so it commits, or rolls back, together with the data: any snapshot sees either the old
generation with the old data or the new generation with the new data. The hit query reads the
generation and the cached row in one snapshot, so a row stored for generation g is served only to a
reader whose snapshot holds generation g, that is the very data it was computed from.

On a miss the answer is computed as before and stored with the generation read *before* computing
(by the lookup itself). A write committed between that read and the computation makes the stored
payload newer than its label, but the label is then already out of date: that row can never be hit,
it only costs a later miss. The store never moves a key back to an older generation.

With streaming replicas (config/replicas.py) the lookup runs where the computation will read, on
the request's replica, so the generation labels the data the answer was computed from; the store
goes to the primary. A replica that has replayed a stored row has replayed every write before it,
so a lagging replica never serves a row computed from data it does not have yet. (Labelled with the
primary's generation, an answer computed on a lagging replica would be served as current.)

The store cannot fail the request: it runs in a savepoint and any database error (a read-only
server, a missing table, a lock timeout) is logged and ignored, the computed answer is returned.
The table stays small: each store deletes the rows of older generations and all but the newest
MAX_ROWS rows of its kind (rows locked by a concurrent store are skipped, not waited for), and an
answer of more than MAX_PAYLOAD_BYTES (a page of hundreds of rows) is not stored at all. The kinds
(`summary:`, `page:`, the key's prefix) have a budget each, so that someone walking through a
thousand pages, each cheap to compute again, does not push out the dashboards' summaries, which
take seconds.

The cost, on the write side: every write transaction updates the one generation row and holds its
lock until it commits, so writers of these tables serialise on it. That is fine for people entering
data and for imports (one transaction); a high-rate writer would want a sharded counter instead. A
bulk load that switches triggers off (`session_replication_role = replica`, bench/generate.py)
must raise the generation itself. Any write to these tables empties the cache for everyone: the
first request for each answer after it is a miss again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone, translation

from config.pagination import count_cap
from config.renderers import JSONRenderer, RenderedJSON

logger = logging.getLogger(__name__)

# Every table the summary SQL, or a filter of the list it accepts, reads: projects (and programmes,
# search), their industry links and milestones (the year grouping, milestone filters), participants
# and companies (company/investor filters resolve an id or slug), the region and industry trees (the
# groups, their labels, and the region/industry filters). A write anywhere else cannot change a summary.
# (Migration 0008 raises the generation on these.)
SUMMARY_TABLES = (
    "projects_project",
    "projects_project_industries",
    "projects_milestone",
    "projects_participant",
    "companies_company",
    "regions_region",
    "industries_industry",
)

# What a list page's rows show besides: the investment citation with its source, and the username of
# the officer tracking the project (migration 0010).
PAGE_TABLES = ("sources_citation", "sources_source", "auth_user")

GENERATION_TABLES = SUMMARY_TABLES + PAGE_TABLES

# Tables whose UPDATE raises the generation only when it sets these columns: signing in sets
# auth_user.last_login, which no answer shows, and must not empty the cache.
UPDATE_OF = {"auth_user": ("username",)}

# Rows kept at most of each kind, summaries and list pages (a `search=` text makes every key possible); a
# summary payload is a few kB, a list page of 50 rows a few tens of kB.
MAX_ROWS = 1000

# An answer larger than this is computed every time: a page of hundreds of rows is a walk through the data
# or an export, rarely asked for twice, and would fill the table.
MAX_PAYLOAD_BYTES = 256 * 1024

# Raised by hand when the payload's shape changes in a way the source fingerprint would miss. 2: the payload
# is the renderer's bytes (U+2028 and U+2029 escaped), sent as they are.
FORMAT = 2

CACHE_TABLE_SQL = """
CREATE TABLE projects_summarycache (
    key text PRIMARY KEY,
    generation bigint NOT NULL,
    payload text NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);
"""

GENERATION_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION tracker_bump_data_generation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE core_datageneration SET n = n + 1 WHERE id = 1;
    IF NOT FOUND THEN
        -- The row was deleted or truncated: start again above every generation still cached, so an old
        -- row can never match a restarted counter.
        INSERT INTO core_datageneration (id, n)
        SELECT 1, COALESCE(max(generation), 0) + 1 FROM projects_summarycache
        ON CONFLICT (id) DO UPDATE SET n = core_datageneration.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
"""


def generation_triggers_sql(tables: tuple[str, ...], *, drop: bool = False) -> str:
    """The statement triggers that raise the generation (or the SQL dropping them)."""
    statements = []
    for table in tables:
        name = f"{table}_data_generation"
        if drop:
            statements.append(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}";')
        else:
            columns = UPDATE_OF.get(table)
            update = "UPDATE OF " + ", ".join(f'"{column}"' for column in columns) if columns else "UPDATE"
            statements.append(
                f'CREATE OR REPLACE TRIGGER "{name}" AFTER INSERT OR {update} OR DELETE OR TRUNCATE ON "{table}" '
                "FOR EACH STATEMENT EXECUTE FUNCTION tracker_bump_data_generation();"
            )
    return "\n".join(statements)


LOOKUP_SQL = (
    "SELECT g.n, c.payload FROM core_datageneration g "
    "LEFT JOIN projects_summarycache c ON c.key = %s AND c.generation = g.n WHERE g.id = 1"
)

STORE_SQL = """
WITH doomed AS (
    SELECT key FROM projects_summarycache
    WHERE key <> %(key)s AND (
        generation < %(generation)s
        OR starts_with(key, %(kind)s) AND key NOT IN (
            SELECT key FROM projects_summarycache WHERE starts_with(key, %(kind)s)
            ORDER BY stored_at DESC LIMIT %(keep)s
        )
    )
    FOR UPDATE SKIP LOCKED
), deleted AS (
    DELETE FROM projects_summarycache c USING doomed WHERE c.key = doomed.key
)
INSERT INTO projects_summarycache AS c (key, generation, payload, stored_at)
VALUES (%(key)s, %(generation)s, %(payload)s, now())
ON CONFLICT (key) DO UPDATE SET generation = EXCLUDED.generation, payload = EXCLUDED.payload, stored_at = now()
WHERE c.generation <= EXCLUDED.generation
"""

# The code that decides what a summary or a list page says: a deploy that changes any of it must not serve
# answers the old code computed (the generation only follows the data).
_SOURCES = (
    "projects/summary_cache.py",
    "projects/selectors.py",
    "projects/serializers.py",
    "projects/filters.py",
    "projects/models.py",
    "projects/views.py",
    "config/filters.py",
    "config/pagination.py",
    "config/viewsets.py",
    "config/renderers.py",
    "core/search.py",
)


@cache
def code_fingerprint() -> str:
    digest = hashlib.sha256(str(FORMAT).encode())
    base = Path(settings.BASE_DIR)
    # The compiled catalogs too: stage labels are translated.
    for path in [*(base / name for name in _SOURCES), *sorted((base / "locale").glob("*/LC_MESSAGES/*.mo"))]:
        digest.update(str(path).encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def summary_cache_key(params: Any, group_by: str) -> str:
    """The key of a summary request: `group_by`, the list filters it passes, the language, the code.

    Parameters that are not filters (format, page, ordering) leave the answer alone and are dropped.
    A multiple-choice filter's values are a set (stage=a&stage=b is stage=b&stage=a); any other
    filter keeps its values as given. `params` is the request's QueryDict.
    """
    filters = {}
    for name, multiple in _summary_filters():
        values = params.getlist(name)
        if values:
            filters[name] = sorted(set(values)) if multiple else values
    return _key("summary", [translation.get_language(), group_by, filters])


@cache
def _summary_filters() -> tuple[tuple[str, bool], ...]:
    """The list's filters by name, each with whether it takes several choices (a set of values)."""
    import django_filters

    from projects.filters import ProjectFilterSet

    return tuple(
        (name, isinstance(filter_, django_filters.MultipleChoiceFilter))
        for name, filter_ in sorted(ProjectFilterSet.base_filters.items())
    )


def page_cache_key(request: Any) -> str:
    """The key of a JSON list page: everything the page's JSON depends on besides the data.

    The whole absolute URL (its host and scheme are in the page's `next` and `previous` links, and every
    parameter, even one the API ignores, is carried into them), the language, the time zone the
    timestamps are written in, and the count cap (a setting). The URL as its parts: `build_absolute_uri`
    is a function of these very parts, and joining and quoting them took a third of the key's time.
    """
    return _key(
        "page",
        [
            translation.get_language(),
            timezone.get_current_timezone_name(),
            count_cap(),
            request.scheme,
            request.get_host(),
            request.path,
            request.META.get("QUERY_STRING", ""),
        ],
    )


def _key(kind: str, material: list[Any]) -> str:
    """`kind:` and a digest of the material and the code fingerprint (see `cached_answer`)."""
    text = json.dumps([code_fingerprint(), *material], ensure_ascii=False)
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def cached_summary(params: Any, *, group_by: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The summary for these request parameters: from the cache (one query) or from `compute()`."""
    return cached_answer(summary_cache_key(params, group_by), compute)


def cached_page(request: Any, *, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The JSON list page this request asks for: from the cache (one query) or from `compute()`.

    A hit skips the filters, the pagination and the page's statement: only answered requests are stored.
    The `API_PAGE_CACHE` setting (on by default) turns the page cache off.
    """
    if not getattr(settings, "API_PAGE_CACHE", True):
        return compute()
    return cached_answer(page_cache_key(request), compute)


def cached_answer(key: str, compute: Callable[[], dict[str, Any]]) -> Mapping[str, Any]:
    """The answer stored under `key` (which starts with its kind, `summary:` or `page:`) for the data as it
    is now, or `compute()`'s, then stored.

    `compute` returns the JSON-ready payload (a serializer's data) and raises for a bad request;
    nothing is stored then. What is stored is the bytes `JSONRenderer` wrote for it, and a hit returns
    them as a `RenderedJSON`, which the renderer sends as they are: a hit is the same bytes as the
    computation it stands for, without parsing and writing them again. (Views pass the answer through
    `config.renderers.for_renderer`.)
    """
    from projects.models import Project

    alias = router.db_for_read(Project)  # where `compute` will read (see the module docstring)
    with connections[alias].cursor() as cursor:
        cursor.execute(LOOKUP_SQL, [key])
        found = cursor.fetchone()
    if found is not None and found[1] is not None:
        return RenderedJSON(found[1].encode())
    data = compute()
    if found is not None:  # no generation row at all: nothing could tell when the data changed
        payload = _payload(data)
        if payload is not None:
            _store(key, found[0], payload)
    return data


def _payload(data: dict[str, Any]) -> str | None:
    """The answer as the JSON text `JSONRenderer` writes for it, or None when it is not to be stored (too large,
    or beyond what orjson reads back)."""
    try:
        payload = JSONRenderer().render(data)
        if len(payload) > MAX_PAYLOAD_BYTES:
            return None
        orjson.loads(payload)  # what a hit may have to parse (an integer beyond 64 bits: compute it every time)
    except (ValueError, UnicodeError):  # orjson.JSONDecodeError is a ValueError; so is DRF's refusal of NaN
        logger.warning("answer cache: not storing an answer that cannot be written and read back", exc_info=True)
        return None
    return payload.decode()


def _store(key: str, generation: int, payload: str) -> None:
    """Keep the payload for `generation`, unless that fails: the request has its answer either way."""
    from projects.models import Project

    alias = router.db_for_write(Project)
    try:
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            kind = key.partition(":")[0] + ":"
            parameters = {"key": key, "kind": kind, "generation": generation, "payload": payload, "keep": MAX_ROWS}
            cursor.execute(STORE_SQL, parameters)
    except DatabaseError:
        logger.warning("answer cache: could not store %s", key, exc_info=True)
