"""No lost updates (issue 5, point 3): strong ETags from a version the database raises, 304 on a
matching If-None-Match, 412 on a stale If-Match, and twenty writers who all get counted.

The version lives in a `version` column that a BEFORE UPDATE trigger raises on every UPDATE,
whoever runs it; the ETag of a record is `"<version>"`. Writes through the API lock the row
between the If-Match comparison and the write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import F, Model

from accounts.models import RegionAssignment
from accounts.roles import GROUP_NAMES, Role
from api.viewsets import TrackerViewSet
from companies.models import Company
from core.apps import install_version_triggers
from core.models import TimeStampedModel
from indicators.models import Observation
from projects.models import Milestone, Participant, Project
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import (
    CityFactory,
    CompanyFactory,
    CountyFactory,
    IndicatorFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)


def bureau_admin(**fields):
    """A staff user in the "Bureau administrators" group: may write everything."""
    user = StaffUserFactory(**fields)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    return user


@dataclass(frozen=True)
class Resource:
    """One collection as these tests use it: how to make a record, name it, change it and create one."""

    name: str
    model: type[Model]
    make: Callable[[], Model]
    url: Callable[[Any], str]
    change: dict[str, Any]  # a PATCH that changes something
    create: Callable[[], tuple[str, dict[str, Any]]]  # (list URL, POST body)

    def __str__(self) -> str:
        return self.name


def _new_county() -> tuple[str, dict[str, Any]]:
    city = CityFactory()
    return "/api/v1/regions/", {
        "code": f"{city.code[:4]}99",
        "name": "New County",
        "level": "county",
        "parent": city.code,
    }


RESOURCES = [
    Resource(
        "regions",
        Region,
        CountyFactory,
        lambda region: f"/api/v1/regions/{region.code}/",
        {"name": "Renamed County"},
        _new_county,
    ),
    Resource(
        "companies",
        Company,
        CompanyFactory,
        lambda company: f"/api/v1/companies/{company.pk}/",
        {"name": "Zhejiang Renamed Company"},
        lambda: ("/api/v1/companies/", {"name": "Lishui Example Co.", "slug": "lishui-example", "kind": "enterprise"}),
    ),
    Resource(
        "projects",
        Project,
        ProjectFactory,
        lambda project: f"/api/v1/projects/{project.pk}/",
        {"planned_investment": "2500000000.00"},
        lambda: (
            "/api/v1/projects/",
            {"name": "Health food project", "slug": "health-food", "region": CountyFactory().code},
        ),
    ),
    Resource(
        "project participants",
        Participant,
        ParticipantFactory,
        lambda participant: f"/api/v1/projects/{participant.project_id}/participants/{participant.pk}/",
        {"note": "Signed at the Lishui investment fair."},
        lambda: (
            f"/api/v1/projects/{ProjectFactory().slug}/participants/",
            {"company": CompanyFactory().slug, "role": "investor"},
        ),
    ),
    Resource(
        "project milestones",
        Milestone,
        lambda: MilestoneFactory(is_planned=True),
        lambda milestone: f"/api/v1/projects/{milestone.project_id}/milestones/{milestone.pk}/",
        {"note": "Moved to the autumn fair."},
        lambda: (
            f"/api/v1/projects/{ProjectFactory().pk}/milestones/",
            {"stage": "signed", "date": "2024-07-01", "date_precision": "month", "is_planned": True},
        ),
    ),
    Resource(
        "observations",
        Observation,
        ObservationFactory,
        lambda observation: f"/api/v1/indicators/{observation.pk}/",
        {"value": "7.1000"},
        lambda: (
            "/api/v1/indicators/",
            {"region": CountyFactory().code, "indicator": IndicatorFactory().code, "period": "2024-H1", "value": "6.9"},
        ),
    ),
]
WRITES = ["patch", "put", "delete"]


def row(record: Model) -> dict[str, Any] | None:
    """The record's row as the database has it now, or None once it is gone."""
    return type(record).objects.filter(pk=record.pk).values().first()


def etag(version: int) -> str:
    return f'"{version}"'


def write(client, method: str, url: str, resource: Resource, **headers):
    """Send one PATCH, PUT (the record as read, with the change) or DELETE."""
    if method == "delete":
        return client.delete(url, headers=headers)
    if method == "put":
        body = {**client.get(url).json(), **resource.change}
        return client.put(url, body, format="json", headers=headers)
    return client.patch(url, resource.change, format="json", headers=headers)


@pytest.fixture
def admin_api():
    return client_for(bureau_admin())


