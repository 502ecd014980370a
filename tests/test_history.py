"""Change history (issue 5, point 4): every insert, update and delete of a record and of what hangs
from it, with the acting user, the address, and each changed value before and after.

The events are written by database triggers (django-pghistory), so a queryset `.update()`, a
`bulk_create` or a cascade is recorded like a write through the API; those have no user. The API
reads them at `/api/v1/<collection>/<key>/history/`, the admin through pghistory's events pages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pghistory
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import F, Model
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.roles import GROUP_NAMES, Role
from companies.models import Company
from figures.models import Figure
from indicators.models import Indicator, Observation
from industries.models import Industry
from oversight.models import SigningEvent
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from regions.models import Region
from sources.models import Citation, Source
from tests.contract import client_for, error_of
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    CountyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndicatorFactory,
    IndustryFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    SigningEventFactory,
    SourceFactory,
    StaffUserFactory,
    UserFactory,
)

FIXED = dt.datetime(2024, 8, 1, 1, 30, tzinfo=dt.UTC)


def bureau_admin(username: str):
    user = StaffUserFactory(username=username)
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    return user


def token_client(user) -> APIClient:
    client = APIClient()
    _instance, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def reader() -> APIClient:
    """A signed-in staff member who may only read: histories are not shown to anonymous clients."""
    return client_for(StaffUserFactory())


def history(url: str, client: APIClient | None = None, **params) -> list[dict[str, Any]]:
    response = (client or reader()).get(f"{url}history/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def told(events: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
    """What changed, how and by whom, event by event."""
    return [(event["model"], event["action"], event["user"]) for event in events]


#
# The story of one project
#


@pytest.mark.django_db(transaction=True)
def test_a_project_history_tells_who_changed_what_and_through_which_address_newest_first():
    """Each step commits on its own, as in real use: two officers through the API (one with a
    token, one with a session), then a batch job through the ORM, then a deletion."""
    alice, bob = bureau_admin("alice"), bureau_admin("bob")
    as_alice, as_bob = token_client(alice), client_for(bob)

    created = as_alice.post(
        "/api/v1/projects/",
        {"name": "Health food project", "slug": "health-food", "region": CountyFactory().code},
        format="json",
    )
    assert created.status_code == 201, created.json()
    project = Project.objects.get(pk=created.json()["id"])
    url = f"/api/v1/projects/{project.pk}/"
    renamed = as_bob.patch(url, {"name": "Kelun health food project"}, format="json", headers={"if-match": '"1"'})
    assert renamed.status_code == 200, renamed.json()
    company = CompanyFactory()
    joined = as_alice.post(f"{url}participants/", {"company": company.slug, "role": "investor"}, format="json")
    assert joined.status_code == 201, joined.json()
    Project.objects.filter(pk=project.pk).update(
        planned_investment=Decimal("2000000000.00"), investment_qualifier="exact"
    )
    Milestone.objects.bulk_create(
        [
            Milestone(project=project, stage="signed", date=dt.date(2024, 9, 1), is_planned=True),
            Milestone(project=project, stage="landed", date=dt.date(2024, 12, 1), is_planned=True),
        ]
    )
    FigureFactory(project=project, label="H1 revenue")
    left = as_bob.delete(f"{url}participants/{joined.json()['id']}/", headers={"if-match": '"1"'})
    assert left.status_code == 204

    events = history(url)

    assert told(events) == [
        ("projects.Participant", "delete", "bob"),
        ("figures.Figure", "insert", None),
        ("projects.Milestone", "insert", None),
        ("projects.Milestone", "insert", None),
        ("projects.Project", "update", None),
        ("projects.Participant", "insert", "alice"),
        ("projects.Project", "update", "bob"),
        ("projects.Project", "insert", "alice"),
    ]
    times = [dt.datetime.fromisoformat(event["at"]) for event in events]
    assert times[:2] + times[4:] == sorted(times[:2] + times[4:], reverse=True)
    assert len(set(times[:2] + times[4:])) == 6  # one transaction each: told apart
    deleted, figure, _milestone, _milestone, batch, joined_event, rename, insert = events

    assert rename["url"] == url
    assert rename["object_id"] == str(project.pk)
    assert rename["changes"]["name"] == ["Health food project", "Kelun health food project"]
    assert rename["changes"]["version"] == [1, 2]
    assert rename["snapshot"]["name"] == "Kelun health food project"
    assert insert["url"] == "/api/v1/projects/"
    assert insert["changes"] == {}
    assert insert["snapshot"]["slug"] == "health-food"
    assert joined_event["url"] == f"{url}participants/"

    assert (batch["url"], batch["user"]) == (None, None)
    assert batch["changes"]["planned_investment"] == [None, "2000000000.00"]
    assert batch["changes"]["version"] == [2, 3]
    assert figure["snapshot"]["label"] == "H1 revenue"
    assert (deleted["object_id"], deleted["url"]) == (
        str(joined.json()["id"]),
        f"{url}participants/{joined.json()['id']}/",
    )
    assert deleted["snapshot"]["company_id"] == company.pk


#
# Who: the user of a write through the API, with a token or a session
#


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [token_client, client_for], ids=["token", "session"])
def test_a_write_through_the_api_is_recorded_with_the_username_and_the_address(signed_in):
    project = ProjectFactory(name="Old name")
    url = f"/api/v1/projects/{project.pk}/"
    response = signed_in(bureau_admin("carol")).patch(
        url, {"name": "New name"}, format="json", headers={"if-match": "*"}
    )
    assert response.status_code == 200
    [latest, _insert] = history(url)
    assert (latest["action"], latest["user"], latest["url"]) == ("update", "carol", url)
    assert latest["changes"]["name"] == ["Old name", "New name"]


@pytest.mark.django_db
def test_a_record_created_through_the_api_has_an_insert_event_by_its_author():
    county = CountyFactory()
    client = token_client(bureau_admin("dora"))
    response = client.post(
        "/api/v1/companies/",
        {"name": "Lishui Co.", "slug": "lishui-co", "kind": "enterprise", "headquarters": county.code},
        format="json",
    )
    assert response.status_code == 201, response.json()
    [insert] = history(f"/api/v1/companies/{response.json()['id']}/")
    assert (insert["action"], insert["user"], insert["url"]) == ("insert", "dora", "/api/v1/companies/")
    assert insert["snapshot"]["name"] == "Lishui Co."


#
# What: changes made past the API, and what hangs from a project
#


@pytest.mark.django_db
def test_queryset_updates_and_bulk_creates_are_recorded_without_a_user():
    """One test transaction: the events share its time, so they are picked out rather than ordered
    (order across transactions is the story test's)."""
    project = ProjectFactory(name="Before")
    Project.objects.filter(pk=project.pk).update(name="After")
    Participant.objects.bulk_create(
        [Participant(project=project, company=CompanyFactory(), role=role) for role in ("investor", "operator")]
    )
    events = history(f"/api/v1/projects/{project.pk}/")
    assert sorted(told(events)) == [
        ("projects.Participant", "insert", None),
        ("projects.Participant", "insert", None),
        ("projects.Project", "insert", None),
        ("projects.Project", "update", None),
    ]
    joined = [event for event in events if event["model"] == "projects.Participant"]
    assert {event["snapshot"]["role"] for event in joined} == {"investor", "operator"}
    [update] = [event for event in events if event["action"] == "update"]
    assert update["changes"]["name"] == ["Before", "After"]
    assert all(event["url"] is None for event in events)


@pytest.mark.django_db
def test_a_project_history_includes_the_events_of_its_participants_milestones_figures_and_funds():
    project = ProjectFactory()
    participant = ParticipantFactory(project=project)
    milestone = MilestoneFactory(project=project, is_planned=True)
    figure = FigureFactory(project=project)
    funds = FundsInPlaceFactory(project=project)
    follow_up = FollowUpFactory(project=project)
    unrelated = ParticipantFactory()
    models = {(event["model"], event["object_id"]) for event in history(f"/api/v1/projects/{project.pk}/")}
    assert models == {
        ("projects.Project", str(project.pk)),
        ("projects.Participant", str(participant.pk)),
        ("projects.Milestone", str(milestone.pk)),
        ("figures.Figure", str(figure.pk)),
        ("projects.FundsInPlace", str(funds.pk)),
        ("projects.FollowUp", str(follow_up.pk)),
    }
    assert ("projects.Participant", str(unrelated.pk)) not in models


@pytest.mark.django_db
def test_a_deleted_participant_appears_in_the_project_history_as_a_delete_with_its_last_values():
    project = ProjectFactory()
    participant = ParticipantFactory(project=project, note="Lead investor until 2024.")
    Participant.objects.filter(project=project).delete()
    [deleted] = [event for event in history(f"/api/v1/projects/{project.pk}/") if event["action"] == "delete"]
    assert (deleted["model"], deleted["object_id"], deleted["user"]) == (
        "projects.Participant",
        str(participant.pk),
        None,
    )
    assert deleted["snapshot"]["note"] == "Lead investor until 2024."
    assert deleted["snapshot"]["company_id"] == participant.company_id


@pytest.mark.django_db
def test_decimal_values_in_a_history_keep_every_digit_as_strings():
    """Read as floats, a change of one cent in 123456789012345678.91 would show the same number
    before and after; the API gives decimals as strings, exact as stored."""
    project = ProjectFactory(planned_investment=Decimal("123456789012345678.91"))
    Project.objects.filter(pk=project.pk).update(planned_investment=Decimal("123456789012345678.92"))
    [update] = [event for event in history(f"/api/v1/projects/{project.pk}/") if event["action"] == "update"]
    assert update["changes"]["planned_investment"] == ["123456789012345678.91", "123456789012345678.92"]
    assert update["snapshot"]["planned_investment"] == "123456789012345678.92"
    assert update["changes"]["version"] == [1, 2]


@pytest.mark.django_db
def test_an_actual_milestone_shows_with_the_stage_change_it_caused():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="signed", is_planned=False)
    events = history(f"/api/v1/projects/{project.pk}/")
    stage_change = next(
        event for event in events if event["model"] == "projects.Project" and event["action"] == "update"
    )
    assert stage_change["changes"]["stage"] == ["conceived", "signed"]
    assert ("projects.Milestone", "insert", None) in told(events)


