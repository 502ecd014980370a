"""JSON written by PostgreSQL in a read's one statement, as the serializers would write it.

A detail or a list row built by DRF walks a serializer's fields for every record (and a ModelSerializer
builds those fields from the model, again, for every serializer instance); built by `json_build_object`
in the statement that reads the record, it costs the database microseconds. Timestamps are the
exception: PostgreSQL writes them in UTC, the serializers in the request's time zone, so they are
rewritten in Python as DRF's field writes them (`timestamp_writer`, `write_timestamps`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, Func, JSONField, Model, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings


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


def record_of(model: type[Model], key: str) -> QuerySet:
    """The `model` record whose id is the outer row's `key`, for a correlated subquery. Unordered: an id picks
    one row at most, and the model's ordering made PostgreSQL sort each such row (a tenth of the database's
    CPU for a project's detail, which reads a dozen of them)."""
    return model.objects.filter(pk=OuterRef(key)).order_by()


def json_summary(model: type[Model], key: str, fields: tuple[str, ...], **nested: Any) -> Subquery:
    """The JSON summary (`fields`, then `nested`) of the `model` record whose id is the outer row's `key`,
    or null: a correlated subquery, so that the row's JSON needs no join of the outer query."""
    values: dict[str, Any] = {name: name for name in fields}
    values.update(nested)
    return Subquery(record_of(model, key).values(json=JSONBuildObject(**values)), output_field=JSONField())


def timestamp_writer() -> Callable[[dt.datetime], str]:
    """How the serializers write a timestamp in this request: DRF's `DateTimeField` (its `DATETIME_FORMAT`, in the
    request's time zone), with the time zone looked up once per call of this, not once per value."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None  # as DRF's field decides
    return _timestamp_writer(zone, api_settings.DATETIME_FORMAT)


@functools.cache
def _timestamp_writer(zone: dt.tzinfo | None, output_format: str | None) -> Callable[[dt.datetime], str]:
    field = serializers.DateTimeField(default_timezone=zone)
    if output_format is None or output_format.lower() != ISO_8601:
        return field.to_representation

    def write(moment: dt.datetime) -> str:
        # What the field does for an aware moment in ISO 8601, without its attribute and settings lookups,
        # which were two thirds of a project detail's rewriting of its timestamps (callgrind). Anything
        # else (a naive moment, one the zone cannot hold) is the field's to write or refuse.
        if moment.tzinfo is None:
            return field.to_representation(moment)
        try:
            moment = moment.astimezone(zone) if zone is not None else timezone.make_naive(moment, dt.UTC)
        except OverflowError:
            return field.to_representation(moment)
        text = moment.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def write_timestamps(records: Iterable[dict[str, Any]], names: Iterable[str]) -> None:
    """Rewrite each record's timestamps `names`, as PostgreSQL's JSON gave them (ISO 8601, UTC), as the
    serializers write them (`timestamp_writer`)."""
    write = timestamp_writer()
    names = tuple(names)
    # A record and those attached to it were often written in one go: each distinct time is rewritten once.
    written: dict[str, str] = {}
    for record in records:
        for name in names:
            value = record[name]
            if value is None:
                continue
            text = written.get(value)
            if text is None:
                text = written[value] = write(dt.datetime.fromisoformat(value))
            record[name] = text