#
# The ETag of a single record
#


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_record_read_carries_a_strong_etag_of_its_version(resource):
    record = resource.make()
    type(record).objects.filter(pk=record.pk).update(version=F("version"))  # any UPDATE raises it: now 2
    response = client_for().get(resource.url(record))
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert not response["ETag"].startswith("W/")


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_created_record_answers_201_with_the_etag_a_read_gives(resource, admin_api):
    list_url, body = resource.create()
    response = admin_api.post(list_url, body, format="json")
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    record = resource.model.objects.get(pk=response.json()["id"])
    assert admin_api.get(resource.url(record))["ETag"] == response["ETag"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_an_update_with_the_current_etag_answers_with_the_next_one(resource, method, admin_api):
    record = resource.make()
    url = resource.url(record)
    current = admin_api.get(url)["ETag"]
    response = write(admin_api, method, url, resource, if_match=current)
    assert response.status_code == 200, response.json()
    assert response["ETag"] == etag(record.version + 1) == etag(row(record)["version"])
    assert admin_api.get(url)["ETag"] == response["ETag"]
    assert all(response.json()[name] == value for name, value in resource.change.items())


#
# If-None-Match: a client that has the current version gets 304
#


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
@pytest.mark.parametrize("header", ['"1"', 'W/"1"', '"7", "1"', "*"], ids=["same", "weak", "in a list", "star"])
def test_a_read_with_a_matching_if_none_match_is_304_with_the_etag_and_no_body(resource, header):
    record = resource.make()
    response = client_for().get(resource.url(record), headers={"if-none-match": header})
    assert response.status_code == 304
    assert response["ETag"] == '"1"'
    assert response.content == b""


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_read_with_an_old_etag_in_if_none_match_gets_the_record(resource):
    record = resource.make()
    type(record).objects.filter(pk=record.pk).update(version=F("version"))
    response = client_for().get(resource.url(record), headers={"if-none-match": '"1"'})
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert response.json()["id"] == record.pk


#
# If-Match: a stale version is refused and changes nothing
#


@pytest.mark.django_db
@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_write_with_a_stale_if_match_is_a_json_412_and_leaves_the_row_as_it_was(resource, method, admin_api):
    record = resource.make()
    url = resource.url(record)
    stale = admin_api.get(url)["ETag"]
    type(record).objects.filter(pk=record.pk).update(version=F("version"))  # a colleague's save
    before = row(record)
    response = write(admin_api, method, url, resource, if_match=stale)
    assert response.status_code == 412
    error = error_of(response)
    assert error["code"] == "precondition_failed"
    assert "ETag" in error["message"]
    assert row(record) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header", ['W/"1"', '"01"', "1", '"2"', ""], ids=["weak", "padded", "unquoted", "next", "empty"]
)
def test_if_match_compares_etags_strongly_and_exactly(header, admin_api):
    """RFC 9110: If-Match uses the strong comparison, so a weak tag never matches, nor does
    anything but the exact quoted version."""
    project = ProjectFactory()
    before = row(project)
    response = admin_api.patch(
        f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}, format="json", headers={"if-match": header}
    )
    assert response.status_code == 412
    assert row(project) == before


@pytest.mark.django_db
@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_write_with_the_current_etag_succeeds(resource, method, admin_api):
    record = resource.make()
    url = resource.url(record)
    response = write(admin_api, method, url, resource, if_match=admin_api.get(url)["ETag"])
    assert response.status_code == (204 if method == "delete" else 200)
    if method == "delete":
        assert row(record) is None
    else:
        assert response["ETag"] == etag(record.version + 1)


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["*", '"9", "1"'], ids=["star", "in a list"])
@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_if_match_star_or_a_list_holding_the_current_etag_succeeds(resource, method, header, admin_api):
    record = resource.make()
    response = write(admin_api, method, resource.url(record), resource, if_match=header)
    assert response.status_code == (204 if method == "delete" else 200)
    assert (row(record) is None) if method == "delete" else (row(record)["version"] == 2)


@pytest.mark.django_db
@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_write_without_if_match_is_a_json_428_and_leaves_the_row_as_it_was(resource, method, admin_api):
    """Without If-Match a write could overwrite a change it never saw (issue 20, item 8): it is refused,
    and the message says where the ETag comes from (tests/reliability/test_if_match_required.py)."""
    record = resource.make()
    before = row(record)
    response = write(admin_api, method, resource.url(record), resource)
    assert response.status_code == 428
    assert error_of(response)["code"] == "precondition_required"
    assert "If-Match" in error_of(response)["message"]
    assert row(record) == before


