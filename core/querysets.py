"""Querysets whose construction costs more than their statement: built once per process, cloned per use."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Expression, Model, QuerySet
from django.db.models.expressions import RawSQL

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


def compiled(model: type[Model], expression: Expression) -> RawSQL:
    """`expression`, an expression over a `model` row, compiled to SQL once, for queries that use it as is.

    Resolving and compiling a JSON object of forty-odd references costs milliseconds of CPU every
    time, for the same SQL each time. The SQL reads the outer row's columns as
    "<the model's table>"."<column>": the table's own name, which is the alias of the outer table in a
    query whose base table is `model`'s (related records inside are subqueries with aliases of their
    own). So the result belongs in the SELECT of such a query, never in a query where `model`'s table
    is itself a subquery or a join.
    """
    query = model.objects.annotate(compiled=expression).query
    resolved = query.annotations["compiled"]
    sql, params = query.get_compiler(DEFAULT_DB_ALIAS).compile(resolved)
    return RawSQL(sql, params, output_field=resolved.output_field)  # noqa: S611 - Django's SQL; values stay parameters
