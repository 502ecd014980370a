"""Every list as CSV (issue 4, point 9): `?format=csv` or `Accept: text/csv`.

The CSV holds the rows the JSON list holds, in the same order and with the same filters, but
unpaginated and streamed: a header row, nested records spread into `parent.field` columns, money
as the exact decimal string, Chinese text as UTF-8. Errors stay JSON.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

import config.api_router  # noqa: F401 - registers every collection on the router
from api.csv import CHUNK_SIZE
from api.routers import router
from core.seed import seed_load
from projects.models import Participant, Project
from tests.factories import (
    CitationFactory,
    CommitmentFactory,
    CommitmentObservationFactory,
    CompanyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndustryFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    ProjectWarningFactory,
    RegionFactory,
    SigningEventProjectFactory,
    StaffUserFactory,
    WarningRuleFactory,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
CSV_TYPE = "text/csv; charset=utf-8"


def list_paths() -> Iterator[tuple[str, str]]:
    """(list path template, CSV file name) of every collection on the router."""
    for prefix, viewset, _basename in router.registry:
        yield re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", prefix), viewset.csv_filename


LISTS = dict(list_paths())


@pytest.fixture
def world() -> dict[str, Any]:
    """A little of everything, with Chinese names, and nested records missing from the first rows."""
    longquan = RegionFactory(name="Longquan City", name_zh="龙泉市")
    # First by name and by id: no programme, no lead investor, no amount.
    ProjectFactory(name="A lead without an amount", region=longquan, planned_investment=None, investment_qualifier="")
    citation = CitationFactory(quote="科伦药业高端制剂及保健食品项目正式落户龙泉。")
    programme = ProjectFactory(name="Z Baiqiao Block programme", kind="programme", region=longquan)
    kelun = ProjectFactory(
        name="Kelun high-end preparation project",
        name_zh="科伦高端制剂及保健食品项目",
        region=longquan,
        planned_investment=Decimal("2000000000.00"),
        investment_citation=citation,
        programme=programme,
    )
    ProjectFactory(name="M packaging line", region=RegionFactory(), planned_investment=Decimal("98765432109876.54"))
    investor = CompanyFactory(name="Sichuan Kelun Pharmaceutical", name_zh="四川科伦药业股份有限公司")
    CompanyFactory(name="Zhejiang Guojing Pharmaceutical", parent=investor)  # after its parent by name
    ParticipantFactory(project=kelun, company=investor, role=Participant.Role.LEAD_INVESTOR)
    MilestoneFactory(project=kelun)
    FundsInPlaceFactory(project=kelun)
    FigureFactory(project=kelun)
    FollowUpFactory(project=kelun)
    CommitmentObservationFactory(commitment=CommitmentFactory(project=kelun))
    ObservationFactory(region=longquan, value=Decimal("6.9000"), period="2024-H1", is_derived=False)
    IndustryFactory(name="Pharmaceuticals", name_zh="医药制造业")
    WarningRuleFactory(region=longquan, months=18)
    ProjectWarningFactory(project=kelun)
    SigningEventProjectFactory(project=kelun, event__region=longquan, event__name="龙泉市招商引资集中签约")
    return {"project": kelun, "region": longquan}


def url_of(template: str, world: dict[str, Any]) -> str:
    return f"{API}/{template.replace('{project}', world['project'].slug)}/"


def body_of(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def table(response) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(body_of(response).decode("utf-8-sig"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def json_rows(client: APIClient, url: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    rows, page = [], 1
    while True:
        answer = client.get(url, {**query, "page": page, "page_size": 500}).json()
        rows += answer["results"]
        if not answer["next"]:
            return rows
        page += 1


def leaves(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, value


def as_cell(value: Any) -> str:
    """What a JSON value becomes in a cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(value)


def reader() -> APIClient:
    """A signed-in reader: the follow-up log is for them (API_ANONYMOUS_FOLLOW_UPS)."""
    client = APIClient()
    client.force_authenticate(StaffUserFactory())
    return client


@pytest.mark.parametrize("template", LISTS)
def test_every_list_answers_csv_to_the_format_parameter_and_to_the_accept_header(world, template):
    url, client = url_of(template, world), reader()
    by_format = client.get(url, {"format": "csv"})
    by_accept = client.get(url, HTTP_ACCEPT="text/csv")
    for response in (by_format, by_accept):
        assert response.status_code == 200
        assert response["Content-Type"] == CSV_TYPE
        assert response["Content-Disposition"] == f'attachment; filename="{LISTS[template]}.csv"'
        assert "Accept" in response["Vary"]  # a cache must not answer a JSON client with CSV
    assert body_of(by_format) == body_of(by_accept)