@pytest.mark.django_db
@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("resource", RESOURCES, ids=str)
def test_a_write_without_if_match_is_accepted_where_the_setting_allows_it(resource, method, admin_api, settings):
    """`API_REQUIRE_IF_MATCH = False`: a client that does not do conditional requests keeps working and the
    last write wins. The row lock still serialises writers."""
    settings.API_REQUIRE_IF_MATCH = False
    record = resource.make()
    type(record).objects.filter(pk=record.pk).update(version=F("version"))
    response = write(admin_api, method, resource.url(record), resource)
    assert response.status_code == (204 if method == "delete" else 200)
    if method == "delete":
        assert row(record) is None
    else:
        assert response["ETag"] == '"3"'


#
# The version is the database's: every UPDATE raises it, whoever runs it
#


def _tracked_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TimeStampedModel) and model._meta.managed and not model._meta.proxy
    )


@pytest.mark.django_db
def test_every_table_with_a_version_has_the_trigger_that_raises_it():
    tables = _tracked_tables()
    assert {"regions_region", "companies_company", "projects_project", "indicators_observation"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = c.relname || '_bump_version' AND NOT t.tgisinternal AND t.tgenabled = 'O'"
        )
        with_trigger = {name for (name,) in cursor.fetchall()}
    assert set(tables) <= with_trigger


@pytest.mark.django_db
def test_installing_the_triggers_again_after_a_migrate_changes_nothing():
    install_version_triggers()
    install_version_triggers()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'projects_project_bump_version'")
        assert cursor.fetchone() == (1,)
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(name="Once")
    assert row(project)["version"] == 2


def _save(projects):
    for project in projects:
        project.name += " (saved)"
        project.save()


def _save_update_fields(projects):
    for project in projects:
        project.name += " (saved)"
        project.save(update_fields=["name"])


def _queryset_update(projects):
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(planned_investment=F("planned_investment") + 1)


def _bulk_update(projects):
    for project in projects:
        project.name += " (bulk)"
    Project.objects.bulk_update(projects, ["name"])


def _update_or_create(projects):
    for project in projects:
        Project.objects.update_or_create(pk=project.pk, defaults={"description": "Updated or created."})


def _no_change(projects):
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(name=F("name"))


def _version_by_hand(projects):
    # A client of the ORM cannot set the version back: the trigger takes the old one plus one.
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(version=1)


UPDATES = {
    "save": _save,
    "save with update_fields": _save_update_fields,
    "queryset update with F": _queryset_update,
    "bulk_update": _bulk_update,
    "update_or_create": _update_or_create,
    "an UPDATE that changes no value": _no_change,
    "an UPDATE that sets the version": _version_by_hand,
}


@pytest.mark.django_db
@pytest.mark.parametrize("update", UPDATES.values(), ids=UPDATES.keys())
def test_every_kind_of_update_raises_the_version_by_one_per_row(update):
    projects = ProjectFactory.create_batch(3)
    Project.objects.filter(pk__in=[p.pk for p in projects]).update(version=F("version"))  # all at 2
    update(list(Project.objects.filter(pk__in=[p.pk for p in projects])))
    assert sorted(Project.objects.filter(pk__in=[p.pk for p in projects]).values_list("version", flat=True)) == [
        3,
        3,
        3,
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Region, CountyFactory),
        (Participant, ParticipantFactory),
        (Milestone, MilestoneFactory),
        (Observation, ObservationFactory),
    ],
    ids=["region", "participant", "milestone", "observation"],
)
def test_a_queryset_update_raises_the_version_of_other_tables_too(model, make):
    record = make()
    model.objects.filter(pk=record.pk).update(updated_at=F("updated_at"))
    model.objects.filter(pk=record.pk).update(updated_at=F("updated_at"))
    assert row(record)["version"] == 3


@pytest.mark.django_db
def test_a_change_made_outside_the_api_makes_the_etag_a_client_holds_stale(admin_api):
    project = ProjectFactory()
    url = f"/api/v1/projects/{project.pk}/"
    held = admin_api.get(url)["ETag"]
    Project.objects.filter(pk=project.pk).update(description="Changed by a batch job.")
    response = admin_api.patch(url, {"name": "Renamed"}, format="json", headers={"if-match": held})
    assert response.status_code == 412
    assert row(project)["description"] == "Changed by a batch job."
    assert row(project)["name"] == project.name


#
# Races: a change committed between the read and the lock
#


