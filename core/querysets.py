"""Querysets whose construction costs more than their statement: built once per process, cloned per use."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import Expression, Model, QuerySet
from django.db.models.expressions import RawSQL
from psycopg import sql as psycopg_sql

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


# Stand-ins for a key while a statement is compiled, found again among its parameters by type and value:
# no model field or annotation of ours compares with them.
_INT_SENTINEL = -7_340_029_555_130_113
_TEXT_SENTINEL = "\x1fkeyed statement sentinel\x1f"


class KeyedStatement:
    """`queryset.filter(<field>=<key>).values_list(*columns)[:1]`, compiled to SQL once, run for any key.

    Django builds, resolves and compiles a queryset on every use, for the same SQL every time: for a
    record's version that was 30 % of a 304's CPU (cProfile, tier M), more than the statement's round
    trip. Here the statement is compiled once with a stand-in for the key, and each `fetch` runs it with
    the key in the stand-in's place, on the database the router picks for a read of the model at that
    moment (a replica, during a request that may read from one).

    The statement's other parameters are constants of our code (a JSON detail's keys: 126 of them in a
    project's), written into its SQL as literals once, so that a `fetch` sends the key alone: psycopg
    adapted and sent every one of them on every request.

    Only for a queryset that is the same for every request it serves (see
    `TrackerViewSet.fixed_querysets`), and whose columns need no conversion from the database's values
    (a `ValueError` says otherwise, at compile time).
    """

    def __init__(self, queryset: QuerySet, field: str, columns: tuple[str, ...]) -> None:
        self.model = queryset.model
        self.columns = columns
        self.field = self.model._meta.pk if field == "pk" else self.model._meta.get_field(field)
        if isinstance(self.field, models.IntegerField):
            sentinel = _INT_SENTINEL
        elif isinstance(self.field, models.CharField | models.TextField):
            sentinel = _TEXT_SENTINEL
        else:
            raise ValueError(f"no stand-in for a key of {self.field!r}")
        if self.field.unique:
            # One row at most: the model's ordering would only make PostgreSQL sort it.
            queryset = queryset.order_by()
        query = queryset.filter(**{field: sentinel}).values_list(*columns)[:1].query
        compiler = query.get_compiler(DEFAULT_DB_ALIAS)
        self.sql, params = compiler.as_sql()
        if compiler.get_converters([expression for expression, _, _ in compiler.select[: len(columns)]]):
            raise ValueError(f"the columns {columns} need converting from the database's values")
        positions = [i for i, value in enumerate(params) if type(value) is type(sentinel) and value == sentinel]
        if len(positions) != 1:
            raise ValueError(f"the key is not one parameter of {self.sql!r}")
        connection = connections[DEFAULT_DB_ALIAS]
        connection.ensure_connection()  # its adapters write the literals, as they would send the values
        self.sql = with_literals(self.sql, params, keep=positions[0], context=connection.connection)
        # For `fetch_record`: the model's columns among `columns`, in the model's order (as `from_db` takes them).
        self._attnames = [f.attname for f in self.model._meta.concrete_fields if f.attname in columns]

    def fetch(self, key: str) -> tuple | None:
        """The columns of the record whose `field` is `key`, or None. `key` is as a URL gives it (text)."""
        return self._run(key)[1]

    def fetch_record(self, key: str) -> Model | None:
        """The record whose `field` is `key`, or None, as the ORM builds one from `only()` and `annotate()`:
        the model's columns among `columns` set (the others deferred), the rest as attributes."""
        alias, row = self._run(key)
        if row is None:
            return None
        values = dict(zip(self.columns, row, strict=True))
        record = self.model.from_db(alias, self._attnames, [values.pop(name) for name in self._attnames])
        for name, value in values.items():
            setattr(record, name, value)
        return record

    def _run(self, key: str) -> tuple[str, tuple | None]:
        alias = router.db_for_read(self.model)
        with connections[alias].cursor() as cursor:
            cursor.execute(self.sql, [self.field.get_prep_value(key)])
            return alias, cursor.fetchone()


# A placeholder of Django's SQL, or an escaped percent sign.
_PLACEHOLDER = re.compile(r"%s|%%")


def with_literals(sql: str, params: Sequence[Any], *, keep: int, context: Any) -> str:
    """`sql` with each of its parameters `params` written in as a literal, but the one at `keep`, which stays
    the statement's only placeholder. Literals are written by psycopg's adapters (`context`, a connection),
    with their percent signs escaped, as the statement is still run with a parameter."""
    index = 0

    def replace(match: re.Match) -> str:
        nonlocal index
        if match.group() == "%%":
            return "%%"
        position, index = index, index + 1
        if position == keep:
            return "%s"
        literal = psycopg_sql.Literal(params[position]).as_string(context)
        return literal.replace("%", "%%")

    result = _PLACEHOLDER.sub(replace, sql)
    if index != len(params):
        raise ValueError(f"{index} placeholders for {len(params)} parameters in {sql!r}")
    return result
