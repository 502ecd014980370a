"""Summaries of projects, cached in PostgreSQL and never stale (issue 7).

Aggregating a million projects takes seconds, and a dashboard asks for the same few summaries over and
over. (List pages are not cached: on what users send, many different URLs with writes going on, a page
cache hit too rarely to pay for itself; bench/README.md.) Each computed summary is kept in
`projects_summarycache` under a key (what the request asked for, the language, and the release that
computed it, `release()`) together with the
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

With streaming replicas (database/replicas.py) the lookup runs where the computation will read, on
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
from collections.abc import Callable
from functools import cache
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import translation

from api.asof import reads_the_past
from api.renderers import JSONRenderer

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

# What list pages showed besides, when they were cached too (migration 0010 raises the generation on them).
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


def release() -> str:
    """What a stored answer was computed by: the deployed release (`settings.APP_RELEASE`: the git commit or the
    package version), so that a deploy never serves answers the old code computed (the generation only follows
    the data). Translations ship with the release."""
    return settings.APP_RELEASE


def summary_cache_key(params: Any, group_by: str) -> str:
    """The key of a summary request: `group_by`, the list filters it passes, the language, the code."""
    return answer_key("summary", params, group_by)


def answer_key(kind: str, params: Any, *material: Any) -> str:
    """The key of an answer of `kind` over the project list's filters (a summary, an analytics answer): the
    language, `material` (what else the answer depends on: a grouping, the day it counts to), the filters the
    request passes, the code.

    Parameters that are not filters (format, page, ordering) leave the answer alone and are dropped.
    A multiple-choice filter's values are a set (stage=a&stage=b is stage=b&stage=a); any other
    filter keeps its values as given. `params` is the request's QueryDict.
    """
    filters = {}
    for name, multiple in _summary_filters():
        values = params.getlist(name)
        if values:
            filters[name] = sorted(set(values)) if multiple else values
    return _key(kind, [translation.get_language(), *material, filters])


@cache
def _summary_filters() -> tuple[tuple[str, bool], ...]:
    """The list's filters by name, each with whether it takes several choices (a set of values)."""
    import django_filters

    from projects.filters import ProjectFilterSet

    return tuple(
        (name, isinstance(filter_, django_filters.MultipleChoiceFilter))
        for name, filter_ in sorted(ProjectFilterSet.base_filters.items())
    )


def _key(kind: str, material: list[Any]) -> str:
    """`kind:` and a digest of the material and the release (see `cached_answer`)."""
    text = json.dumps([release(), *material], ensure_ascii=False)
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def cached_summary(params: Any, *, group_by: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The summary for these request parameters: from the cache (one query) or from `compute()`."""
    return cached_answer(summary_cache_key(params, group_by), compute)


def cached_answer(key: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The answer stored under `key` (which starts with its kind, `summary:`) for the data as it is now, or
    `compute()`'s, then stored.

    `compute` returns the JSON-ready payload (a serializer's data) and raises for a bad request; nothing is
    stored then. What is stored is the JSON `JSONRenderer` wrote for it; a hit returns it as data, which any
    renderer (JSON, CSV, the browsable API) writes as it would the computed answer.
    """
    from projects.models import Project

    if reads_the_past():
        return compute()  # an answer as of a past moment (api.asof): the cache holds answers of now
    alias = router.db_for_read(Project)  # where `compute` will read (see the module docstring)
    with connections[alias].cursor() as cursor:
        cursor.execute(LOOKUP_SQL, [key])
        found = cursor.fetchone()
    if found is not None and found[1] is not None:
        return orjson.loads(found[1])
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
