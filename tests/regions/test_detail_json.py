"""A region's JSON detail is written by PostgreSQL in its one statement (api.projection):
byte for byte what `RegionDetailSerializer` writes, its ancestors, children and timestamps included."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from api.projection import projection_of
from regions.models import Region
from regions.serializers import RegionDetailSerializer
from tests.contract import statements
from tests.factories import CityFactory, CountyFactory, ZoneFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]


def rendered(region: Region) -> bytes:
    """The serializer's answer for a region read as any other record is (ancestors and children queried)."""
    return JSONRenderer().render(RegionDetailSerializer(Region.objects.get(pk=region.pk)).data)


def as_json(data) -> dict:
    return json.loads(JSONRenderer().render(data))


def awkward_tree() -> Region:
    """A county whose fields are easy to get wrong: quotes, a backslash and Chinese in its names and aliases, three
    children whose codes and ids run in opposite orders, a timestamp on the whole second and one far from UTC's date."""
    city = CityFactory(name='A "quoted" city \\ with a backslash', name_zh="引号市")
    county = CountyFactory(parent=city, name_zh="县", aliases=["Old name", "旧名", 'with "quotes"'])
    for letter in "CBA":
        ZoneFactory(parent=county, code=f"{county.code}-{letter}", name_zh="")
    Region.objects.filter(pk=county.pk).update(
        created_at=dt.datetime(2024, 8, 1, 1, 30, tzinfo=dt.UTC),
        updated_at=dt.datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC),
    )
    return Region.objects.get(pk=county.pk)


def test_the_api_serves_every_seeded_region_as_the_serializer_writes_it(api_client) -> None:
    regions = list(Region.objects.order_by("code"))
    assert len(regions) >= 10
    for region in regions:
        answer = api_client.get(f"/api/v1/regions/{region.code}/")
        assert answer.content == rendered(region), region.code


def test_a_region_with_awkward_values_reads_as_the_serializer_writes_it(api_client) -> None:
    county = awkward_tree()
    answer = api_client.get(f"/api/v1/regions/{county.code}/")
    assert answer.content == rendered(county)
    detail = answer.json()
    assert [child["code"] for child in detail["children"]] == [f"{county.code}-{letter}" for letter in "ABC"]
    assert [ancestor["code"] for ancestor in detail["ancestors"]] == [
        county.parent.parent.code,
        county.parent.code,
    ]
    assert detail["parent"]["name"] == 'A "quoted" city \\ with a backslash'
    # And the browsable API's record, with its summaries built in SQL, says the same.
    region = projection_of(RegionDetailSerializer).queryset().get(pk=county.pk)
    assert detail == as_json(RegionDetailSerializer(region).data)


def test_in_utc_the_timestamps_are_written_as_the_serializer_writes_them(api_client, settings) -> None:
    county = awkward_tree()
    settings.TIME_ZONE = "UTC"
    answer = api_client.get(f"/api/v1/regions/{county.code}/")
    assert answer.content == rendered(county)
    assert answer.json()["updated_at"] == "2024-12-31T23:59:59.000001Z"
    assert answer.json()["created_at"] == "2024-08-01T01:30:00Z"


def test_a_root_region_has_no_parent_and_no_ancestors(api_client) -> None:
    root = Region.objects.filter(parent=None).order_by("code").first()
    detail = api_client.get(f"/api/v1/regions/{root.code}/").json()
    assert detail["parent"] is None
    assert detail["ancestors"] == []
    assert detail["children"]


def test_the_json_detail_is_one_statement_and_the_browsable_one_goes_through_the_serializer(api_client) -> None:
    county = awkward_tree()
    with CaptureQueriesContext(connection) as queries:
        answer = api_client.get(f"/api/v1/regions/{county.code}/")
    (statement,) = statements(queries)
    assert "json_build_object" in statement
    assert answer.status_code == 200

    page = api_client.get(f"/api/v1/regions/{county.code}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "引号市" in page.content.decode()
