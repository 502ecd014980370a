"""The summary cache (issue 7): a hit is one query and a committed write shows in the next answer.

Most tests commit for real (`transaction=True`): the data generation is raised in the writer's
transaction, and what matters is what a later request, in a transaction of its own, sees.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from projects import summary_cache
from projects.models import Project
from tests.contract import client_for
from tests.factories import CityFactory, CountyFactory, IndustryFactory, MilestoneFactory, ProjectFactory
from tests.projects.answer_cache import assert_the_repeat_is_one_lookup, cached_rows, generation

SUMMARY = "/api/v1/projects/summary/"
committed = pytest.mark.django_db(transaction=True)


def get(params: dict, **headers):
    response = client_for().get(SUMMARY, params, **headers)
    assert response.status_code == 200, response.content
    return response


def summary(**params) -> dict:
    return get(params).json()


def row(body: dict, key: str | None) -> dict:
    return next(r for r in body["rows"] if r["key"] == key)


@pytest.fixture
def county():
    return CountyFactory(parent=CityFactory())


@pytest.mark.django_db
@pytest.mark.parametrize("group_by", ["region", "industry", "status", "year"])
def test_a_second_identical_request_is_one_query_with_the_identical_body(county, group_by) -> None:
    ProjectFactory(region=county).industries.add(IndustryFactory())
    params = {"group_by": group_by, "region": county.parent.code}
    assert_the_repeat_is_one_lookup(lambda: client_for().get(SUMMARY, params))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"format": "csv"}, {}),
        ({}, {"HTTP_ACCEPT": "application/json; indent=2"}),
        ({}, {"HTTP_ACCEPT": "text/csv"}),
    ],
)
def test_a_hit_in_another_format_is_the_stored_answer_read_back(county, params, headers) -> None:
    """The cache keeps the compact JSON; the CSV and indented JSON of a hit are written from it, as on a miss."""
    ProjectFactory(region=county, name="Longquan celadon kiln")
    params = {"group_by": "region", "region": county.parent.code, **params}
    missed = get(params, **headers).content
    assert cached_rows("summary:") == 1
    hit = get(params, **headers).content
    assert hit == missed
    assert county.name.encode() in hit


@pytest.mark.django_db
def test_a_hit_on_the_browsable_api_shows_the_answer(county) -> None:
    ProjectFactory(region=county)
    params = {"group_by": "region", "region": county.parent.code, "format": "api"}
    get(params)
    hit = get(params)
    assert hit["Content-Type"].startswith("text/html")
    assert f"&quot;label&quot;: &quot;{county.name}&quot;".encode() in hit.content


@committed
def test_each_kind_of_committed_write_shows_in_the_next_summary(county) -> None:
    city = county.parent.code
    project = ProjectFactory(region=county, planned_investment=Decimal("100.00"))

    def total() -> tuple[int, str]:
        body = summary(group_by="region", region=city)
        summary(group_by="region", region=city)  # a hit now, were it stale the assertions below would tell
        return row(body, county.code)["project_count"], row(body, county.code)["total_investment"]

    assert total() == (1, "100.00")
    project.planned_investment = Decimal("150.00")
    project.save()  # ORM save
    assert total() == (1, "150.00")
    Project.objects.filter(pk=project.pk).update(planned_investment=Decimal("50.00"))  # queryset update
    assert total() == (1, "50.00")
    Project.objects.bulk_create(
        [
            Project(
                name=f"Bulk {n}",
                slug=f"bulk-{n}",
                region=county,
                planned_investment=Decimal("10.00"),
                investment_qualifier="exact",
            )
            for n in (1, 2)
        ]
    )
    assert total() == (3, "70.00")
    with connection.cursor() as cursor:  # raw SQL, behind the ORM's back
        cursor.execute("UPDATE projects_project SET planned_investment = 20 WHERE slug LIKE 'bulk-%%'")
    assert total() == (3, "90.00")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM projects_project WHERE slug = 'bulk-1'")
    assert total() == (2, "70.00")
    Project.objects.filter(slug="bulk-2").delete()  # ORM delete
    assert total() == (1, "50.00")


@committed
def test_a_bulk_update_raises_the_generation_once() -> None:
    county = CountyFactory(parent=CityFactory())
    for _ in range(3):
        ProjectFactory(region=county)
    before = generation()
    Project.objects.filter(region=county).update(planned_investment=Decimal("1.00"))
    assert generation() == before + 1


@committed
def test_moving_a_region_shows_in_the_next_summary(county) -> None:
    other = CityFactory()
    ProjectFactory(region=county)
    assert row(summary(group_by="region", region=county.parent.code), county.code)["project_count"] == 1
    assert summary(group_by="region", region=other.code)["totals"]["project_count"] == 0

    county.parent = other
    county.save()

    assert summary(group_by="region", region=other.code)["totals"]["project_count"] == 1
    assert row(summary(group_by="region", region=other.code), county.code)["project_count"] == 1


@committed
def test_renaming_an_industry_and_filing_a_project_under_one_show_in_the_next_summary(county) -> None:
    industry = IndustryFactory(name="Semiconductors")
    project = ProjectFactory(region=county)
    assert row(summary(group_by="industry"), industry.code) == row(summary(group_by="industry"), industry.code)
    assert row(summary(group_by="industry"), industry.code)["label"] == "Semiconductors"
    assert row(summary(group_by="industry"), industry.code)["project_count"] == 0

    industry.name = "Integrated circuits"
    industry.save()
    assert row(summary(group_by="industry"), industry.code)["label"] == "Integrated circuits"

    project.industries.add(industry)  # the link table
    assert row(summary(group_by="industry"), industry.code)["project_count"] == 1
    assert summary(group_by="industry", industry=industry.code)["totals"]["project_count"] == 1


@committed
def test_a_new_milestone_shows_in_the_summary_by_year(county) -> None:
    project = ProjectFactory(region=county)
    assert row(summary(group_by="year"), None)["project_count"] == 1
    MilestoneFactory(project=project, stage=Project.Stage.SIGNED, date=dt.date(2023, 5, 1))
    body = summary(group_by="year")
    assert row(body, "2023")["project_count"] == 1
    assert all(r["key"] is not None for r in body["rows"])
    assert summary(group_by="status", milestone_after="2023-01-01")["totals"]["project_count"] == 1


@pytest.mark.django_db
def test_different_groupings_filters_and_languages_do_not_collide(county) -> None:
    ProjectFactory(region=county, stage=Project.Stage.CONCEIVED, planned_investment=Decimal("1.00"))
    ProjectFactory(region=county, stage=Project.Stage.NEGOTIATING, planned_investment=Decimal("2.00"))
    queries = [
        {"group_by": "status"},
        {"group_by": "region"},
        {"group_by": "industry"},
        {"group_by": "year"},
        {"group_by": "status", "stage": "conceived"},
        {"group_by": "status", "stage": "negotiating"},
        {"group_by": "status", "min_investment": "2"},
        {"group_by": "region", "region": county.parent.code},
        {"group_by": "status", "search": "packaging"},
    ]
    first = [summary(**params) for params in queries]
    again = [summary(**params) for params in queries]
    assert again == first
    assert first[4]["totals"]["total_investment"] == "1.00"
    assert first[5]["totals"]["total_investment"] == "2.00"
    assert first[6]["totals"]["total_investment"] == "2.00"
    assert first[0]["totals"]["total_investment"] == "3.00"
    assert first[7]["parent"]["code"] == county.parent.code
    # Stage labels are translated: each language has its own entry.
    english = get({"group_by": "status"}, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = get({"group_by": "status"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english == get({"group_by": "status"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert row(english, "signed")["label"] != row(chinese, "signed")["label"]
    assert chinese == get({"group_by": "status"}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()


def test_the_key_ignores_what_does_not_change_the_answer() -> None:
    from django.http import QueryDict

    def key(query: str) -> str:
        return summary_cache.summary_cache_key(QueryDict(query), "status")

    assert key("stage=signed&stage=landed") == key("stage=landed&stage=signed&format=json&page=2")
    assert key("stage=signed") != key("stage=landed")
    assert key("region=331100") != key("industry=331100")
    assert summary_cache.summary_cache_key(QueryDict(""), "status") != summary_cache.summary_cache_key(
        QueryDict(""), "region"
    )


@pytest.mark.django_db
def test_a_failing_cache_write_still_answers_with_the_computed_summary(county, monkeypatch) -> None:
    ProjectFactory(region=county, planned_investment=Decimal("7.00"))
    monkeypatch.setattr(summary_cache, "STORE_SQL", "INSERT INTO no_such_table VALUES (%(key)s)")
    assert summary(group_by="region", region=county.parent.code)["totals"]["total_investment"] == "7.00"
    # The request's transaction survived the failed statement, and nothing was stored.
    assert summary(group_by="region", region=county.parent.code)["totals"]["total_investment"] == "7.00"
    assert cached_rows() == 0


@committed
def test_a_read_only_database_still_answers(county) -> None:
    ProjectFactory(region=county, planned_investment=Decimal("7.00"))
    before = cached_rows()  # the table is not flushed between committing tests: it is no model's
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")  # as on a hot standby
    try:
        assert summary(group_by="status")["totals"]["total_investment"] == "7.00"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
    assert cached_rows() == before


@committed
def test_the_cache_stays_bounded(county, monkeypatch) -> None:
    monkeypatch.setattr(summary_cache, "MAX_ROWS", 2)
    ProjectFactory(region=county)
    for stage in ("conceived", "signed", "landed", "negotiating"):
        summary(group_by="status", stage=stage)
    assert cached_rows() <= 3
    ProjectFactory(region=county)  # a new generation: the next store clears the older ones
    summary(group_by="status")
    assert cached_rows() == 1