#
# Every collection has a history
#

COLLECTIONS: dict[str, tuple[type[Model], Callable[[], Model], Callable[[Any], str]]] = {
    "regions": (Region, CountyFactory, lambda r: f"/api/v1/regions/{r.code}/"),
    "industries": (Industry, IndustryFactory, lambda i: f"/api/v1/industries/{i.code}/"),
    "companies": (Company, CompanyFactory, lambda c: f"/api/v1/companies/{c.pk}/"),
    "projects": (Project, ProjectFactory, lambda p: f"/api/v1/projects/{p.pk}/"),
    "participants": (
        Participant,
        ParticipantFactory,
        lambda x: f"/api/v1/projects/{x.project_id}/participants/{x.pk}/",
    ),
    "milestones": (Milestone, MilestoneFactory, lambda x: f"/api/v1/projects/{x.project_id}/milestones/{x.pk}/"),
    "funds in place": (
        FundsInPlace,
        FundsInPlaceFactory,
        lambda x: f"/api/v1/projects/{x.project_id}/funds-in-place/{x.pk}/",
    ),
    "figures": (Figure, FigureFactory, lambda x: f"/api/v1/projects/{x.project_id}/figures/{x.pk}/"),
    "follow-ups": (FollowUp, FollowUpFactory, lambda x: f"/api/v1/projects/{x.project_id}/follow-ups/{x.pk}/"),
    "observations": (Observation, ObservationFactory, lambda o: f"/api/v1/indicators/{o.pk}/"),
    "indicator definitions": (Indicator, IndicatorFactory, lambda i: f"/api/v1/indicator-definitions/{i.code}/"),
    "sources": (Source, SourceFactory, lambda s: f"/api/v1/sources/{s.pk}/"),
    "citations": (Citation, CitationFactory, lambda c: f"/api/v1/citations/{c.pk}/"),
    "signing events": (SigningEvent, SigningEventFactory, lambda e: f"/api/v1/signing-events/{e.pk}/"),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "make", "url"), COLLECTIONS.values(), ids=COLLECTIONS.keys())
