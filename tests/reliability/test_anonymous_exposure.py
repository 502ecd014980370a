"""What anonymous clients see (issue 20, item 9).

Histories name the staff who changed each record, and the follow-up log is the bureau's working notes:
both need a signed-in reader unless `API_ANONYMOUS_HISTORY` / `API_ANONYMOUS_FOLLOW_UPS` open them.
`/healthz` tells an anonymous caller its status alone, not the PostgreSQL release or the database's
name. A write that loses a race for a key gets a 409 in the error envelope with a message of ours, not
PostgreSQL's text and constraint name. A deactivated user's token is refused like any wrong token,
without saying the account exists.
"""

from __future__ import annotations

import json

import pghistory
import pytest
from django.db import connection
from django.test import Client, override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient
from rest_framework.validators import UniqueValidator

from api.viewsets import TrackerViewSet
from projects.models import Project
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import (
    CompanyFactory,
    FollowUpFactory,
    ProjectFactory,
    StaffUserFactory,
    UserFactory,
)

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


@pytest.fixture
def changed_by_carol():
    """A project a staff member called carol has changed."""
    carol = StaffUserFactory(username="carol")
    with pghistory.context(user=carol.pk, url="/api/v1/projects/"):
        project = ProjectFactory()
        Project.objects.filter(pk=project.pk).update(description="Carol's note.")
    return project


HISTORIES = {
    "a project": lambda project: f"/api/v1/projects/{project.pk}/history/",
    "a region": lambda project: f"/api/v1/regions/{project.region.code}/history/",
    "a company": lambda project: f"/api/v1/companies/{CompanyFactory().pk}/history/",
}


#
# Histories
#


@pytest.mark.django_db
@pytest.mark.parametrize("url", HISTORIES.values(), ids=HISTORIES.keys())
def test_an_anonymous_client_gets_a_json_401_for_a_history(changed_by_carol, url):
    response = client_for().get(url(changed_by_carol))
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"
    assert b"carol" not in response.content


@pytest.mark.django_db
def test_a_signed_in_reader_sees_who_changed_the_record(changed_by_carol):
    response = client_for(StaffUserFactory()).get(f"/api/v1/projects/{changed_by_carol.pk}/history/")
    assert response.status_code == 200
    assert [event["user"] for event in response.json()["results"]] == ["carol", "carol"]


@pytest.mark.django_db
def test_a_token_is_as_good_as_a_session_for_a_history(changed_by_carol):
    response = token_client(UserFactory()).get(f"/api/v1/projects/{changed_by_carol.pk}/history/")
    assert response.status_code == 200


@pytest.mark.django_db
@override_settings(API_ANONYMOUS_HISTORY=True)
def test_histories_can_be_opened_to_anyone_by_the_setting(changed_by_carol):
    response = client_for().get(f"/api/v1/projects/{changed_by_carol.pk}/history/")
    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.django_db
@override_settings(API_ANONYMOUS_HISTORY=True, API_ANONYMOUS_READS=False)
def test_an_open_history_stays_closed_while_anonymous_reads_are(changed_by_carol):
    response = client_for().get(f"/api/v1/projects/{changed_by_carol.pk}/history/")
    assert response.status_code == 401


#
# Follow-ups
#


@pytest.fixture
def follow_up():
    return FollowUpFactory(action="Met the investor's finance director.")


def follow_up_urls(follow_up) -> list[str]:
    base = f"/api/v1/projects/{follow_up.project_id}/follow-ups/"
    return [base, f"{base}{follow_up.pk}/", f"{base}?format=csv", f"{base}{follow_up.pk}/history/"]


@pytest.mark.django_db
def test_an_anonymous_client_reads_no_follow_up(follow_up):
    responses = [client_for().get(url) for url in follow_up_urls(follow_up)]
    assert [response.status_code for response in responses] == [401] * 4
    assert all(b"finance director" not in response.content for response in responses)
    assert all(error_of(response)["code"] == "not_authenticated" for response in responses)


@pytest.mark.django_db
def test_a_signed_in_reader_reads_the_follow_ups(follow_up):
    client = client_for(StaffUserFactory())
    responses = [client.get(url) for url in follow_up_urls(follow_up)]
    assert [response.status_code for response in responses] == [200] * 4
    assert b"finance director" in responses[0].content


