"""Transactions of API requests: a write runs in one transaction that a failure undoes; a read runs in none.

These tests commit for real (`transaction=True`), so the BEGIN and COMMIT a request sends are its own,
not savepoints inside a test's transaction.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.exceptions import ValidationError

from api.viewsets import TrackerViewSet
from projects.models import Project
from tests.contract import client_for, staff_user
from tests.factories import CityFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)

ANY_VERSION = {"if-match": "*"}  # these tests are about transactions, not versions
WRITE = re.compile(r"\b(INSERT INTO|UPDATE|DELETE FROM) ")


def sql_of(send) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = send()
    return response, [query["sql"] for query in queries.captured_queries]


def test_a_read_sends_its_one_statement_without_begin_or_commit():
    project = ProjectFactory()
    city = CityFactory()
    client = client_for()
    etag = client.get(f"/api/v1/projects/{project.pk}/")["ETag"]
    reads = {
        "list": lambda: client.get("/api/v1/projects/"),
        "filtered list": lambda: client.get("/api/v1/projects/", {"stage": project.stage}),
        "detail": lambda: client.get(f"/api/v1/projects/{project.slug}/"),
        "304": lambda: client.get(f"/api/v1/projects/{project.pk}/", headers={"if-none-match": etag}),
        "region": lambda: client.get(f"/api/v1/regions/{city.code}/"),
        "HEAD": lambda: client.head(f"/api/v1/projects/{project.pk}/"),
    }
    for name, send in reads.items():
        send()  # a list page's first request fills the answer cache (the next test)
        response, sql = sql_of(send)
        assert response.status_code in {200, 304}, name
        assert len(sql) == 1, (name, sql)
        assert sql[0].startswith("SELECT"), (name, sql)


def test_a_filtered_list_page_is_one_statement_without_a_transaction():
    ProjectFactory()
    response, sql = sql_of(lambda: client_for().get("/api/v1/projects/", {"stage": "landed"}))
    assert response.status_code == 200
    [page] = sql
    assert page.startswith("SELECT"), sql
    assert '"projects_project"' in page, sql


def assert_one_transaction_around_the_writes(sql: list[str]) -> None:
    """One BEGIN, the request's last statement a COMMIT, every write between them. (The session is read
    before the view, by the middleware that records who made a change.)"""
    assert (sql.count("BEGIN"), sql.count("COMMIT"), sql[-1]) == (1, 1, "COMMIT"), sql
    # pghistory puts its context's set_config in front of a write, in the same statement.
    writes = [i for i, statement in enumerate(sql) if WRITE.search(statement)]
    assert writes, sql
    assert min(writes) > sql.index("BEGIN"), sql


def test_every_write_runs_in_one_transaction_from_begin_to_commit():
    client = client_for(staff_user(Project, "add", "change", "delete"))
    city = CityFactory()
    body = {"name": "A new plant", "slug": "a-new-plant", "region": city.code}

    created, sql = sql_of(lambda: client.post("/api/v1/projects/", body, format="json"))
    assert created.status_code == 201, created.content
    assert_one_transaction_around_the_writes(sql)

    url = f"/api/v1/projects/{created.json()['id']}/"
    for send in (
        lambda: client.patch(url, {"name": "Renamed"}, format="json", headers=ANY_VERSION),
        lambda: client.put(url, {**body, "name": "Renamed again"}, format="json", headers=ANY_VERSION),
        lambda: client.delete(url, headers=ANY_VERSION),
    ):
        response, sql = sql_of(send)
        assert response.status_code in {200, 204}, response.content
        assert_one_transaction_around_the_writes(sql)


def test_a_write_that_fails_after_saving_leaves_nothing_behind(monkeypatch):
    """The project is inserted before the failure: the transaction takes it back, for a crash (500) as
    for an error DRF answers (400)."""
    client = client_for(staff_user(Project, "add", "change"))
    client.raise_request_exception = False
    city = CityFactory()
    body = {"name": "Half-written plant", "slug": "half-written-plant", "region": city.code}

    def crash(self, serializer):
        raise RuntimeError("after the INSERT")

    monkeypatch.setattr(TrackerViewSet, "_reload", crash)
    assert client.post("/api/v1/projects/", body, format="json").status_code == 500
    assert not Project.objects.filter(name="Half-written plant").exists()

    def refuse(self, serializer):
        raise ValidationError({"name": "refused after the INSERT"})

    monkeypatch.setattr(TrackerViewSet, "_reload", refuse)
    assert client.post("/api/v1/projects/", body, format="json").status_code == 400
    assert not Project.objects.filter(name="Half-written plant").exists()

    project = ProjectFactory(name="Kept as it was")
    response = client.patch(f"/api/v1/projects/{project.pk}/", {"name": "Lost"}, format="json", headers=ANY_VERSION)
    assert response.status_code == 400
    assert Project.objects.get(pk=project.pk).name == "Kept as it was"
