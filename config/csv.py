"""CSV for every list endpoint: `?format=csv` or `Accept: text/csv`, streamed in constant memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

CHUNK_SIZE = 2000


class CSVRenderer(BaseRenderer):
    """Renders one record (or a list) as CSV; lists are streamed by `stream_csv` instead."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        flat = [flatten(row) for row in rows]
        header = list(dict.fromkeys(key for row in flat for key in row))
        return "".join(_lines(header, flat)).encode(self.charset)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """`{"region": {"code": "331181"}}` becomes `{"region.code": "331181"}`; lists join with `;`."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        out[prefix] = ";".join(_scalar_of(item) for item in value)
    else:
        out[prefix] = "" if value is None else value
    return out


def _scalar_of(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("code", "slug", "name", "id"):
            if key in item:
                return str(item[key])
        return str(item)
    return "" if item is None else str(item)


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


def stream_csv(queryset, serializer_class, *, context: dict[str, Any], filename: str) -> StreamingHttpResponse:
    """Every row of `queryset`, serialized like the JSON list, without holding the result in memory.

    The header comes from the serializer's first row (nested summaries become `parent.code`
    columns). `iterator()` reads the result in chunks through a server-side cursor.
    """

    def rows() -> Iterator[str]:
        header: list[str] | None = None
        buffer = io.StringIO()
        writer = None
        for obj in queryset.iterator(chunk_size=CHUNK_SIZE):
            row = flatten(serializer_class(obj, context=context).data)
            if writer is None:
                header = list(row)
                writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
                writer.writeheader()
            writer.writerow(row)
            yield _drain(buffer)
        if writer is None:
            yield ",".join(serializer_class(context=context).fields) + "\r\n"

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response
