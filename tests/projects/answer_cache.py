"""What the answer cache's tests read of its two tables (projects/summary_cache.py): plain SQL, as the cache does."""

from __future__ import annotations

from django.db import connection


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
