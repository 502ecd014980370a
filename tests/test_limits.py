"""Limits (issue 5, point 5): page size, request body, search term, and failed logins.

django-axes is off in test settings; the lockout tests turn it on with a limit of three and
reset its records before and after. Its records are written in autocommit, outside any
block that rolls back, so that a failed login that ends in an error still counts.
"""

from __future__ import annotations

import json
from http import HTTPStatus

import axes.utils
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.test import Client, override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from api.pagination import MAX_PAGE_SIZE
from projects.models import Project
from sources.models import Source
from tests.contract import client_for, error_of
from tests.factories import PASSWORD, CountyFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"
COOL_OFF_SECONDS = 15 * 60  # AXES_COOLOFF_TIME is a quarter of an hour


#
# Page size
#


def test_a_page_never_holds_more_than_the_maximum_however_many_rows_are_asked_for():
    county = CountyFactory()
    Project.objects.bulk_create(
        Project(name=f"Project {n:04d}", slug=f"capped-{n}", region=county) for n in range(MAX_PAGE_SIZE + 1)
    )
    response = client_for().get("/api/v1/projects/", {"page_size": 100000})
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) == MAX_PAGE_SIZE == 500


#
# Request body
#


def source_body(size: int) -> bytes:
    """A valid new source whose JSON is exactly `size` bytes long."""
    body = {"slug": "long-read", "title": "A long read", "kind": "news_article", "notes": ""}
    padding = size - len(json.dumps(body).encode())
    return json.dumps({**body, "notes": "x" * padding}).encode()


@override_settings(API_MAX_BODY_BYTES=2048)
def test_a_body_over_the_limit_gets_413_and_nothing_is_written():
    client = client_for(StaffUserFactory(is_superuser=True))
    response = client.post("/api/v1/sources/", source_body(2049), content_type="application/json")

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert error_of(response)["code"] == "too_large"
    assert "2048 bytes" in error_of(response)["message"]
    assert not Source.objects.exists()


@override_settings(API_MAX_BODY_BYTES=2048)
def test_a_body_at_the_limit_goes_through():
    client = client_for(StaffUserFactory(is_superuser=True))
    response = client.post("/api/v1/sources/", source_body(2048), content_type="application/json")

    assert response.status_code == HTTPStatus.CREATED, response.content
    assert Source.objects.filter(slug="long-read").exists()


@override_settings(API_MAX_BODY_BYTES=2048)
def test_the_body_limit_is_checked_before_anything_else_even_credentials():
    response = APIClient().post("/api/v1/sources/", source_body(4096), content_type="application/json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert error_of(response)["code"] == "too_large"


#
# Search term
#


@pytest.mark.parametrize("collection", ["/api/v1/projects/", "/api/v1/companies/", "/api/v1/regions/"])
def test_a_search_term_over_100_characters_is_refused_naming_search(collection):
    response = client_for().get(collection, {"search": "龙" * 101})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(error_of(response)["fields"]) == ["search"]


def test_a_search_term_of_100_characters_is_accepted():
    response = client_for().get("/api/v1/projects/", {"search": "龙" * 100})
    assert response.status_code == HTTPStatus.OK


#
# Failed logins (django-axes)
#


@pytest.fixture
def lockout():
    """django-axes on, locking a username at an address out after three failures."""
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3):
        axes.utils.reset()
        yield
        axes.utils.reset()
        AccessLog.objects.all().delete()
        AccessFailureLog.objects.all().delete()


def admin_login(client: Client, username: str, password: str):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password, "next": "/admin/"})


def assert_locked_out(response, *, json_body: bool) -> None:
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) == COOL_OFF_SECONDS
    if json_body:
        assert error_of(response)["code"] == "locked_out"
    else:
        assert response["Content-Type"].startswith("text/plain")
        assert b"Too many failed logins" in response.content


