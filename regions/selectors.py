"""Read-side queries over regions: a region's detail, with its ancestors and children, in one statement."""

from __future__ import annotations

import functools
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Func, OuterRef, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, JSONObject

from core.querysets import built_once, compiled
from core.sql_json import JSONBuildObject, json_array, json_summary, write_timestamps
from regions.models import Region

# A region as other records embed it (`RegionSummarySerializer`), field for field and in its order.
SUMMARY_FIELDS = ("code", "name", "name_zh", "level")
# What a JSON detail reads of its region: the key, the version (the ETag) and the detail's JSON.
DETAIL_ROW_COLUMNS = ("id", "code", "version", "detail_json")
TIMESTAMPS = ("created_at", "updated_at")


def region_queryset() -> QuerySet[Region]:
    """Regions as the list and the serializers read them: with their parent, in code order."""
    return Region.objects.select_related("parent").order_by("code", "id")


def _ancestors() -> QuerySet[Region]:
    """The outer region's ancestors, root first."""
    return Region.objects.filter(path__ancestor_of=OuterRef("path")).exclude(pk=OuterRef("pk")).order_by("path")


def _children() -> QuerySet[Region]:
    """The outer region's direct children, in code order."""
    return Region.objects.filter(parent=OuterRef("pk")).order_by("code", "id")


@built_once
def region_detail_queryset() -> QuerySet[Region]:
    """A region with its ancestors and children as arrays of summaries in its own row: one query, not three
    (built once: building the two subqueries costs more CPU than the statement takes to run). For the
    browsable API and writes, which go through `RegionDetailSerializer`."""
    summary = JSONObject(**{name: name for name in SUMMARY_FIELDS})
    return region_queryset().annotate(
        ancestor_summaries=ArraySubquery(_ancestors().values(json=summary)),
        child_summaries=ArraySubquery(_children().values(json=summary)),
    )


def _summaries(regions: QuerySet[Region]) -> Func:
    """`regions` as a JSON array of summaries (an empty array when there are none)."""
    return json_array(regions.values(json=JSONBuildObject(**{name: name for name in SUMMARY_FIELDS})))


@functools.cache
def region_detail_json() -> RawSQL:
    """A region's detail as JSON text, written by PostgreSQL: `RegionDetailSerializer`'s fields in its order,
    the summaries in `RegionSummarySerializer`'s. The timestamps are PostgreSQL's, in UTC; `region_detail`
    writes them as the serializer does. tests/regions/test_detail_json.py compares the answer with the
    serializer's bytes. Compiled once per process (`compiled`)."""
    detail = JSONBuildObject(
        id="id",
        code="code",
        name="name",
        name_zh="name_zh",
        aliases="aliases",
        level="level",
        parent=json_summary(Region, "parent_id", SUMMARY_FIELDS),
        created_at="created_at",
        updated_at="updated_at",
        ancestors=_summaries(_ancestors()),
        children=_summaries(_children()),
    )
    return compiled(Region, Cast(detail, TextField()))


def region_detail_row_queryset() -> QuerySet[Region]:
    """Regions for a JSON detail: `DETAIL_ROW_COLUMNS`, the JSON written by `region_detail_json`."""
    return Region.objects.only(*DETAIL_ROW_COLUMNS[:-1]).annotate(detail_json=region_detail_json())


def region_detail(region: Region) -> dict[str, Any]:
    """The detail of a `region_detail_row_queryset` record, its timestamps written as the serializer writes them."""
    detail = orjson.loads(region.detail_json)
    write_timestamps([detail], TIMESTAMPS)
    return detail
