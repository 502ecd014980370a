"""JSON written by PostgreSQL in a read's one statement, as the serializers would write it.

A detail or a list row built by DRF walks a serializer's fields for every record (and a ModelSerializer
builds those fields from the model, again, for every serializer instance); built by `json_build_object`
in the statement that reads the record, it costs the database microseconds. Timestamps are the
exception: PostgreSQL writes them in UTC, the serializers in the request's time zone, so they are
rewritten in Python by DRF's own field (`timestamp_field`, `write_timestamps`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, Func, JSONField, Model, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from rest_framework import serializers


class JSONBuildObject(Func):
    """`json_build_object(key, value, ...)`: a JSON object with its keys in the order given.

    (Django's `JSONObject` builds jsonb, which sorts the keys: shorter ones first.)
    """

    function = "json_build_object"
    output_field = JSONField()

    def __init__(self, **fields: Any) -> None:
        arguments: list[Any] = []
        for key, value in fields.items():
            arguments += [Cast(Value(key), TextField()), F(value) if isinstance(value, str) else value]
        super().__init__(*arguments)


def json_array(rows: QuerySet) -> Func:
    """`rows` (a `.values(json=...)` subquery) as a JSON array, in their order; an empty array when there are none."""
    return Func(ArraySubquery(rows), function="array_to_json", output_field=JSONField())


def json_summary(model: type[Model], key: str, fields: tuple[str, ...], **nested: Any) -> Subquery:
    """The JSON summary (`fields`, then `nested`) of the `model` record whose id is the outer row's `key`,
    or null: a correlated subquery, so that the row's JSON needs no join of the outer query."""
    values: dict[str, Any] = {name: name for name in fields}
    values.update(nested)
    return Subquery(
        model.objects.filter(pk=OuterRef(key)).values(json=JSONBuildObject(**values)), output_field=JSONField()
    )


def timestamp_field() -> serializers.DateTimeField:
    """The serializers' `DateTimeField`, with the request's time zone looked up once (DRF's field looks it up for
    every value: a third of the time of writing a page's rows). One per time zone and process: building a DRF
    field took a third of a project detail's rewriting of its timestamps."""
    return _timestamp_field(timezone.get_current_timezone() if settings.USE_TZ else None)  # as DRF's field decides


@functools.cache
def _timestamp_field(zone: dt.tzinfo | None) -> serializers.DateTimeField:
    return serializers.DateTimeField(default_timezone=zone)


def write_timestamps(records: Iterable[dict[str, Any]], names: Iterable[str]) -> None:
    """Rewrite each record's timestamps `names`, as PostgreSQL's JSON gave them (ISO 8601, UTC), as the
    serializers write them: DRF's `DateTimeField`, in the request's time zone."""
    field = timestamp_field()
    names = tuple(names)
    for record in records:
        for name in names:
            value = record[name]
            record[name] = None if value is None else field.to_representation(dt.datetime.fromisoformat(value))
