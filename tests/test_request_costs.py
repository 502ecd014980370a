"""What a read costs in Python, beside its one SQL statement (issue 7): the work a list page or a
detail does once per process or once per page stays there, rather than once per row or per request.

The benchmark (`make bench`, bench/README.md) measures the times; these tests pin the mechanisms,
so that a change which brings the per-row or per-request cost back fails here rather than being
found in the next benchmark report.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_filters import FilterSet

from api.filters import _names_a_filter
from api.projection import projection_of
from projects.filters import ProjectFilterSet
from projects.models import Stage
from projects.serializers import ProjectSerializer
from regions.serializers import RegionSummarySerializer
from sources.serializers import CitationSerializer
from tests.contract import error_of, statements
from tests.factories import CitationFactory, CityFactory, CountyFactory, ProjectFactory

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


@pytest.fixture
def page_of_projects() -> list:
    """Twenty projects in two counties, each with its own citation: every row has a region and a citation to show."""
    city = CityFactory()
    counties = [CountyFactory(parent=city), CountyFactory(parent=city)]
    return [
        ProjectFactory(region=counties[n % 2], stage=Stage.SIGNED, investment_citation=CitationFactory())
        for n in range(20)
    ]


def _count_calls(monkeypatch, cls: type, method: str) -> list[object]:
    calls: list[object] = []
    original = getattr(cls, method)

    def counted(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, counted)
    return calls


def test_serialized_rows_build_each_summary_serializer_once_not_once_per_row(api_client, page_of_projects, monkeypatch):
    # A ModelSerializer builds its fields from the model on first use (~0.6 ms); the region and citation
    # of each row are represented by one summary serializer per field, which keeps its fields. (A JSON
    # page of projects has its rows written by PostgreSQL; its CSV export goes through the serializer.)
    built = _count_calls(monkeypatch, RegionSummarySerializer, "get_fields")
    built_citations = _count_calls(monkeypatch, CitationSerializer, "get_fields")

    def export() -> tuple[int, int, int]:
        built.clear()
        built_citations.clear()
        response = api_client.get(f"{PROJECTS}?format=csv")
        lines = b"".join(response.streaming_content).decode().splitlines()
        assert response.status_code == 200
        return len(lines) - 1, len(built), len(built_citations)

    rows, regions, citations = export()
    ProjectFactory.create_batch(20, region=page_of_projects[0].region, investment_citation=CitationFactory())
    more_rows, more_regions, more_citations = export()

    assert (rows, more_rows) == (20, 40)
    assert 1 <= regions <= 2  # the export's header and its rows
    assert (more_regions, more_citations) == (regions, citations)


def test_reused_summary_serializers_still_give_each_row_its_own_region_and_citation(page_of_projects):
    rows = {row["id"]: row for row in ProjectSerializer(projection_of(ProjectSerializer).queryset(), many=True).data}

    for project in page_of_projects:
        row = rows[project.pk]
        assert row["region"]["code"] == project.region.code
        assert row["investment_citation"]["id"] == project.investment_citation_id
        assert row["investment_citation"]["quote"] == project.investment_citation.quote


def test_an_unfiltered_page_does_not_build_the_filter_set(api_client, page_of_projects, monkeypatch):
    # Building a filter set deep-copies every declared filter and cleans a form, to change nothing.
    built = _count_calls(monkeypatch, FilterSet, "__init__")

    for query in ("", "?page=1", "?page_size=5", "?ordering=-name"):
        assert api_client.get(PROJECTS + query).status_code == 200

    assert built == []


@pytest.mark.parametrize(
    "query",
    ["stage=signed", "search=x", "min_investment=1", "milestone_after=2024-01-01", "has_investment=true"],
)
def test_a_filter_parameter_builds_the_filter_set(api_client, page_of_projects, monkeypatch, query):
    built = _count_calls(monkeypatch, FilterSet, "__init__")

    assert api_client.get(f"{PROJECTS}?{query}").status_code == 200

    assert len(built) == 1


def test_a_bad_filter_value_is_still_refused(api_client, page_of_projects):
    response = api_client.get(f"{PROJECTS}?stage=nonsense")

    assert response.status_code == 400
    assert "stage" in error_of(response)["fields"]


def test_parameters_named_after_a_filter_count_as_filter_parameters():
    assert _names_a_filter({"stage": "signed"}, ProjectFilterSet)
    assert _names_a_filter({"min_investment": "1"}, ProjectFilterSet)
    assert not _names_a_filter({"page": "2", "page_size": "5", "ordering": "name", "format": "json"}, ProjectFilterSet)


def test_a_page_fetches_its_rows_by_id_from_an_array_of_the_page_s_ids(api_client, page_of_projects, settings):
    # `id IN (SELECT ...)` lets the planner join the whole filtered result against the page's ids;
    # `id = ANY(ARRAY(SELECT ...))` works the ids out first and fetches the rows by primary key.
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(f"{PROJECTS}?stage=signed&page_size=5")

    sql = statements(queries)
    assert response.status_code == 200
    assert len(sql) == 1
    assert re.search(r'"projects_project"\."id" = ANY\(ARRAY\(SELECT', sql[0])
    assert [row["id"] for row in response.json()["results"]] == [
        p.pk for p in sorted(page_of_projects, key=lambda p: (p.name, p.pk))[:5]
    ]
