"""Signing events in the API: a region's ceremony and the projects signed at it, each at one event at most."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.roles import Role
from oversight.models import SigningEvent, SigningEventProject
from tests.contract import CRUDContract, client_for, error_of
from tests.factories import (
    CityFactory,
    CountyFactory,
    ProjectFactory,
    SigningEventFactory,
    SigningEventProjectFactory,
)
from tests.oversight.test_api import user_with

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/signing-events/"


class TestSigningEventsAPI(CRUDContract):
    basename = "signing-event"
    factory = SigningEventFactory
    update_data = {"name": "Autumn investment signing"}
    invalid_data = {"name": "   "}
    invalid_field = "name"

    def create_data(self):
        city = CityFactory()
        return {
            "name": "Spring investment signing",
            "date": "2024-04-18",
            "region": city.code,
            "projects": [ProjectFactory(region=CountyFactory(parent=city)).slug],
        }


def admin():
    return client_for(user_with(Role.BUREAU_ADMIN))


def test_an_event_is_recorded_with_its_projects_and_lists_how_many_it_has():
    city = CityFactory()
    first, second = ProjectFactory(region=city, name="A plant"), ProjectFactory(region=CountyFactory(parent=city))
    body = {"name": "Spring signing", "date": "2024-04-18", "region": city.code, "projects": [first.pk, second.slug]}

    created = admin().post(EVENTS, body, format="json")

    assert created.status_code == 201, created.content
    assert [p["slug"] for p in created.json()["projects"]] == [first.slug, second.slug]
    [row] = client_for().get(EVENTS).json()["results"]
    assert (row["name"], row["project_count"], row["region"]["code"]) == ("Spring signing", 2, city.code)
    assert "projects" not in row


def test_writing_projects_replaces_the_list_and_changes_the_etag():
    membership = SigningEventProjectFactory()
    event = membership.event
    newcomer = ProjectFactory(region=event.region)
    url = f"{EVENTS}{event.pk}/"
    client = admin()
    before = client.get(url)["ETag"]

    response = client.patch(url, {"projects": [newcomer.slug]}, format="json", headers={"If-Match": before})

    assert response.status_code == 200, response.content
    assert [p["slug"] for p in response.json()["projects"]] == [newcomer.slug]
    assert list(SigningEventProject.objects.values_list("project", flat=True)) == [newcomer.pk]
    assert response["ETag"] != before


def test_a_project_is_signed_at_one_event_at_most_and_within_the_event_s_region():
    taken = SigningEventProjectFactory()
    event = SigningEventFactory(region=taken.event.region)
    outside = ProjectFactory()
    url = f"{EVENTS}{event.pk}/"

    response = admin().patch(
        url, {"projects": [taken.project.slug, outside.slug]}, format="json", headers={"If-Match": "*"}
    )

    assert response.status_code == 400
    messages = error_of(response)["fields"]["projects"]
    assert len(messages) == 2
    assert "outside" in messages[0]["message"]
    assert "already" in messages[1]["message"]
    assert not event.memberships.exists()


def test_an_event_with_projects_is_not_deleted_until_they_are_taken_off():
    event = SigningEventProjectFactory().event
    url = f"{EVENTS}{event.pk}/"
    client = admin()

    refused = client.delete(url, headers={"If-Match": "*"})
    emptied = client.patch(url, {"projects": []}, format="json", headers={"If-Match": "*"})
    deleted = client.delete(url, headers={"If-Match": "*"})

    assert (refused.status_code, emptied.status_code, deleted.status_code) == (409, 200, 204)
    assert not SigningEvent.objects.exists()


def test_a_regional_editor_records_the_events_of_their_regions_only():
    city, elsewhere = CityFactory(), CityFactory()
    editor = client_for(user_with(Role.REGIONAL_EDITOR, city))
    body = {"name": "Spring signing", "date": "2024-04-18"}

    inside = editor.post(EVENTS, {**body, "region": city.code}, format="json")
    outside = editor.post(EVENTS, {**body, "region": elsewhere.code}, format="json")

    assert (inside.status_code, outside.status_code) == (201, 400)
    assert list(SigningEvent.objects.values_list("region", flat=True)) == [city.pk]


def test_the_list_filters_by_region_subtree_and_date():
    city = CityFactory()
    SigningEventFactory(region=CountyFactory(parent=city), date=dt.date(2023, 5, 1), name="Old")
    SigningEventFactory(region=city, date=dt.date(2024, 5, 1), name="New")
    SigningEventFactory(date=dt.date(2024, 5, 1), name="Elsewhere")

    names = [r["name"] for r in client_for().get(EVENTS, {"region": city.code}).json()["results"]]
    recent = [r["name"] for r in client_for().get(EVENTS, {"date_after": "2024-01-01"}).json()["results"]]

    assert names == ["New", "Old"]
    assert sorted(recent) == ["Elsewhere", "New"]
