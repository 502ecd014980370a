"""CSV for every list endpoint: `?format=csv` or `Accept: text/csv`, streamed in constant memory.

A list's columns come from its serializer, not from the data: nested records (a region, a lead
investor, a citation and its source) are spread into `parent.field` columns whether or not the
first row has them, lists are joined with `;`, null is an empty cell, booleans are `true`/`false`
as in JSON and money stays the exact decimal string of the JSON answer. A text that a spreadsheet
would run as a formula (`=HYPERLINK(...)`, `@SUM(...)`) starts with a quote (`core.spreadsheets`);
numbers, and money written as its exact decimal text, are data and stay as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from drf_spectacular.drainage import get_override
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer

from core.spreadsheets import neutralise

# Rows read from the database per round trip (server-side cursor, one prefetch query per chunk).
CHUNK_SIZE = 500
# Text collected before it is handed to the server: large enough to keep the per-chunk cost low.
FLUSH_SIZE = 64 * 1024


class CSVRenderer(BaseRenderer):
    """Renders one record (or a list) as CSV; lists are streamed by `stream_csv` instead.

    A summary (`{"rows": [...], "totals": {...}}`) is rendered as its table: one line per row, then
    the totals line.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("rows"), list) and isinstance(data.get("totals"), dict):
            rows = [*data["rows"], data["totals"]]
        else:
            rows = data if isinstance(data, list) else [data]
        flat = [flatten(row) for row in rows]
        header = list(dict.fromkeys(key for row in flat for key in row))
        return "".join(_lines(header, flat)).encode(self.charset)


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """`{"region": {"code": "331181"}}` becomes `{"region.code": "331181"}`; lists join with `;`."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    else:
        out[prefix] = cell(value)
    return out


def cell(value: Any) -> str:
    """One CSV cell: the text a spreadsheet shows for a JSON value, never a formula it would run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return neutralise(";".join(_scalar_of(item) for item in value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _scalar_of(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("code", "slug", "name", "id"):
            if key in item:
                return str(item[key])
        return json.dumps(item, ensure_ascii=False, sort_keys=True)
    if isinstance(item, str):
        return item  # the joined cell is neutralised as a whole
    return cell(item)


def columns(serializer: serializers.Serializer, prefix: str = "") -> list[tuple[str, ...]]:
    """The column paths of a serializer's output: `("region", "code")` for `region.code`.

    Nested records are spread into their own fields; lists (many) stay one column.
    """
    paths: list[tuple[str, ...]] = []
    for name, field in serializer.fields.items():
        if field.write_only:
            continue
        nested = _nested_serializer(serializer, field)
        if nested is None:
            paths.append((name,))
        else:
            paths.extend((name, *path) for path in columns(nested))
    return paths


def _nested_serializer(parent: serializers.Serializer, field: serializers.Field) -> serializers.Serializer | None:
    if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField):
        return None
    if isinstance(field, serializers.Serializer):
        return field
    summary = getattr(field, "summary_serializer", None)  # KeyRelatedField: a key in, a summary out
    if summary is not None:
        return summary(context=parent.context)
    schema = getattr(field, "schema", None)  # an SQLField (api.projection) declares its shape
    if isinstance(schema, serializers.Serializer) and not getattr(schema, "many", False):
        return schema
    if isinstance(field, serializers.SerializerMethodField):
        # A method field declares its shape for the OpenAPI document with @extend_schema_field.
        annotated = get_override(getattr(parent, field.method_name, None), "field")
        if isinstance(annotated, type) and issubclass(annotated, serializers.Serializer):
            return annotated(context=parent.context)
        if isinstance(annotated, serializers.Serializer):
            return annotated
    return None


def _pick(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _lines(header: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    yield _drain(buffer)
    for row in rows:
        writer.writerow(row)
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate(0)
    return text


BOM = "\ufeff"


def stream_csv(queryset, serializer_class, *, context: dict[str, Any], filename: str) -> StreamingHttpResponse:
    """Every row of `queryset`, serialized like the JSON list, without holding the result in memory.

    `iterator()` reads the result in chunks through a server-side cursor (prefetches run once per
    chunk); one serializer renders every row, and text goes out in blocks of about FLUSH_SIZE.
    """
    serializer = serializer_class(context=context)
    paths = columns(serializer)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        # The byte order mark the admin's exports carry (utf-8-sig): Excel, what bureaus open a CSV with,
        # reads the Chinese text as UTF-8 only when it is there. Python's utf-8-sig and pandas drop it.
        buffer.write(BOM)
        writer = csv.writer(buffer)
        writer.writerow(".".join(path) for path in paths)
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            data = serializer.to_representation(obj)
            writer.writerow(cell(_pick(data, path)) for path in paths)
            # A prefetch cache refers back to its record (a reference cycle): dropping it lets each
            # chunk be freed as soon as it is written, not at the next full garbage collection.
            obj.__dict__.pop("_prefetched_objects_cache", None)
            if buffer.tell() >= FLUSH_SIZE:
                yield _drain(buffer)
        yield _drain(buffer)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
