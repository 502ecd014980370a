"""A list answers what was asked or says why not: a parameter it does not read is a 400 naming it and the
parameters it does read, never a silently ignored filter that hands back every record (issue 10, item 2)."""

from __future__ import annotations

import pytest

from tests.contract import client_for, error_of
from tests.factories import ProjectFactory, RegionFactory

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


def test_a_misspelt_filter_is_refused_naming_it_and_the_filters_the_list_reads():
    county = RegionFactory()
    ProjectFactory(region=county)
    ProjectFactory()

    response = client_for().get(PROJECTS, {"regoin": county.code})

    assert response.status_code == 400
    (problem,) = error_of(response)["fields"]["regoin"]
    assert "region" in problem["message"]
    assert "stage" in problem["message"]


def test_search_on_a_list_without_search_is_refused():
    project = ProjectFactory()

    response = client_for().get(f"{PROJECTS}{project.slug}/milestones/", {"search": "plant"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["search"]


def test_every_parameter_a_list_reads_is_still_read():
    county = RegionFactory()
    ProjectFactory(region=county, stage="signed")
    params = {"region": county.code, "stage": "signed", "ordering": "-name", "page": "1", "page_size": "10"}

    response = client_for().get(PROJECTS, params)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert client_for().get(PROJECTS, {"format": "csv", "region": county.code}).status_code == 200


def test_a_summary_refuses_an_unknown_parameter_too():
    response = client_for().get(f"{PROJECTS}summary/", {"group_by": "status", "stagee": "signed"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["stagee"]


def test_the_refusal_speaks_chinese_to_a_chinese_client():
    response = client_for().get(PROJECTS, {"regoin": "331181"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    (problem,) = error_of(response)["fields"]["regoin"]
    assert "参数" in problem["message"]
    assert "region" in problem["message"]
