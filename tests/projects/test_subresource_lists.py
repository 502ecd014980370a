"""A project's records under `/projects/{project}/...` are listed in one query (issue 7): the project is
named inside the row query, and only an empty page asks whether the project exists at all."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.contract import statements
from tests.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("key", ["slug", "pk"])
def test_a_project_s_milestones_are_listed_in_one_query_by_slug_or_id(api_client, key):
    milestone = MilestoneFactory()
    project = milestone.project
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(f"/api/v1/projects/{getattr(project, key)}/milestones/")
    assert response.status_code == HTTPStatus.OK
    assert [row["id"] for row in response.json()["results"]] == [milestone.pk]
    assert len(statements(queries)) == 1


def test_a_project_without_milestones_lists_none_after_asking_that_it_exists(api_client):
    project = ProjectFactory()
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(f"/api/v1/projects/{project.slug}/milestones/")
    assert response.status_code == HTTPStatus.OK
    assert response.json()["results"] == []
    assert len(statements(queries)) == 2


@pytest.mark.parametrize("key", ["no-such-project", "987654321"])
def test_the_records_of_a_project_that_does_not_exist_are_a_404(api_client, key):
    MilestoneFactory()
    response = api_client.get(f"/api/v1/projects/{key}/milestones/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"]["code"] == "not_found"


def test_another_project_s_milestones_are_not_listed_under_this_one(api_client):
    mine, other = ProjectFactory(), MilestoneFactory()
    response = api_client.get(f"/api/v1/projects/{mine.pk}/milestones/")
    assert response.json()["results"] == []
    assert other.project_id != mine.pk


def test_a_csv_of_a_project_that_does_not_exist_is_a_404_before_any_row(api_client):
    response = api_client.get("/api/v1/projects/no-such-project/milestones/", {"format": "csv"})
    assert response.status_code == HTTPStatus.NOT_FOUND
