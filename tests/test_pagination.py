"""Pagination (issue 4, point 6): a documented default and maximum, stable pages, a cursor mode, clear errors."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from core.seed import seed_load
from projects.models import Project
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    CountyFactory,
    IndustryFactory,
    ObservationFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"
COLLECTIONS = [
    "/api/v1/regions/",
    "/api/v1/industries/",
    "/api/v1/companies/",
    "/api/v1/projects/",
    "/api/v1/indicators/",
    "/api/v1/indicator-definitions/",
    "/api/v1/sources/",
    "/api/v1/citations/",
]


def projects(count: int, *, name: str | None = None, amounts: list[Decimal | None] | None = None) -> list[int]:
    """`count` projects in one county, made in one statement; their ids in creation order."""
    region = CountyFactory()
    rows = [
        Project(
            name=name or f"Project {n:05d}",
            slug=f"bulk-{n}",
            region=region,
            planned_investment=amounts[n % len(amounts)] if amounts else None,
            investment_qualifier="exact" if amounts and amounts[n % len(amounts)] is not None else "",
        )
        for n in range(count)
    ]
    return [project.pk for project in Project.objects.bulk_create(rows)]


def get(url: str, **params) -> dict:
    response = client_for().get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def walk(url: str, **params) -> tuple[list[int], list[dict]]:
    """Every id a client sees following `next` from the first page, and each page it read."""
    pages = [get(url, **params)]
    while pages[-1]["next"]:
        pages.append(get(pages[-1]["next"]))
    return [row["id"] for page in pages for row in page["results"]], pages


# --- page size ------------------------------------------------------------------------------------------------------


def test_the_documented_default_is_50_rows_and_the_maximum_500() -> None:
    assert (DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE) == (50, 500)


def test_a_page_has_the_default_size_and_the_count_of_every_row() -> None:
    projects(60)
    page = get(PROJECTS)
    assert len(page["results"]) == DEFAULT_PAGE_SIZE
    assert page["count"] == 60
    assert page["previous"] is None
    assert "page=2" in page["next"]


def test_a_client_may_ask_for_a_smaller_or_larger_page() -> None:
    projects(60)
    assert len(get(PROJECTS, page_size=7)["results"]) == 7
    assert len(get(PROJECTS, page_size=60)["results"]) == 60


def test_asking_for_more_than_the_maximum_gives_the_maximum_not_an_error() -> None:
    projects(MAX_PAGE_SIZE + 20)
    page = get(PROJECTS, page_size=100_000)
    assert len(page["results"]) == MAX_PAGE_SIZE
    assert page["count"] == MAX_PAGE_SIZE + 20
    assert "page=2" in page["next"]
    assert len(get(page["next"])["results"]) == 20


def test_the_maximum_holds_in_cursor_mode_too() -> None:
    projects(MAX_PAGE_SIZE + 1)
    page = get(PROJECTS, cursor="", page_size=100_000)
    assert len(page["results"]) == MAX_PAGE_SIZE
    assert page["next"]


@pytest.mark.parametrize("size", ["abc", "0", "-5", "1.5", "", "1e3"])
def test_a_page_size_that_is_not_a_positive_whole_number_falls_back_to_the_default(size) -> None:
    projects(DEFAULT_PAGE_SIZE + 5)
    assert len(get(PROJECTS, page_size=size)["results"]) == DEFAULT_PAGE_SIZE


@pytest.fixture
def one_of_each() -> None:
    """At least one row in every collection."""
    ObservationFactory()
    CitationFactory()
    CompanyFactory()
    IndustryFactory()
    ProjectFactory()


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_every_collection_is_paginated_the_same_way(collection, one_of_each) -> None:
    page = get(collection, page_size=1)
    assert set(page) == {"count", "count_exceeds", "next", "previous", "results"}
    assert len(page["results"]) == 1
    assert page["count"] >= 1
    assert len(get(collection, page_size=100_000)["results"]) == min(page["count"], MAX_PAGE_SIZE)


# --- a bounded count --------------------------------------------------------------------------------------------------


def test_up_to_the_cap_the_count_is_exact_and_not_flagged(settings) -> None:
    settings.API_COUNT_CAP = 12
    projects(12)
    page = get(PROJECTS, page_size=5)
    assert (page["count"], page["count_exceeds"]) == (12, None)
    last = get(PROJECTS, page_size=5, page=3)
    assert (len(last["results"]), last["count"], last["next"]) == (2, 12, None)


def test_above_the_cap_the_count_is_null_and_flagged_with_the_cap_never_an_estimate(settings) -> None:
    settings.API_COUNT_CAP = 12
    ids = projects(13)
    page = get(PROJECTS, page_size=5)
    assert (page["count"], page["count_exceeds"]) == (None, 12)
    # The pages still walk every row once, and `next` still knows where the rows end.
    seen, pages = walk(PROJECTS, page_size=5)
    assert seen == sorted(ids)
    assert [p["count"] for p in pages] == [None] * 3
    assert pages[-1]["next"] is None
    # Filters count the same way: a narrower result is exact again.
    narrow = get(PROJECTS, search="project 0000")
    assert (narrow["count"], narrow["count_exceeds"]) == (10, None)


def test_the_last_page_by_name_counts_everything_exactly(settings) -> None:
    settings.API_COUNT_CAP = 3
    projects(12)
    page = get(PROJECTS, page="last", page_size=5)
    assert (page["count"], page["count_exceeds"], len(page["results"])) == (12, None, 2)


def test_cursor_mode_neither_counts_nor_flags() -> None:
    projects(3)
    page = get(PROJECTS, cursor="")
    assert (page["count"], page["count_exceeds"]) == (None, None)


def test_the_openapi_document_explains_the_bounded_count() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    envelope = document["components"]["schemas"]["PaginatedProjectList"]["properties"]
    assert envelope["count"]["nullable"]
    assert "never an estimate" in envelope["count"]["description"].lower()
    assert envelope["count_exceeds"]["nullable"]
    assert envelope["count_exceeds"]["type"] == "integer"


# --- a stable order -------------------------------------------------------------------------------------------------


def test_pages_of_rows_with_identical_names_neither_repeat_nor_skip_a_row() -> None:
    ids = projects(23, name="Unnamed block project")
    seen, pages = walk(PROJECTS, page_size=5)
    assert len(pages) == 5
    assert seen == sorted(ids)  # equal names: ties broken by id


def test_pages_sorted_by_a_column_with_ties_and_nulls_neither_repeat_nor_skip_a_row() -> None:
    ids = projects(31, amounts=[Decimal("1000000000.00"), None, Decimal("2000000000.00")])
    for ordering in ("-planned_investment", "planned_investment", "name,-planned_investment"):
        seen, _pages = walk(PROJECTS, page_size=4, ordering=ordering)
        assert sorted(seen) == sorted(ids), ordering
        assert len(seen) == len(set(seen)), ordering


def test_sorting_by_planned_investment_descending_breaks_ties_by_id_descending_too() -> None:
    # One index on (planned_investment, id), read backwards, gives the whole order: no sort of the ties.
    ids = projects(9, amounts=[Decimal(1), Decimal(2), Decimal(2)])
    seen, _pages = walk(PROJECTS, page_size=2, ordering="-planned_investment")
    twos, ones = [pk for n, pk in enumerate(ids) if n % 3], ids[0::3]
    assert seen == sorted(twos, reverse=True) + sorted(ones, reverse=True)


def test_sorting_by_planned_investment_ascending_breaks_ties_by_id_ascending() -> None:
    ids = projects(9, amounts=[Decimal(1), Decimal(2), Decimal(2)])
    seen, _pages = walk(PROJECTS, page_size=2, ordering="planned_investment")
    twos, ones = [pk for n, pk in enumerate(ids) if n % 3], ids[0::3]
    assert seen == sorted(ones) + sorted(twos)


def test_the_same_request_gives_the_same_page_every_time() -> None:
    projects(40, name="Same")
    first = [row["id"] for row in get(PROJECTS, page=3, page_size=6)["results"]]
    assert all([row["id"] for row in get(PROJECTS, page=3, page_size=6)["results"]] == first for _ in range(3))


@pytest.mark.parametrize("ordering", ["bogus", "-bogus", "name,secret", "region__name", "name;drop"])
def test_sorting_by_a_field_that_is_not_offered_is_refused_naming_ordering(ordering) -> None:
    response = client_for().get(PROJECTS, {"ordering": ordering})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["ordering"]
    assert "planned_investment" in error_of(response)["fields"]["ordering"][0]["message"]  # says what is offered


def test_sorting_by_id_is_always_offered() -> None:
    ids = projects(3)
    assert [row["id"] for row in get(PROJECTS, ordering="-id")["results"]] == sorted(ids, reverse=True)


# --- cursor mode ----------------------------------------------------------------------------------------------------


def test_cursor_mode_walks_every_row_once_in_id_order_without_counting() -> None:
    ids = projects(23, name="Same name")
    seen, pages = walk(PROJECTS, cursor="", page_size=5)
    assert seen == sorted(ids)
    assert len(pages) == 5
    assert all(page["count"] is None for page in pages)
    assert all("cursor=" in page["next"] for page in pages[:-1])


def test_cursor_mode_keeps_id_order_and_the_filters_and_refuses_another_order() -> None:
    ids = projects(12, amounts=[Decimal(3), Decimal(1), Decimal(2)])
    seen, _pages = walk(PROJECTS, cursor="", page_size=5, has_investment="true")
    assert seen == sorted(ids)
    refused = client_for().get(PROJECTS, {"cursor": "", "ordering": "-planned_investment"})
    assert refused.status_code == 400
    assert list(error_of(refused)["fields"]) == ["ordering"]
    seen, _pages = walk(PROJECTS, cursor="", page_size=5, min_investment="2")
    assert seen == [pk for n, pk in enumerate(ids) if n % 3 != 1]  # amounts 3 and 2, not 1


def test_cursor_mode_can_go_back() -> None:
    projects(12)
    first = get(PROJECTS, cursor="", page_size=5)
    second = get(first["next"])
    assert get(second["previous"])["results"] == first["results"]


def test_a_row_deleted_behind_a_cursor_does_not_shift_the_pages_ahead() -> None:
    ids = projects(10, name="Same")
    first = get(PROJECTS, cursor="", page_size=5)
    Project.objects.filter(pk=ids[0]).delete()  # with page numbers, page 2 would now start one row later
    rest, _pages = walk(first["next"])
    assert [row["id"] for row in first["results"]] + rest == ids


# --- errors -----------------------------------------------------------------------------------------------------------


def test_a_page_past_the_end_is_a_json_404() -> None:
    projects(3)
    response = client_for().get(PROJECTS, {"page": 2})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_page_past_the_end_of_an_empty_result_is_a_404_but_the_first_page_is_not() -> None:
    assert get(PROJECTS)["results"] == []
    assert client_for().get(PROJECTS, {"page": 2}).status_code == 404


def test_the_last_page_can_be_asked_for_by_name() -> None:
    ids = projects(12)
    assert [row["id"] for row in get(PROJECTS, page="last", page_size=5)["results"]] == sorted(ids)[10:]


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "二"])
def test_a_page_number_that_is_not_a_whole_number_from_1_is_refused_naming_page(page) -> None:
    response = client_for().get(PROJECTS, {"page": page})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["page"]


def forged(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["not-a-cursor", "%%%", forged("p=abc"), forged("p=1; DROP TABLE x"), forged("o=-1"), forged("r=x")]
)
def test_a_cursor_the_api_did_not_write_is_refused_naming_cursor(cursor) -> None:
    projects(3)
    response = client_for().get(PROJECTS, {"cursor": cursor})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["cursor"]


def test_a_cursor_position_that_is_a_number_is_read_as_one() -> None:
    ids = projects(4)
    page = get(PROJECTS, cursor=forged(f"p={ids[1]}"))
    assert [row["id"] for row in page["results"]] == ids[2:]


# --- documentation --------------------------------------------------------------------------------------------------


def test_the_openapi_document_gives_the_default_and_the_maximum_on_every_list() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    for collection in COLLECTIONS:
        parameters = {p["name"]: p for p in document["paths"][collection]["get"]["parameters"]}
        page_size = parameters["page_size"]
        assert page_size["schema"]["type"] == "integer"
        assert page_size["schema"]["default"] == DEFAULT_PAGE_SIZE
        assert str(MAX_PAGE_SIZE) in page_size["description"]
        assert {"page", "cursor"} <= set(parameters)


def test_every_region_in_a_long_list_comes_back_once_across_pages() -> None:
    seed_load()
    seen, _pages = walk("/api/v1/regions/", page_size=4)
    assert sorted(seen) == sorted(Region.objects.values_list("pk", flat=True))