def _in_another_connection(work: Callable[[], Any]) -> None:
    """Run `work` in its own thread, connection and committed transaction, and wait for it."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


@pytest.fixture
def before_the_lock(monkeypatch):
    """Call `before_the_lock(work)` to have `work` committed by another connection after the API
    has read the record a write targets and before it locks the row: the worst moment."""
    pending: list[Callable[[], Any]] = []

    original = TrackerViewSet._lock

    def meanwhile_then_lock(self, *args, **kwargs):
        while pending:
            _in_another_connection(pending.pop())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TrackerViewSet, "_lock", meanwhile_then_lock)
    return pending.append


@pytest.mark.django_db(transaction=True)
def test_a_stale_if_match_is_caught_even_when_the_change_lands_after_the_read(before_the_lock):
    project = ProjectFactory()
    client = client_for(bureau_admin())
    url = f"/api/v1/projects/{project.pk}/"
    held = client.get(url)["ETag"]
    before_the_lock(lambda: Project.objects.filter(pk=project.pk).update(description="A colleague's edit."))
    response = client.patch(url, {"name": "Renamed"}, format="json", headers={"if-match": held})
    assert response.status_code == 412
    assert (row(project)["name"], row(project)["description"]) == (project.name, "A colleague's edit.")


@pytest.mark.django_db(transaction=True)
def test_a_patch_with_if_match_star_keeps_a_field_a_colleague_changed_after_the_read(before_the_lock):
    """With `If-Match: *` the last write wins, but only for the fields it sends: a PATCH of the name
    must not write back a planned investment read before a colleague's committed change."""
    project = ProjectFactory(planned_investment=Decimal("100.00"))
    client = client_for(bureau_admin())
    before_the_lock(lambda: Project.objects.filter(pk=project.pk).update(planned_investment=Decimal("250.00")))
    response = client.patch(
        f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 200
    assert response.json()["planned_investment"] == "250.00"
    assert (row(project)["name"], row(project)["planned_investment"]) == ("Renamed", Decimal("250.00"))
    assert row(project)["version"] == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", WRITES)
def test_a_write_to_a_record_deleted_after_the_read_is_a_json_404(before_the_lock, method):
    resource = next(resource for resource in RESOURCES if resource.name == "projects")
    project = ProjectFactory()
    client = client_for(bureau_admin())
    held = client.get(resource.url(project))["ETag"]
    before_the_lock(lambda: Project.objects.filter(pk=project.pk).delete())
    response = write(client, method, resource.url(project), resource, if_match=held)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.django_db(transaction=True)
def test_a_regional_editor_cannot_write_a_record_moved_out_of_their_region_after_the_read(before_the_lock):
    """The permission check sees the record as locked: a project moved to another county by the
    bureau meanwhile is refused to the first county's editor, and stays where the bureau put it."""
    home, elsewhere = CountyFactory(), CountyFactory()
    project = ProjectFactory(region=home)
    editor = StaffUserFactory()
    editor.groups.add(Group.objects.get(name=GROUP_NAMES[Role.REGIONAL_EDITOR]))
    RegionAssignment.objects.create(user=editor, region=home)
    before_the_lock(lambda: Project.objects.filter(pk=project.pk).update(region=elsewhere))
    response = client_for(editor).patch(
        f"/api/v1/projects/{project.pk}/", {"name": "Renamed"}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 403
    assert (row(project)["name"], row(project)["region_id"]) == (project.name, elsewhere.pk)


#
# Twenty writers, one record: every increment counted
#

WRITERS = 20


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_writers_retrying_on_412_count_every_increment():
    """Twenty threads, each with its own database connection and real transactions, read a project
    at the same moment and each add 1.00 to its planned investment with If-Match; whoever gets 412
    reads again and retries. Nothing is lost: the total rose by 20.00 and the version by 20."""
    project = ProjectFactory(planned_investment=Decimal("1000.00"))
    start = row(project)
    url = f"/api/v1/projects/{project.pk}/"
    admin = bureau_admin()
    clients = []
    for _ in range(WRITERS):
        client = client_for(admin)  # a session of its own each; a client is not shared between threads
        clients.append(client)
    # Everyone reads the same version, then everyone writes: all but one of the first round collide.
    barrier = threading.Barrier(WRITERS, timeout=20)
    refusals: list[int] = []
    errors: list[BaseException] = []

    def writer(client) -> None:
        try:
            first = True
            while True:
                read = client.get(url)
                assert read.status_code == 200
                if first:
                    barrier.wait()
                    first = False
                amount = Decimal(read.json()["planned_investment"]) + Decimal("1.00")
                response = client.patch(
                    url, {"planned_investment": str(amount)}, format="json", headers={"if-match": read["ETag"]}
                )
                if response.status_code == 200:
                    assert response["ETag"] == etag(int(read["ETag"].strip('"')) + 1)
                    return
                assert response.status_code == 412, response.content
                refusals.append(1)
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    end = row(project)
    assert end["planned_investment"] == start["planned_investment"] + Decimal("20.00")
    assert end["version"] == start["version"] + WRITERS
    assert len(refusals) >= WRITERS - 1  # they did collide