@pytest.mark.parametrize("template", LISTS)
def test_every_csv_row_says_what_its_json_row_says_in_the_same_order(world, template):
    url, client = url_of(template, world), reader()
    header, rows = table(client.get(url, {"format": "csv"}))
    expected = json_rows(client, url, {})
    assert expected, "the world has a record of every collection"
    assert [row["id"] for row in rows] == [str(row["id"]) for row in expected]
    for csv_row, json_row in zip(rows, expected, strict=True):
        for path, value in leaves(json_row):
            if path in header:
                assert csv_row[path] == as_cell(value), path
            else:  # a nested record that this row lacks: its columns are there, and empty
                spread = [column for column in header if column.startswith(f"{path}.")]
                assert value is None, path
                assert spread, path
                assert all(csv_row[column] == "" for column in spread), path


@pytest.mark.parametrize(
    ("template", "query"),
    [
        ("projects", {"region": "{region}", "ordering": "-planned_investment"}),
        ("projects", {"search": "Kelun"}),
        ("projects", {"has_investment": "true", "ordering": "name"}),
        ("companies", {"ordering": "-name"}),
        ("regions", {"ordering": "-code"}),
        ("indicators", {"region": "{region}"}),
        ("projects/{project}/milestones", {"ordering": "-date"}),
        ("compliance", {"status": "breach", "region": "{region}"}),
    ],
)
def test_filters_and_ordering_give_the_csv_the_rows_of_the_json_list(world, template, query):
    url, client = url_of(template, world), APIClient()
    query = {key: value.format(region=world["region"].code) for key, value in query.items()}
    _header, rows = table(client.get(url, {**query, "format": "csv"}))
    assert [row["id"] for row in rows] == [str(row["id"]) for row in json_rows(client, url, query)]


def test_the_csv_is_not_paginated(world):
    _header, rows = table(APIClient().get(f"{API}/projects/", {"format": "csv", "page_size": 1, "page": 2}))
    assert len(rows) == Project.objects.count()


def test_nested_records_are_dotted_columns_even_when_the_first_row_has_none(world):
    header, rows = table(APIClient().get(f"{API}/projects/", {"format": "csv"}))
    assert rows[0]["name"] == "A lead without an amount"
    for column in ("region.code", "region.name_zh", "programme.slug", "lead_investor.slug", "lead_investor.name_zh"):
        assert column in header
    assert "investment_citation.source.title" in header
    assert not {"region", "programme", "lead_investor", "investment_citation"} & set(header)
    kelun = next(row for row in rows if row["slug"] == world["project"].slug)
    assert (kelun["programme.name"], kelun["lead_investor.name"]) == (
        "Z Baiqiao Block programme",
        "Sichuan Kelun Pharmaceutical",
    )
    assert (rows[0]["programme.slug"], rows[0]["lead_investor.slug"], rows[0]["planned_investment"]) == ("", "", "")


def test_money_is_the_exact_decimal_string_and_chinese_text_is_utf_8(world):
    response = APIClient().get(f"{API}/projects/", {"format": "csv"})
    body = body_of(response)
    assert "科伦高端制剂及保健食品项目".encode() in body
    assert "龙泉市".encode() in body
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    amounts = {row["name"]: row["planned_investment"] for row in rows}
    assert amounts["Kelun high-end preparation project"] == "2000000000.00"
    assert amounts["M packaging line"] == "98765432109876.54"
    kelun = next(row for row in rows if row["slug"] == world["project"].slug)
    assert kelun["investment_citation.quote"] == "科伦药业高端制剂及保健食品项目正式落户龙泉。"


def test_lists_join_with_semicolons_and_booleans_read_as_in_json(world):
    world["project"].aliases = ["Kolen project", "科伦项目"]
    world["project"].save()
    _header, projects = table(APIClient().get(f"{API}/projects/", {"format": "csv", "search": "Kelun"}))
    assert projects[0]["aliases"] == "Kolen project;科伦项目"
    _header, observations = table(APIClient().get(f"{API}/indicators/", {"format": "csv"}))
    assert (observations[0]["value"], observations[0]["is_derived"]) == ("6.9000", "false")


