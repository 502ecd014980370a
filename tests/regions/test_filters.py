"""Filtering the region list (issue 4, point 4): level, parent, within (the subtree) and search."""

from __future__ import annotations

import pytest

from regions.filters import RegionFilterSet
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import ZoneFactory

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]

LISHUI_COUNTIES = {"331121", "331122", "331123", "331124", "331125", "331126", "331127"}
LISHUI_CHILDREN = {"331102", "331181", "331100-HTZ", *LISHUI_COUNTIES}
DOCUMENTED_FILTERS = ["level", "parent", "within", "search"]


def codes(query: str) -> set[str]:
    response = client_for().get(f"/api/v1/regions/?page_size=500&{query}")
    assert response.status_code == 200, response.json()
    found = [row["code"] for row in response.json()["results"]]
    assert len(found) == len(set(found)), f"a region came twice: {found}"
    return set(found)


def refused(query: str) -> dict:
    response = client_for().get(f"/api/v1/regions/?{query}")
    assert response.status_code == 400, response.content
    return error_of(response)["fields"]


def test_level_takes_one_or_several_levels() -> None:
    assert codes("level=county") == LISHUI_COUNTIES
    assert codes("level=county&level=county_city&level=district") == LISHUI_COUNTIES | {"331181", "331102"}
    assert codes("level=block") == {"331102-BQ"}


def test_an_unknown_level_is_refused_naming_level() -> None:
    assert "level" in refused("level=township")


def test_parent_gives_the_direct_children_only() -> None:
    assert codes("parent=331100") == LISHUI_CHILDREN  # not the Baiqiao block, a grandchild
    assert codes("parent=331102") == {"331102-BQ"}
    assert codes("parent=331181") == set()


def test_an_unknown_parent_is_refused_naming_parent() -> None:
    assert refused("parent=339999")["parent"][0]["code"] == "invalid_choice"


def test_within_gives_the_region_and_everything_below_it() -> None:
    assert codes("within=331100") == {"331100", "331102-BQ", *LISHUI_CHILDREN}
    assert codes("within=331102") == {"331102", "331102-BQ"}
    assert codes("within=331181") == {"331181"}


def test_within_follows_regions_added_deeper_down() -> None:
    block = ZoneFactory(parent=Region.objects.get(code="331100-HTZ"), block=True)
    assert block.code in codes("within=331100")
    assert codes("within=331100-HTZ") == {"331100-HTZ", block.code}


def test_an_unknown_within_code_is_refused_naming_within() -> None:
    assert "within" in refused("within=339999")


def test_search_matches_names_aliases_and_codes_from_their_start() -> None:
    assert codes("search=龙泉") == {"331181"}
    assert codes("search=Liantou") == {"331102"}  # the article's spelling, an alias
    assert codes("search=3311") >= {"331100", "331181", "331102-BQ"}
    assert "331181" not in codes("search=1181")  # codes match from their start only


def test_filters_combine_with_and() -> None:
    assert codes("within=331100&level=county&search=yun") == {"331122", "331125"}  # Jinyun, Yunhe
    assert codes("parent=331100&level=development_zone") == {"331100-HTZ"}


def test_every_invalid_parameter_of_one_request_is_named() -> None:
    assert set(refused("level=hamlet&parent=0&within=0&search=" + "x" * 101)) == set(DOCUMENTED_FILTERS)


def test_the_filterset_declares_exactly_the_documented_parameters() -> None:
    assert sorted(RegionFilterSet.base_filters) == sorted(DOCUMENTED_FILTERS)


def test_every_filter_is_in_the_openapi_document_with_a_description_and_a_type() -> None:
    document = client_for().get("/api/schema/?format=json").json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/regions/"]["get"]["parameters"]}
    for name in DOCUMENTED_FILTERS:
        assert name in parameters, f"{name} is not documented"
        assert parameters[name].get("description", "").strip(), f"{name} has no description"
        assert parameters[name]["schema"].get("type"), f"{name} has no type"
    assert parameters["parent"]["schema"]["type"] == parameters["within"]["schema"]["type"] == "string"
