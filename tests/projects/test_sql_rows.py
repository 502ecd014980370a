"""A JSON list page of projects has its rows written by PostgreSQL (issue 7), and they are exactly the rows
`ProjectSerializer` writes from the list queryset: the same fields in the same order, value for value,
with the values that are easy to get wrong (decimals with trailing zeros, nulls, quotes and backslashes,
Chinese text, timestamps with and without microseconds, in the request's time zone)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from api.projection import projection_of
from core.seed import seed_load
from projects.models import Participant, Project
from projects.serializers import ProjectSerializer
from tests.contract import statements
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    IndustryFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


def serialized(pks: list[int]) -> list[dict]:
    """The rows as the serializer writes them from the list queryset, in the list's order."""
    projects = projection_of(ProjectSerializer).queryset().filter(pk__in=pks)
    return [dict(row) for row in ProjectSerializer(projects, many=True).data]


@pytest.fixture
def varied_projects() -> list[int]:
    programme = ProjectFactory(
        kind=Project.Kind.PROGRAMME, name_zh="丽水集群", planned_investment=None, investment_qualifier=""
    )
    full = ProjectFactory(
        name='A "quoted" \\ name',
        name_zh="科伦高端制剂",
        aliases=["Kolen", "科伦", 'with "quotes"'],
        programme=programme,
        planned_investment=Decimal("2000000000.00"),
        investment_qualifier="more_than",
        investment_citation=CitationFactory(quote="“引号”, a \\ backslash and\na new line"),
        tracked_by=StaffUserFactory(username="zhang.wei"),
        description="第一\t第二",
    )
    full.industries.set([IndustryFactory(), IndustryFactory()])
    ParticipantFactory(project=full, role=Participant.Role.LEAD_INVESTOR, company=CompanyFactory(name_zh="科伦"))
    bare = ProjectFactory(planned_investment=Decimal("12.30"), investment_qualifier="about", aliases=[])
    # Timestamps with and without microseconds, and one that falls on another day in Beijing than in UTC.
    Project.objects.filter(pk=bare.pk).update(
        created_at=dt.datetime(2024, 7, 1, 20, 30, tzinfo=dt.UTC),
        updated_at=dt.datetime(2024, 7, 1, 20, 30, 0, 120, tzinfo=dt.UTC),
    )
    return [programme.pk, full.pk, bare.pk]


def test_the_list_rows_are_the_serializer_s_rows_field_for_field(api_client, varied_projects):
    response = api_client.get(f"{PROJECTS}?page_size=500")

    rows = [row for row in response.json()["results"] if row["id"] in varied_projects]
    assert rows == serialized(varied_projects)
    assert [list(row) for row in rows] == [list(row) for row in serialized(varied_projects)]


def test_the_rows_render_to_the_same_bytes(api_client, varied_projects):
    response = api_client.get(f"{PROJECTS}?page_size=500")

    rows = [row for row in response.json()["results"] if row["id"] in varied_projects]
    assert JSONRenderer().render(rows) == JSONRenderer().render(serialized(varied_projects))


def test_the_timestamps_are_written_in_the_time_zone_of_the_request(api_client, varied_projects):
    with timezone.override("UTC"):
        response = api_client.get(f"{PROJECTS}?page_size=500")
        expected = serialized(varied_projects)

    rows = [row for row in response.json()["results"] if row["id"] in varied_projects]
    assert rows == expected
    bare = next(row for row in rows if row["id"] == varied_projects[2])
    assert bare["created_at"] == "2024-07-01T20:30:00Z"
    assert bare["updated_at"] == "2024-07-01T20:30:00.000120Z"


def test_the_article_s_projects_list_as_the_serializer_writes_them(api_client):
    seed_load()
    pks = list(Project.objects.values_list("pk", flat=True))

    rows = api_client.get(f"{PROJECTS}?page_size=500").json()["results"]

    assert rows == serialized(pks)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ordering=-planned_investment",
        "?search=quoted",
        "?kind=programme",
        "?cursor=",
        "?page=last",
        "?page_size=1",
    ],
)
def test_every_way_of_paging_gives_the_serializer_s_rows(api_client, varied_projects, query):
    response = api_client.get(PROJECTS + query)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows, query
    assert rows == [next(row for row in serialized([r["id"]])) for r in rows]


def test_a_page_with_its_rows_written_in_sql_is_still_one_statement(api_client, varied_projects, settings):
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(f"{PROJECTS}?search=quoted")

    sql = statements(queries)
    assert response.status_code == 200
    assert len(sql) == 1
    assert "json_build_object" in sql[0]
    # The JSON is written for the page's rows only: the count and the page's ids do not carry it.
    one_row = str(Project.objects.annotate(row=projection_of(ProjectSerializer).sql).values("row").query)
    assert sql[0].count("json_build_object") == one_row.count("json_build_object") > 0


def test_a_csv_export_still_goes_through_the_serializer(api_client, varied_projects):
    response = api_client.get(f"{PROJECTS}?format=csv")

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "zhang.wei" in body
    assert "2000000000.00" in body
