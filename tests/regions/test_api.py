"""Regions over the API: the CRUD contract, codes that must fit their parent, and the tree around a region."""

from __future__ import annotations

import pytest

from regions.models import Region
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import CityFactory, CountyFactory, ProjectFactory, ProvinceFactory, ZoneFactory


class TestRegionAPI(CRUDContract):
    basename = "region"
    factory = CountyFactory
    key_field = "code"
    update_data = {"name": "Renamed County", "aliases": ["Renamed"]}
    invalid_data = {"level": "galaxy"}
    invalid_field = "level"

    def create_data(self):
        city = CityFactory()
        return {"code": f"{city.code[:4]}99", "name": "New County", "level": "county", "parent": city.code}


@pytest.fixture
def lishui():
    return CityFactory(code="331100", name="Lishui City", parent=ProvinceFactory(code="330000"))


@pytest.fixture
def editor():
    return client_for(staff_user(Region, "add", "delete"))


@pytest.mark.django_db
def test_a_county_whose_code_does_not_start_with_its_city_is_refused(editor, lishui):
    payload = {"code": "332201", "name": "Stray County", "level": "county", "parent": "331100"}
    response = editor.post("/api/v1/regions/", payload, format="json")
    assert response.status_code == 400
    assert "3311" in error_of(response)["fields"]["code"][0]["message"]
    assert not Region.objects.filter(code="332201").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("parent", ["339900", "3311\x0000"])
def test_a_parent_given_as_an_unknown_code_is_refused_on_the_parent_field(editor, lishui, parent):
    payload = {"code": "331199", "name": "Orphan County", "level": "county", "parent": parent}
    response = editor.post("/api/v1/regions/", payload, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"]["parent"][0]["code"] == "does_not_exist"


@pytest.mark.django_db
def test_a_region_that_still_has_projects_cannot_be_deleted(editor):
    project = ProjectFactory()
    response = editor.delete(f"/api/v1/regions/{project.region.code}/", headers={"if-match": "*"})
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"
    assert "investment projects" in error_of(response)["message"]
    assert Region.objects.filter(pk=project.region.pk).exists()


@pytest.mark.django_db
def test_a_region_detail_lists_its_ancestors_root_first_and_its_children(lishui):
    county = CountyFactory(parent=lishui, code="331181")
    zone = ZoneFactory(parent=county)
    body = client_for().get("/api/v1/regions/331181/").json()
    assert [region["code"] for region in body["ancestors"]] == ["330000", "331100"]
    assert [region["code"] for region in body["children"]] == [zone.code]
    assert body["parent"]["code"] == "331100"
