"""The benchmark's data: deterministic, shaped and skewed as specified, and rows as the app has them.

The tiny tier (1,000 projects) is loaded once into the test database for the module, committed (the
loader bypasses Django), and emptied again afterwards, sequences included.
"""

from __future__ import annotations

import psycopg
import pytest
from django.test import override_settings

from bench import floor
from bench.compare import compare, pick_endpoints
from bench.generate import SEARCH_TERM, TIERS, checksum, load
from companies.models import Company
from core.search import SearchText
from projects.models import Project, SearchDocument
from regions.models import Region

NAIVE_REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination", "PAGE_SIZE": 50}


def scalar(conn: psycopg.Connection, sql: str):
    return conn.execute(sql).fetchone()[0]


def test_a_second_load_gives_the_same_rows(tiny: psycopg.Connection) -> None:
    first = checksum(tiny)
    load(tiny, TIERS["tiny"], analyze=False, log=lambda message: None)
    assert checksum(tiny) == first


def test_region_tree_has_four_levels_and_the_paths_the_trigger_writes(tiny: psycopg.Connection) -> None:
    assert scalar(tiny, "SELECT max(nlevel(path)) FROM regions_region") == 4
    assert scalar(tiny, "SELECT count(*) FROM regions_region WHERE parent_id IS NULL AND level <> 'province'") == 0
    wrong_paths = """
        SELECT count(*) FROM regions_region r LEFT JOIN regions_region p ON p.id = r.parent_id
        WHERE r.path <> coalesce(p.path || r.id::text, r.id::text::ltree)
    """
    assert scalar(tiny, wrong_paths) == 0
    levels = dict(tiny.execute("SELECT nlevel(path), count(*) FROM regions_region GROUP BY 1").fetchall())
    assert levels[1] < levels[2] < levels[3]


def test_full_tiers_have_about_3000_regions() -> None:
    import random

    from bench.generate import build_regions

    for name in ("S", "M", "L"):
        regions = build_regions(TIERS[name], random.Random(0))
        assert 2_500 <= len(regions) <= 3_500
    assert 20_000 <= TIERS["S"].companies <= TIERS["L"].companies <= 50_000


def test_projects_are_skewed_over_regions_industries_and_stages(tiny: psycopg.Connection) -> None:
    by_region = [n for (n,) in tiny.execute("SELECT count(*) FROM projects_project GROUP BY region_id ORDER BY 1 DESC")]
    placeable = scalar(tiny, "SELECT count(*) FROM regions_region WHERE level <> 'province'")
    top = max(1, placeable // 10)
    assert sum(by_region[:top]) > 0.35 * sum(by_region)  # a tenth of the regions hold over a third
    by_industry = [
        n
        for (n,) in tiny.execute(
            "SELECT count(*) FROM projects_project_industries GROUP BY industry_id ORDER BY 1 DESC"
        )
    ]
    assert sum(by_industry[: max(1, len(by_industry) // 10)]) > 0.25 * sum(by_industry)
    stages = dict(tiny.execute("SELECT stage, count(*) FROM projects_project GROUP BY stage").fetchall())
    assert stages["conceived"] > stages["signed"] > stages["at_capacity"] > 0


@pytest.mark.django_db
def test_rows_are_as_the_app_has_them(tiny: psycopg.Connection) -> None:
    # Each model's own rules (codes under their parent's, stage against milestones, ...) accept them.
    for region in Region.objects.select_related("parent__parent__parent"):
        region.full_clean()
    for project in Project.objects.order_by("id")[:20]:
        project.full_clean()
    for company in Company.objects.order_by("id")[:20]:
        company.full_clean()
    # The search expression the index holds finds exactly the projects named with the term.
    found = Project.objects.alias(text=SearchText()).filter(text__contains=SEARCH_TERM).count()
    assert found == Project.objects.filter(name__icontains=SEARCH_TERM).count() > 0
    assert set(Project.objects.values_list("version", flat=True)) == {1}


@pytest.mark.django_db
def test_the_api_lists_and_shows_the_generated_rows(tiny: psycopg.Connection, api_client) -> None:
    # A project is found by its participants' names too (projects.SearchDocument): companies are named with
    # the industry words, the search term among them.
    listed = api_client.get("/api/v1/projects/", {"search": SEARCH_TERM}).json()
    named = Project.objects.filter(name__icontains=SEARCH_TERM).count()
    assert listed["count"] == SearchDocument.objects.filter(document__contains=SEARCH_TERM).count() >= named > 0
    project = Project.objects.order_by("id").first()
    response = api_client.get(f"/api/v1/projects/{project.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert api_client.get(f"/api/v1/projects/{project.pk}/", HTTP_IF_NONE_MATCH='"1"').status_code == 304


def _floor_get(path: str) -> dict:
    route, _, query = path.partition("?")
    seen: dict = {}
    environ = {"PATH_INFO": route, "QUERY_STRING": query, "HTTP_HOST": "testserver", "REQUEST_METHOD": "GET"}
    body = b"".join(floor.application(environ, lambda status, headers: seen.update(status=status)))
    assert seen["status"].startswith("200"), (path, seen, body[:200])
    import orjson

    return orjson.loads(body)


@pytest.mark.django_db
def test_floor_naive_and_ours_agree(tiny: psycopg.Connection, api_client, monkeypatch) -> None:
    monkeypatch.setattr(floor, "_connection", tiny)
    endpoints = [e for e in pick_endpoints(tiny) if e.kind != "not_modified"]
    for endpoint in endpoints:
        bodies = {"F": _floor_get(endpoint.path), "O": api_client.get(endpoint.path).json()}
        with override_settings(ROOT_URLCONF="bench.naive.urls", REST_FRAMEWORK=NAIVE_REST_FRAMEWORK):
            bodies["N"] = api_client.get(endpoint.path).json()
        problems, fields = compare(endpoint, bodies)
        assert not problems, (endpoint.name, problems)
        assert {"id", "name"} <= set(fields) or {"key", "project_count"} <= set(fields), endpoint.name
