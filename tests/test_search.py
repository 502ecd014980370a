"""Free-text `?search=` (issue 4, point 5): names and aliases in English and Chinese, any case, through an index.

What a project is found by beyond its own names: tests/projects/test_search_document.py."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from companies.filters import CompanyFilterSet
from companies.models import Company
from core.search import MAX_SEARCH_LENGTH
from projects.filters import ProjectFilterSet
from projects.models import Project
from regions.filters import RegionFilterSet
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import ProjectFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

SEARCHABLE = ["projects", "companies", "regions", "industries"]
KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"


def found(collection: str, term: str) -> set[str]:
    """The keys (slug or code) of what `?search=term` finds in a collection."""
    response = client_for().get(f"/api/v1/{collection}/", {"search": term, "page_size": 500})
    assert response.status_code == 200, response.json()
    return {row.get("slug") or row["code"] for row in response.json()["results"]}


# --- what search matches --------------------------------------------------------------------------------------------


def test_kolen_the_articles_spelling_finds_the_kelun_project_and_company() -> None:
    assert found("projects", "Kolen") == {KELUN_PROJECT}
    assert found("companies", "Kolen") == {"sichuan-kelun-pharmaceutical"}


def test_a_chinese_name_finds_the_region() -> None:
    assert found("regions", "龙泉") == {"331181"}
    assert found("regions", "莲都") == {"331102"}
    assert found("industries", "元宇宙") == {"CHAIN-METAVERSE"}


def test_liantou_the_articles_spelling_finds_liandu() -> None:
    assert found("regions", "Liantou") == {"331102"}


def test_an_english_name_finds_the_record() -> None:
    assert found("regions", "Longquan") == {"331181"}
    assert KELUN_PROJECT in found("projects", "health food")


@pytest.mark.parametrize("term", ["kolen", "KOLEN", "kOlEn", "  Kolen  "])
def test_search_ignores_case_and_surrounding_spaces(term) -> None:
    assert found("projects", term) == {KELUN_PROJECT}


@pytest.mark.parametrize("term", ["LIANTOU", "liantou district"])
def test_search_ignores_case_in_aliases_too(term) -> None:
    assert found("regions", term) == {"331102"}


def test_search_matches_part_of_a_word() -> None:
    assert found("regions", "ngqua") == {"331181"}


def test_a_project_is_found_by_its_chinese_name_and_its_aliases() -> None:
    project = ProjectFactory(name="Green valley logistics park", name_zh="绿谷物流园", aliases=["Lvgu Park"])
    ProjectFactory(name="Something else")
    assert found("projects", "绿谷") == {project.slug}
    assert found("projects", "lvgu") == {project.slug}
    assert found("projects", "valley logistics") == {project.slug}


@pytest.mark.parametrize("term", ["%", "_", "%%", "a%b", "\\"])
def test_like_wildcards_in_a_term_are_plain_characters(term) -> None:
    ProjectFactory(name="Ordinary project")
    ProjectFactory(name="A project at 100% capacity")
    assert found("projects", term) <= {p.slug for p in Project.objects.filter(name__icontains=term)}
    assert len(found("projects", "%")) == 1


def test_an_empty_or_blank_term_filters_nothing() -> None:
    ProjectFactory.create_batch(2)
    assert len(found("projects", "")) == len(found("projects", "   ")) == Project.objects.count()


def test_search_combines_with_the_other_filters() -> None:
    assert found("projects", "Baiqiao") == {
        "baiqiao-beautiful-healthy-projects",
        "baiqiao-beautiful-healthy-project-1",
        "baiqiao-beautiful-healthy-project-2",
    }
    response = client_for().get("/api/v1/projects/", {"search": "Baiqiao", "kind": "programme"})
    assert [row["slug"] for row in response.json()["results"]] == ["baiqiao-beautiful-healthy-projects"]


# --- what search refuses --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("collection", SEARCHABLE)
def test_a_term_longer_than_100_characters_is_refused_naming_search(collection) -> None:
    response = client_for().get(f"/api/v1/{collection}/", {"search": "k" * (MAX_SEARCH_LENGTH + 1)})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["search"]


@pytest.mark.parametrize("collection", SEARCHABLE)
def test_a_term_of_exactly_100_characters_is_accepted(collection) -> None:
    response = client_for().get(f"/api/v1/{collection}/", {"search": "k" * MAX_SEARCH_LENGTH})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_the_search_parameter_is_documented_on_every_searchable_list() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    for collection in SEARCHABLE:
        parameters = {p["name"]: p for p in document["paths"][f"/api/v1/{collection}/"]["get"]["parameters"]}
        assert parameters["search"]["schema"]["type"] == "string"
        assert parameters["search"]["description"].strip()


# --- the index ------------------------------------------------------------------------------------------------------


def random_name(rng: random.Random) -> str:
    syllables = ["zhe", "jiang", "li", "shui", "tech", "mat", "pow", "er", "dev", "ice", "bio", "chem", "smart", "grid"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(2, 4))]
    return " ".join(words).capitalize() + f" {rng.randint(1, 10**6)}"


def plan_of(queryset, index: str) -> str:
    """The plan of `queryset` once the tables are as autovacuum leaves them after a bulk load.

    Rows bulk-inserted into a GIN index wait in its pending list, which the planner rightly counts
    as a cost, until (auto)vacuum merges them; `gin_clean_pending_list` does that merge here.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE")
    return queryset.explain()


@pytest.mark.slow
def test_project_company_and_region_search_use_their_indexes() -> None:
    rng = random.Random(20240701)
    longquan = Region.objects.get(code="331181")
    Project.objects.bulk_create(
        (Project(name=random_name(rng), slug=f"bulk-{n}", region=longquan) for n in range(20_000)), batch_size=5_000
    )
    Company.objects.bulk_create(
        (Company(name=random_name(rng), slug=f"bulk-{n}", kind="enterprise") for n in range(5_000)), batch_size=5_000
    )
    Region.objects.bulk_create(
        Region(name=random_name(rng), code=f"331181-Z{n}", level="development_zone", parent=longquan)
        for n in range(3_000)
    )

    # Projects through their search document's trigrams for a Latin word, through its grams for two-character
    # Chinese words (which a trigram index cannot find); the others through their names' trigrams.
    for filterset, model, index, term in [
        (ProjectFilterSet, Project, "project_search_trgm_idx", "Kolen"),
        (ProjectFilterSet, Project, "project_search_grams_idx", "科伦"),
        (CompanyFilterSet, Company, "company_search_trgm", "Kolen"),
        (RegionFilterSet, Region, "region_search_trgm", "Kolen"),
    ]:
        plan = plan_of(filterset({"search": term}, queryset=model.objects.all()).qs, index)
        assert f"Bitmap Index Scan on {index}" in plan, plan
        assert "Seq Scan" not in plan, plan

    # The index answers the same as a scan would: the article's Kelun, among 20,000 other projects in Longquan.
    for term in ["kolen", "科伦"]:
        slugs = ProjectFilterSet({"search": term}, queryset=Project.objects.all()).qs.values_list("slug", flat=True)
        assert list(slugs) == [KELUN_PROJECT]
