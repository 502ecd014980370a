"""No lost updates by default (issue 20, item 8): `PUT`, `PATCH` and `DELETE` without `If-Match` get 428.

Without the requirement, twenty clients that each read a project's industries and write them back with
one more lost all but one of their appends: each wrote the list it had read. With it, a client must send
the ETag it read; one whose ETag went stale meanwhile gets 412, reads again and retries, and every append
survives. `If-Match: *` (RFC 9110: any current version) is a client's explicit choice to overwrite, and
`API_REQUIRE_IF_MATCH = False` turns the requirement off (docs/operations/api-safety.md).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import override_settings

from accounts.roles import GROUP_NAMES, Role
from projects.models import Project
from tests.contract import client_for, error_of
from tests.factories import IndustryFactory, MilestoneFactory, ProjectFactory, StaffUserFactory

WRITERS = 20
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def bureau_admin():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    return user


def row(record) -> dict[str, Any] | None:
    return type(record).objects.filter(pk=record.pk).values().first()


WRITES = {
    "PATCH": lambda client, url, headers: client.patch(url, {"name": "Renamed"}, format="json", headers=headers),
    "PUT": lambda client, url, headers: client.put(url, {"name": "Renamed"}, format="json", headers=headers),
    "DELETE": lambda client, url, headers: client.delete(url, headers=headers),
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_without_if_match_is_a_json_428_that_says_where_the_etag_comes_from(write):
    project = ProjectFactory()
    before = row(project)
    response = write(client_for(bureau_admin()), f"/api/v1/projects/{project.slug}/", {})
    assert response.status_code == 428
    error = error_of(response)
    assert error["code"] == "precondition_required"
    assert "If-Match" in error["message"]
    assert "ETag" in error["message"]
    assert "GET" in error["message"]
    assert row(project) == before


@pytest.mark.django_db
def test_the_428_message_is_translated():
    project = ProjectFactory()
    response = client_for(bureau_admin()).patch(f"/api/v1/projects/{project.pk}/", {}, format="json", **ZH)
    assert response.status_code == 428
    assert "请在 If-Match 请求头中提供该记录的 ETag" in error_of(response)["message"]


@pytest.mark.django_db
def test_a_sub_resource_write_without_if_match_is_a_428_too():
    milestone = MilestoneFactory(is_planned=True)
    url = f"/api/v1/projects/{milestone.project_id}/milestones/{milestone.pk}/"
    response = client_for(bureau_admin()).delete(url)
    assert response.status_code == 428
    assert row(milestone) is not None


@pytest.mark.django_db
def test_who_may_not_write_is_told_so_before_being_asked_for_an_etag():
    """401 for no credentials, 403 without the right, 404 for no record: each says more than a 428."""
    project = ProjectFactory()
    url = f"/api/v1/projects/{project.pk}/"
    viewer = client_for(StaffUserFactory())
    admin = client_for(bureau_admin())
    statuses = [
        client_for().patch(url, {}, format="json").status_code,
        viewer.patch(url, {}, format="json").status_code,
        admin.patch("/api/v1/projects/no-such-project/", {}, format="json").status_code,
    ]
    assert statuses == [401, 403, 404]


@pytest.mark.django_db
def test_a_create_needs_no_if_match():
    response = client_for(bureau_admin()).post(
        "/api/v1/companies/", {"name": "Lishui Example Co.", "slug": "lishui-example", "kind": "enterprise"}
    )
    assert response.status_code == 201, response.json()


@pytest.mark.django_db
def test_if_match_star_overwrites_whatever_version_the_record_has():
    project = ProjectFactory(name="Old")
    Project.objects.filter(pk=project.pk).update(description="A colleague's edit.")  # version 2
    client, url = client_for(bureau_admin()), f"/api/v1/projects/{project.pk}/"
    response = client.patch(url, {"name": "New"}, format="json", headers={"if-match": "*"})
    assert response.status_code == 200
    assert (row(project)["name"], row(project)["version"]) == ("New", 3)
    assert client.delete(url, headers={"if-match": "*"}).status_code == 204
    assert row(project) is None


@pytest.mark.django_db
@override_settings(API_REQUIRE_IF_MATCH=False)
def test_with_the_requirement_off_a_write_without_if_match_is_accepted():
    project = ProjectFactory(name="Old")
    response = client_for(bureau_admin()).patch(f"/api/v1/projects/{project.pk}/", {"name": "New"}, format="json")
    assert response.status_code == 200
    assert row(project)["name"] == "New"


#
# Twenty clients append an industry each to the same project at the same moment
#


def _append_concurrently(project: Project, codes: list[str], *, if_match: bool) -> list[int]:
    """Each of len(codes) threads reads the project's industries, waits until all have read, then writes
    them back with its own code added; with `if_match`, it sends the ETag it read and, on 412, reads
    again and retries. The statuses of every write, in the order they came."""
    url = f"/api/v1/projects/{project.pk}/"
    admin = bureau_admin()
    clients = [client_for(admin) for _ in codes]  # a client is not shared between threads
    barrier = threading.Barrier(len(codes), timeout=30)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def append(client, code: str) -> None:
        try:
            first = True
            while True:
                read = client.get(url)
                assert read.status_code == 200
                if first:
                    barrier.wait()  # everyone holds the same version before anyone writes
                    first = False
                headers = {"if-match": read["ETag"]} if if_match else {}
                body = {"industries": [*read.json()["industries"], code]}
                response = client.patch(url, body, format="json", headers=headers)
                statuses.append(response.status_code)
                if response.status_code != 412:
                    return
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=append, args=(client, code)) for client, code in zip(clients, codes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return statuses


def industries_of(project: Project) -> set[str]:
    return set(Project.objects.get(pk=project.pk).industries.values_list("code", flat=True))


@pytest.fixture
def appends():
    project = ProjectFactory()
    codes = [IndustryFactory().code for _ in range(WRITERS)]
    return project, codes


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_appends_with_if_match_and_a_retry_on_412_all_survive(appends):
    project, codes = appends
    statuses = _append_concurrently(project, codes, if_match=True)
    assert statuses.count(200) == WRITERS
    assert set(statuses) == {200, 412}  # they did collide, and were told
    assert industries_of(project) == set(codes)
    assert row(project)["version"] == 1 + WRITERS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_appends_without_if_match_are_refused_and_change_nothing(appends):
    project, codes = appends
    statuses = _append_concurrently(project, codes, if_match=False)
    assert statuses == [428] * WRITERS
    assert industries_of(project) == set()
    assert row(project)["version"] == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@override_settings(API_REQUIRE_IF_MATCH=False)
def test_with_the_requirement_off_twenty_concurrent_appends_lose_all_but_one(appends):
    """What the requirement prevents: every write succeeds, and each overwrites the others'."""
    project, codes = appends
    statuses = _append_concurrently(project, codes, if_match=False)
    assert statuses == [200] * WRITERS
    assert len(industries_of(project)) == 1


