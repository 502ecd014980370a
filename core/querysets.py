"""Querysets whose construction costs more than their statement: built once per process, cloned per use."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.db.models import QuerySet

Q = TypeVar("Q", bound=QuerySet)


def built_once(build: Callable[[], Q]) -> Callable[[], Q]:
    """Build the queryset on the first call and hand out a fresh clone of it on every call.

    Annotating a query with subqueries (a detail's folded relations, a region's ancestors) resolves
    every expression in them: milliseconds of CPU per request for a query that never changes. A
    clone costs microseconds; callers filter, slice or evaluate their clone, never the cached query.
    """
    cached = functools.cache(build)

    @functools.wraps(build)
    def clone() -> Q:
        return cached().all()

    return clone
