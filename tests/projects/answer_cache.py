"""What the answer cache's tests read of its two tables (projects/summary_cache.py): plain SQL, as the cache does."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.db import connection
from django.test.utils import CaptureQueriesContext

# ATOMIC_REQUESTS's savepoints inside the test's transaction: not statements a request sends on its own.
SAVEPOINT = re.compile(r"^(RELEASE |ROLLBACK TO )?SAVEPOINT ")


def generation() -> int:
    """The data generation now."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM core_datageneration WHERE id = 1")
        return cursor.fetchone()[0]


def cached_rows(kind: str = "") -> int:
    """Answers stored, of one kind (`page:`, `summary:`) or of all."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM projects_summarycache WHERE starts_with(key, %s)", [kind])
        return cursor.fetchone()[0]


def sql_and_body(get: Callable[[], object]) -> tuple[list[str], bytes]:
    """The SQL a successful GET (`get()`, returning the response) sends, savepoints aside, and its body."""
    with CaptureQueriesContext(connection) as queries:
        response = get()
    assert response.status_code == 200, response.content[:300]
    return [q["sql"] for q in queries.captured_queries if not SAVEPOINT.match(q["sql"])], response.content


def assert_the_repeat_is_one_lookup(get: Callable[[], object]) -> None:
    """The first request computes its answer; the same request again is the cache's one query, with the same
    bytes."""
    missed, first = sql_and_body(get)
    hit, second = sql_and_body(get)
    assert len(missed) > 1
    assert len(hit) == 1, hit
    assert "core_datageneration" in hit[0]
    assert second == first