#
# The OpenAPI document says so
#


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker) -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name), None)


def test_every_change_and_delete_of_a_record_declares_a_required_if_match_412_and_428(document):
    writes = [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.endswith("{key}/")
        for method, operation in item.items()
        if method in ("put", "patch", "delete")
    ]
    assert len(writes) >= 30
    for method, path, operation in writes:
        if_match = header(operation, "If-Match")
        assert if_match is not None, (method, path)
        assert if_match["required"] is True, (method, path)
        assert {"412", "428"} <= set(operation["responses"]), (method, path)
        if method != "delete":
            assert "ETag" in operation["responses"]["200"]["headers"], (method, path)


def test_every_read_of_a_record_declares_if_none_match_its_etag_and_304(document):
    reads = [item["get"] for path, item in document["paths"].items() if path.endswith("{key}/") and "get" in item]
    assert len(reads) >= 10
    for operation in reads:
        assert header(operation, "If-None-Match") is not None, operation["operationId"]
        assert "ETag" in operation["responses"]["200"]["headers"], operation["operationId"]
        assert "ETag" in operation["responses"]["304"]["headers"], operation["operationId"]
        assert "content" not in operation["responses"]["304"], operation["operationId"]


def test_a_create_declares_the_etag_of_the_new_record(document):
    assert "ETag" in document["paths"]["/api/v1/projects/"]["post"]["responses"]["201"]["headers"]