def test_three_wrong_passwords_lock_the_admin_login_even_against_the_right_one(lockout):
    officer = StaffUserFactory()
    client = Client(REMOTE_ADDR="10.1.0.1")
    assert [admin_login(client, officer.username, "guess").status_code for _ in range(2)] == [200, 200]
    assert_locked_out(admin_login(client, officer.username, "guess"), json_body=False)

    refused = admin_login(client, officer.username, PASSWORD)
    assert_locked_out(refused, json_body=False)
    assert SESSION_KEY not in client.session


def test_a_lockout_earned_on_the_admin_login_refuses_a_token_for_the_right_password(lockout):
    officer = StaffUserFactory()
    client = Client(REMOTE_ADDR="10.1.0.2")
    for _ in range(3):
        admin_login(client, officer.username, "guess")

    response = APIClient(REMOTE_ADDR="10.1.0.2").post(TOKEN, {"username": officer.username, "password": PASSWORD})
    assert response.status_code in {HTTPStatus.UNAUTHORIZED, HTTPStatus.TOO_MANY_REQUESTS}
    assert not AuthToken.objects.filter(user=officer).exists()


def test_a_lockout_earned_on_the_admin_login_also_closes_the_token_endpoint(lockout):
    officer = StaffUserFactory()
    client = Client(REMOTE_ADDR="10.1.0.2")
    for _ in range(3):
        admin_login(client, officer.username, "guess")

    response = APIClient(REMOTE_ADDR="10.1.0.2").post(TOKEN, {"username": officer.username, "password": PASSWORD})
    assert_locked_out(response, json_body=True)
    assert not AuthToken.objects.filter(user=officer).exists()


def test_wrong_passwords_at_the_token_endpoint_count_toward_the_lockout(lockout):
    """A wrong password ends in a 401 that rolls the request back; the failure must still count."""
    officer = StaffUserFactory()
    client = APIClient(REMOTE_ADDR="10.1.0.3")
    for _ in range(3):
        assert client.post(TOKEN, {"username": officer.username, "password": "guess"}).status_code in {401, 429}

    assert AccessAttempt.objects.get(username=officer.username).failures_since_start == 3
    assert client.post(TOKEN, {"username": officer.username, "password": PASSWORD}).status_code in {401, 429}
    assert not AuthToken.objects.filter(user=officer).exists()
    # The same username and address are shut out of the admin too.
    assert_locked_out(admin_login(Client(REMOTE_ADDR="10.1.0.3"), officer.username, PASSWORD), json_body=False)


def test_three_wrong_passwords_at_the_token_endpoint_answer_429_with_retry_after(lockout):
    officer = UserFactory()
    client = APIClient(REMOTE_ADDR="10.1.0.3")
    wrong = [client.post(TOKEN, {"username": officer.username, "password": "guess"}) for _ in range(3)]
    assert [response.status_code for response in wrong[:2]] == [401, 401]
    assert_locked_out(wrong[2], json_body=True)
    assert_locked_out(client.post(TOKEN, {"username": officer.username, "password": PASSWORD}), json_body=True)


def test_the_lockout_holds_a_username_at_an_address_so_others_elsewhere_are_not_shut_out(lockout):
    officer = StaffUserFactory()
    for _ in range(3):
        admin_login(Client(REMOTE_ADDR="10.1.0.4"), officer.username, "guess")

    elsewhere = Client(REMOTE_ADDR="10.1.0.5")
    response = admin_login(elsewhere, officer.username, PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert elsewhere.session[SESSION_KEY] == str(officer.pk)


def test_a_successful_login_before_the_limit_starts_the_count_again(lockout):
    officer = StaffUserFactory()
    client = Client(REMOTE_ADDR="10.1.0.6")
    for _ in range(2):
        admin_login(client, officer.username, "guess")
    assert admin_login(client, officer.username, PASSWORD).status_code == HTTPStatus.FOUND

    client.logout()
    assert [admin_login(client, officer.username, "guess").status_code for _ in range(2)] == [200, 200]