@pytest.mark.django_db
@override_settings(API_ANONYMOUS_FOLLOW_UPS=True)
def test_follow_ups_can_be_opened_to_anyone_by_the_setting(follow_up):
    [listed, retrieved, _csv, history] = [client_for().get(url) for url in follow_up_urls(follow_up)]
    assert (listed.status_code, retrieved.status_code) == (200, 200)
    assert history.status_code == 401  # a history is a history: API_ANONYMOUS_HISTORY


@pytest.mark.django_db
def test_anonymous_clients_still_read_published_projects(follow_up):
    assert client_for().get(f"/api/v1/projects/{follow_up.project_id}/").status_code == 200
    assert client_for().get("/api/v1/projects/").status_code == 200


#
# /healthz
#


@pytest.mark.django_db
def test_healthz_tells_an_anonymous_caller_the_status_and_nothing_about_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert connection.settings_dict["NAME"].encode() not in response.content


@pytest.mark.django_db
def test_healthz_tells_staff_with_a_token_the_database_details():
    response = token_client(StaffUserFactory()).get("/healthz")
    database = response.json()["database"]
    assert database["name"] == connection.settings_dict["NAME"]
    assert database["server_version"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "client",
    [lambda: token_client(UserFactory()), lambda: client_for(UserFactory())],
    ids=["a token of a user who is not staff", "a session of a user who is not staff"],
)
def test_healthz_tells_a_signed_in_user_who_is_not_staff_the_status_alone(client):
    assert client().get("/healthz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_treats_a_wrong_token_as_no_token():
    response = Client().get("/healthz", HTTP_AUTHORIZATION="Token not-a-token")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


#
# A race lost to a concurrent write: 409 with our message
#


@pytest.fixture
def race_for_a_key(monkeypatch):
    """Validation passes as if the other officer's region were not saved yet: the database refuses it."""
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    monkeypatch.setattr(Region, "validate_unique", lambda self, exclude=None: None)
    existing = ProjectFactory().region
    return {"code": existing.code, "name": "Twin", "level": existing.level, "parent": existing.parent.code}


@pytest.mark.django_db
@pytest.mark.parametrize("headers", [{}, ZH], ids=["English", "Chinese"])
def test_a_write_that_loses_a_race_for_a_key_is_a_409_with_our_message_only(race_for_a_key, headers):
    client = client_for(StaffUserFactory(is_superuser=True))
    response = client.post("/api/v1/regions/", race_for_a_key, format="json", **headers)
    assert response.status_code == 409
    error = error_of(response)
    assert set(error) == {"code", "message"}
    assert error["code"] == "unique"
    body = response.content.decode()
    for leak in ("duplicate key", "violates", "regions_region", "_key", "_uniq", "constraint", "DETAIL"):
        assert leak not in body, leak
    expected = "已有其他记录使用此键" if headers else "Another record already has this key"
    assert error["message"].startswith(expected)


@pytest.mark.django_db(transaction=True)
def test_a_write_whose_related_record_is_deleted_meanwhile_is_a_409_with_our_message(monkeypatch):
    """The company passed validation, then a colleague deleted it before the participant was committed:
    PostgreSQL's foreign key check (deferred to the commit) refuses it."""
    project, company = ProjectFactory(), CompanyFactory()
    original = TrackerViewSet._reload

    def created_then_the_company_deleted(self, serializer):
        original(self, serializer)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM companies_company WHERE id = %s", [company.pk])

    monkeypatch.setattr(TrackerViewSet, "_reload", created_then_the_company_deleted)
    client = client_for(StaffUserFactory(is_superuser=True))
    response = client.post(
        f"/api/v1/projects/{project.pk}/participants/", {"company": company.slug, "role": "investor"}, format="json"
    )
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "conflict"
    assert "changed meanwhile" in error["message"]
    assert "foreign key" not in response.content.decode()
    assert not project.participants.exists()


#
# A deactivated user's token
#


@pytest.mark.django_db
def test_a_deactivated_users_token_is_refused_like_a_wrong_token():
    user = StaffUserFactory()
    client = token_client(user)
    assert client.get("/api/v1/projects/").status_code == 200
    user.is_active = False
    user.save()
    refused = client.get("/api/v1/projects/")
    wrong = APIClient().get("/api/v1/projects/", HTTP_AUTHORIZATION="Token " + "0" * 64)
    assert refused.status_code == wrong.status_code == 401
    assert json.loads(refused.content) == json.loads(wrong.content)
    assert error_of(refused)["message"] == "Invalid token."
    assert b"inactive" not in refused.content
