"""JSON project list pages in the answer cache (issue 7): a hit is one query with the same bytes, and a
committed write to anything a page shows is in the next page.

The cache is the summaries' (projects/summary_cache.py). Tests that write commit for real
(`transaction=True`): what matters is what a later request, in a transaction of its own, sees.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import summary_cache
from projects.models import Project
from sources.models import Citation, Source
from tests.contract import client_for
from tests.factories import (
    CitationFactory,
    CityFactory,
    CompanyFactory,
    CountyFactory,
    IndustryFactory,
    ParticipantFactory,
    ProjectFactory,
    UserFactory,
)
from tests.projects.answer_cache import assert_the_repeat_is_one_lookup, cached_rows, generation, sql_and_body

LIST = "/api/v1/projects/"
committed = pytest.mark.django_db(transaction=True)


def sent(url: str, **extra) -> tuple[list[str], bytes]:
    """The SQL one GET sends (savepoints aside) and its body."""
    return sql_and_body(lambda: client_for().get(url, **extra))


def page(url: str = LIST, **extra) -> dict:
    response = client_for().get(url, **extra)
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.fixture
def county():
    return CountyFactory(parent=CityFactory())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "",
        "?stage=landed&region={city}&industry={industry}",
        "?search=packaging",
        "?page=2&page_size=1",
        "?page=last&page_size=1",
        "?cursor=&page_size=1",
        "?ordering=-planned_investment",
    ],
)
def test_a_second_identical_request_is_one_query_with_the_identical_body(county, query) -> None:
    industry = IndustryFactory()
    for n in range(3):
        project = ProjectFactory(region=county, stage="landed", name=f"Packaging line {n}")
        project.industries.add(industry)
    url = LIST + query.format(city=county.parent.code, industry=industry.code)
    assert_the_repeat_is_one_lookup(lambda: client_for().get(url))


@pytest.mark.django_db
def test_the_browsable_api_page_is_cached_too(county) -> None:
    project = ProjectFactory(region=county)
    first, _ = sent(f"{LIST}?format=api")
    again, body = sent(f"{LIST}?format=api")
    # Its forms still read what they need; the page's rows are not read again.
    assert any("row_json" in sql for sql in first)
    assert not any("row_json" in sql for sql in again)
    assert project.slug.encode() in body


@committed
def test_each_kind_of_committed_write_shows_in_the_next_page(county) -> None:
    officer = UserFactory(username="officer-wang")
    citation = CitationFactory(quote="Settled in July.")
    project = ProjectFactory(region=county, investment_citation=citation, tracked_by=officer, name="Kelun line")
    investor = CompanyFactory(name="Kelun")
    ParticipantFactory(project=project, company=investor, role="lead_investor", citation=None)

    def row() -> dict:
        body = page()
        assert page() == body  # a hit now: were it stale, the assertions below would tell
        return next(r for r in body["results"] if r["id"] == project.pk)

    assert row()["name"] == "Kelun line"
    Project.objects.filter(pk=project.pk).update(name="Kelun plant")
    assert row()["name"] == "Kelun plant"
    county.name = "Longquan"
    county.save()
    assert row()["region"]["name"] == "Longquan"
    industry = IndustryFactory()
    project.industries.add(industry)
    assert row()["industries"] == [industry.code]
    investor.name = "Sichuan Kelun"
    investor.save()
    assert row()["lead_investor"]["name"] == "Sichuan Kelun"
    Citation.objects.filter(pk=citation.pk).update(quote="Officially settled in July.")
    assert row()["investment_citation"]["quote"] == "Officially settled in July."
    Source.objects.filter(pk=citation.source_id).update(title="Lishui article")
    assert row()["investment_citation"]["source"]["title"] == "Lishui article"
    get_user_model().objects.filter(pk=officer.pk).update(username="officer-li")
    assert row()["tracked_by"] == "officer-li"
    ProjectFactory(region=county, name="Another line")
    assert page()["count"] == 2
    with connection.cursor() as cursor:  # raw SQL, behind the ORM's back
        cursor.execute("DELETE FROM projects_project WHERE name = 'Another line'")
    assert page()["count"] == 1


@committed
def test_signing_in_does_not_empty_the_cache() -> None:
    # Django writes last_login on every sign-in; only a username is shown in a page.
    user = UserFactory()
    before = generation()
    update_last_login(None, user)
    user.first_name = "Wang"
    user.save(update_fields=["first_name"])
    assert generation() == before
    user.username = "renamed"
    user.save(update_fields=["username"])
    assert generation() == before + 1


@pytest.mark.django_db
def test_what_the_page_says_besides_the_data_has_its_own_entry(county, settings) -> None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.org"]
    ProjectFactory.create_batch(2, region=county)
    url = f"{LIST}?page_size=1"
    plain = page(url)
    assert plain["next"].startswith("http://testserver/")
    # The host and scheme are in the links.
    assert page(url, HTTP_HOST="api.example.org")["next"].startswith("http://api.example.org/")
    assert page(url, secure=True)["next"].startswith("https://testserver/")
    # So is the path the app is mounted at, behind a proxy that serves it under a prefix.
    assert page(url, SCRIPT_NAME="/tracker")["next"].startswith("http://testserver/tracker/api/v1/projects/")
    # Every parameter is carried into the links, even one the API does not know.
    assert "utm=1" in page(f"{url}&utm=1")["next"]
    # The time zone the timestamps are written in.
    created = plain["results"][0]["created_at"]
    settings.TIME_ZONE = "UTC"
    in_utc = page(url)["results"][0]["created_at"]
    assert in_utc != created
    assert in_utc.endswith("Z")
    # The count cap, a setting.
    settings.API_COUNT_CAP = 1
    capped = page(url)
    assert (capped["count"], capped["count_exceeds"]) == (None, 1)
    settings.API_COUNT_CAP = 1000
    assert page(url)["count"] == 2
    # And the plain request still gets its own answer.
    settings.TIME_ZONE = "Asia/Shanghai"
    assert page(url) == plain


@pytest.mark.django_db
def test_an_error_is_never_stored(county) -> None:
    ProjectFactory(region=county)
    before = cached_rows()
    for url, status in [(f"{LIST}?page=9", 404), (f"{LIST}?page=x", 400), (f"{LIST}?region=339999", 400)]:
        assert client_for().get(url).status_code == status, url
        assert client_for().get(url).status_code == status, url
    assert cached_rows() == before


@pytest.mark.django_db
def test_a_large_page_is_computed_every_time(county, monkeypatch) -> None:
    ProjectFactory.create_batch(3, region=county)
    monkeypatch.setattr(summary_cache, "MAX_PAYLOAD_BYTES", 1000)
    sent(f"{LIST}?page_size=1")
    assert len(sent(f"{LIST}?page_size=1")[0]) == 1  # stored: one row is under the limit
    large, body = sent(f"{LIST}?page_size=3")
    assert len(body) > 1000
    again, same = sent(f"{LIST}?page_size=3")
    assert len(again) == len(large) > 1
    assert same == body


@committed
def test_walking_through_pages_does_not_push_out_the_summaries(county, monkeypatch) -> None:
    monkeypatch.setattr(summary_cache, "MAX_ROWS", 2)
    ProjectFactory.create_batch(6, region=county)
    summary = "/api/v1/projects/summary/?group_by=status"
    page(summary)
    for number in range(1, 7):
        page(f"{LIST}?page_size=1&page={number}")
    assert cached_rows("page:") <= 3  # the one just stored, and the newest two before it
    hit, _ = sent(summary)
    assert len(hit) == 1, hit


@pytest.mark.django_db
def test_the_page_cache_can_be_turned_off(county, settings) -> None:
    ProjectFactory(region=county)
    settings.API_PAGE_CACHE = False
    first, body = sent(LIST)
    again, same = sent(LIST)
    assert len(first) == len(again) == 1
    assert "core_datageneration" not in first[0]
    assert same == body


@pytest.mark.django_db
def test_a_csv_export_is_not_cached(county) -> None:
    ProjectFactory(region=county, planned_investment=Decimal("1.00"))
    before = cached_rows()
    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            response = client_for().get(f"{LIST}?format=csv")
            b"".join(response.streaming_content)
        assert not any("core_datageneration" in q["sql"] for q in queries.captured_queries)
    assert cached_rows() == before