def test_every_collection_reads_the_history_of_a_record(model, make, url):
    record = make()
    model.objects.filter(pk=record.pk).update(updated_at=FIXED)
    [update, insert] = history(url(record))
    label = f"{model._meta.app_label}.{model.__name__}"
    assert (update["model"], update["action"], update["object_id"]) == (label, "update", str(record.pk))
    assert update["changes"]["version"] == [1, 2]
    assert dt.datetime.fromisoformat(update["changes"]["updated_at"][1]) == FIXED
    assert (insert["model"], insert["action"], insert["changes"]) == (label, "insert", {})
    assert insert["snapshot"]["id"] == record.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/999999999/history/",
        "/api/v1/projects/no-such-project/history/",
        "/api/v1/regions/999999/history/",
        "/api/v1/companies/0/history/",
        "/api/v1/projects/999999999/participants/1/history/",
    ],
)
def test_the_history_of_an_unknown_record_is_a_json_404(url):
    response = reader().get(url)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


#
# Reading a long history
#


@pytest.mark.django_db
def test_a_history_comes_in_pages_that_together_hold_every_event_once():
    project = ProjectFactory()
    for n in range(6):
        Project.objects.filter(pk=project.pk).update(description=f"Note {n}")
    url = f"/api/v1/projects/{project.pk}/history/"
    client = reader()
    everything = client.get(url).json()
    assert everything["count"] == 7
    pages, link = [], f"{url}?page_size=3"
    while link:
        page = client.get(link).json()
        assert len(page["results"]) <= 3
        pages.append(page["results"])
        link = page["next"]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [event for page in pages for event in page] == everything["results"]
    assert [event["snapshot"]["description"] for event in everything["results"][:2]] == ["Note 5", "Note 4"]
    assert client.get(url, {"page": 4, "page_size": 3}).status_code == 404