def test_an_empty_result_still_has_the_full_header(world):
    full, _rows = table(APIClient().get(f"{API}/projects/", {"format": "csv"}))
    empty, rows = table(APIClient().get(f"{API}/projects/", {"format": "csv", "search": "nothing like this"}))
    assert (empty, rows) == (full, [])
    header, _rows = table(APIClient().get(url_of("projects/{project}/milestones", world), {"format": "csv"}))
    assert "project" not in header  # taken from the URL, never written
    assert "citation.source.slug" in header


@pytest.mark.parametrize(
    ("query", "headers"),
    [({"format": "csv", "region": "999999"}, {}), ({"region": "999999"}, {"HTTP_ACCEPT": "text/csv"})],
    ids=["format", "accept"],
)
def test_an_invalid_filter_is_still_a_json_400(world, query, headers):
    response = APIClient().get(f"{API}/projects/", query, **headers)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["fields"]["region"][0]["code"] == "invalid_choice"


def test_a_sub_resource_of_no_project_is_still_a_json_404(world):
    response = APIClient().get(f"{API}/projects/no-such-project/milestones/", {"format": "csv"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_a_record_is_one_csv_line_under_its_header(world):
    response = APIClient().get(f"{API}/regions/{world['region'].code}/", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == CSV_TYPE
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert [(row["code"], row["name_zh"], row["parent.code"]) for row in rows] == [
        (world["region"].code, "龙泉市", world["region"].parent.code)
    ]


def test_the_summary_is_its_table_of_rows_then_the_totals(world):
    response = APIClient().get(f"{API}/projects/summary/", {"group_by": "status", "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows[-1]["label"] == "all projects"
    assert rows[-1]["key"] == ""
    assert sum(int(row["project_count"]) for row in rows[:-1]) == int(rows[-1]["project_count"])
    # The programme states its total exactly (the factory's 1 billion): it counts instead of Kelun's 2 billion.
    assert rows[-1]["total_investment"] == "98766432109876.54"


def test_the_seeded_guojing_alias_with_a_comma_stays_one_alias():
    seed_load()
    _header, rows = table(APIClient().get(f"{API}/companies/", {"format": "csv", "search": "Guojing"}))
    assert [row["aliases"] for row in rows] == ["Zhejiang Guojing Pharmaceuticals Co., Ltd.;Guojing"]


#
# Streaming
#


def create_projects(count: int, *, region, industry, start: int) -> None:
    projects = Project.objects.bulk_create(
        Project(
            name=f"Bulk project {n:06d}",
            name_zh=f"批量项目{n}",
            slug=f"bulk-{n}",
            region=region,
            planned_investment=Decimal(n),
            investment_qualifier="exact",
        )
        for n in range(start, start + count)
    )
    links = Project.industries.through
    links.objects.bulk_create(links(project=project, industry=industry) for project in projects)


def export_peak(client: APIClient) -> tuple[int, int, int]:
    """(peak bytes of Python memory, rows, queries) while a whole projects export is read."""
    response = client.get(f"{API}/projects/", {"format": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    lines = 0
    with CaptureQueriesContext(connection) as queries:
        tracemalloc.start()
        try:
            for chunk in response.streaming_content:
                lines += chunk.count(b"\n")
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak, lines - 1, len(queries)


@pytest.mark.slow
def test_a_large_export_is_streamed_in_constant_memory_and_chunked_queries():
    region, industry = RegionFactory(), IndustryFactory()
    client = APIClient()
    create_projects(1_500, region=region, industry=industry, start=0)
    small_peak, small_rows, small_queries = export_peak(client)
    create_projects(13_500, region=region, industry=industry, start=1_500)
    large_peak, large_rows, large_queries = export_peak(client)

    assert (small_rows, large_rows) == (1_500, 15_000)
    # Ten times the rows, the same memory: one chunk of records at a time, each freed once written.
    assert large_peak < 1.3 * small_peak, (small_peak, large_peak)
    # The rows through one cursor, then the industries of each chunk: never a query per row.
    assert large_queries <= 1 + 2 * math.ceil(15_000 / CHUNK_SIZE), (small_queries, large_queries)


def test_the_api_csv_starts_with_the_byte_order_mark_the_admin_export_carries():
    ProjectFactory()
    response = APIClient().get("/api/v1/projects/", {"format": "csv"})
    body = body_of(response)
    assert body.startswith("\ufeff".encode())
    assert body.decode("utf-8-sig").startswith("id,")