def _queries_for_history(url: str) -> int:
    client = APIClient()
    client.force_authenticate(StaffUserFactory())  # signed in without the queries of a session or a token
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len([query for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]])


@pytest.mark.django_db
def test_a_history_costs_the_same_queries_for_one_event_as_for_thirty_by_thirty_users():
    officers = UserFactory.create_batch(30)
    with pghistory.context(user=officers[0].pk, url="/api/v1/projects/"):
        quiet = ProjectFactory()
    with pghistory.context(user=officers[0].pk, url="/api/v1/projects/"):
        busy = ProjectFactory()
    for officer in officers[1:]:
        with pghistory.context(user=officer.pk, url=f"/api/v1/projects/{busy.pk}/"):
            Project.objects.filter(pk=busy.pk).update(planned_investment=F("planned_investment") + 1)

    one = _queries_for_history(f"/api/v1/projects/{quiet.pk}/history/")
    thirty = _queries_for_history(f"/api/v1/projects/{busy.pk}/history/")

    assert one == thirty <= 4  # the record, the count, the page, the usernames
    events = history(f"/api/v1/projects/{busy.pk}/")
    assert len(events) == 30
    assert [event["user"] for event in events] == [officer.username for officer in reversed(officers)]


#
# The admin: per-record events
#


def _events_page(client, obj: Model, method: str):
    opts = obj._meta
    return client.get(reverse("admin:pghistory_events_changelist"), {"obj": f"{opts.label}:{obj.pk}", "method": method})


@pytest.mark.django_db
def test_the_admin_lists_the_events_of_one_project_for_a_superuser(admin_client):
    project = ProjectFactory(name="Before the rename")
    Project.objects.filter(pk=project.pk).update(name="After the rename")
    other = ProjectFactory(name="Another project")
    response = _events_page(admin_client, project, "tracks")
    assert response.status_code == 200
    page = response.content.decode()
    assert "After the rename" in page
    assert "Before the rename" in page
    assert "2 events" in page
    assert other.name not in page


@pytest.mark.django_db
def test_the_admin_lists_what_hangs_from_a_project_among_its_references(admin_client):
    project = ProjectFactory()
    ParticipantFactory(project=project, note="Joined at the fair.")
    response = _events_page(admin_client, project, "references")
    assert response.status_code == 200
    page = response.content.decode()
    assert "projects.Participant" in page
    assert "projects.Project" in page


@pytest.mark.django_db
def test_a_project_change_page_links_to_its_events(admin_client):
    project = ProjectFactory()
    response = admin_client.get(reverse("admin:projects_project_change", args=[project.pk]))
    assert response.status_code == 200
    events = reverse("admin:pghistory_events_changelist")
    assert f'href="{events}?method=tracks&obj=projects.Project:{project.pk}&' in response.content.decode()


@pytest.mark.django_db
def test_a_bureau_administrator_can_read_a_records_events_in_the_admin():
    project = ProjectFactory(name="Seen by the bureau")
    response = _events_page(client_for(bureau_admin("erin")), project, "tracks")
    assert response.status_code == 200
    assert "Seen by the bureau" in response.content.decode()


#
# Order within one transaction
#


@pytest.mark.django_db
def test_two_changes_made_in_one_transaction_are_told_apart_newest_first():
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(name="First change")
    ParticipantFactory(project=project)
    latest, earlier, _insert = history(f"/api/v1/projects/{project.pk}/")
    assert dt.datetime.fromisoformat(latest["at"]) > dt.datetime.fromisoformat(earlier["at"])
    assert (latest["model"], earlier["model"]) == ("projects.Participant", "projects.Project")
