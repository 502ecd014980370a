"""API tokens (issue 5, point 1): issued by the token endpoint, the admin and `manage.py issue_token`;
stored only as a hash; expiring; revocable. A call without valid credentials gets 401 with
`WWW-Authenticate: Token`, and session login keeps working for the admin and the browsable API.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework.test import APIClient

from accounts.roles import Role
from core.seed import seed_load
from sources.models import Source
from tests.accounts import user_with_role
from tests.contract import error_of
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REVOKE_URL = "/api/v1/auth/token/revoke/"
ONE_MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def officer():
    """A bureau administrator: a write that succeeds proves the token was taken for them."""
    return user_with_role(Role.BUREAU_ADMIN)


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def write_with(token: str) -> int:
    """The status of a write (adding a source) made with `token`."""
    slug = f"bulletin-{Source.objects.count()}"
    response = with_token(token).post("/api/v1/sources/", {"slug": slug, "title": "Lishui bulletin"}, format="json")
    return response.status_code


def log_in(username: str, password: str = PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")


def stored_rows() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        return cursor.fetchall()


#
# Issued through the endpoint
#


def test_a_username_and_password_get_a_token_that_lets_them_write(officer):
    response = log_in(officer.username)
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == officer.username
    assert re.fullmatch(r"[0-9a-f]{64}", body["token"])
    assert write_with(body["token"]) == 201


def test_a_token_from_the_endpoint_expires_after_the_configured_lifetime(officer):
    before = timezone.now()
    expiry = dt.datetime.fromisoformat(log_in(officer.username).json()["expiry"])
    assert before + knox_settings.TOKEN_TTL - ONE_MINUTE < expiry < timezone.now() + knox_settings.TOKEN_TTL
    assert AuthToken.objects.get(user=officer).expiry == expiry


@pytest.mark.parametrize(
    ("username", "password", "active"),
    [("officer", "wrong-password", True), ("nobody", PASSWORD, True), ("officer", PASSWORD, False)],
    ids=["wrong password", "unknown user", "inactive user"],
)
def test_wrong_credentials_are_a_json_401_naming_the_token_scheme(username, password, active):
    UserFactory(username="officer", is_active=active)
    response = log_in(username, password)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response) == {"code": "authentication_failed", "message": "Unknown username or wrong password."}
    assert not AuthToken.objects.exists()


def test_a_login_without_a_password_is_a_400_naming_the_field(officer):
    response = APIClient().post(TOKEN_URL, {"username": officer.username}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["password"]


#
# Stored hashed, expiring, revocable
#


def test_only_a_hash_of_the_token_is_stored(officer):
    token = log_in(officer.username).json()["token"]
    [row] = stored_rows()
    assert not any(token in str(value) for value in row)
    assert AuthToken.objects.get(user=officer).digest == hash_token(token)


def test_a_token_past_its_expiry_is_refused(officer):
    instance, token = AuthToken.objects.create(user=officer)
    assert write_with(token) == 201
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = with_token(token).get("/api/v1/regions/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert write_with(token) == 401


def test_revoking_a_token_ends_it_and_no_other(officer):
    _instance, token = AuthToken.objects.create(user=officer)
    _other, other_token = AuthToken.objects.create(user=officer)
    assert with_token(token).post(REVOKE_URL).status_code == 204
    assert write_with(token) == 401
    assert write_with(other_token) == 201


def test_revoking_all_ends_every_token_of_the_user_and_only_theirs(officer):
    tokens = [AuthToken.objects.create(user=officer)[1] for _ in range(3)]
    colleague_token = AuthToken.objects.create(user=user_with_role(Role.VIEWER))[1]
    assert with_token(tokens[0]).post(f"{REVOKE_URL}?all=true").status_code == 204
    assert [write_with(token) for token in tokens] == [401, 401, 401]
    assert with_token(colleague_token).get("/api/v1/regions/").status_code == 200
    assert AuthToken.objects.count() == 1


def test_revoking_needs_a_token(officer):
    signed_in = APIClient()
    signed_in.force_login(officer)
    for client in (APIClient(), signed_in):
        response = client.post(REVOKE_URL)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"


#
# What a request without valid credentials gets
#


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_without_credentials_is_a_401_naming_the_token_scheme(method):
    response = getattr(APIClient(), method)("/api/v1/sources/1/" if method != "post" else "/api/v1/sources/", {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "not_authenticated"


BAD_HEADERS = {
    "no token": "Token",
    "two words": "Token abc def",
    "too short": "Token abc",
    "unknown": "Token " + "0" * 64,
}
# Credentials that are not even text: knox chokes on them unless accounts.authentication checks them first.
NOT_TEXT = {"a Latin-1 byte": "Token caf\xe9", "a NUL byte": "Token abc\x00def"}


@pytest.mark.parametrize("header", BAD_HEADERS.values(), ids=BAD_HEADERS.keys())
def test_a_malformed_or_unknown_token_is_a_401_even_on_a_read(header):
    response = APIClient().get("/api/v1/regions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response)["code"] == "authentication_failed"


def test_a_revoked_token_is_a_401_on_a_read(officer):
    instance, token = AuthToken.objects.create(user=officer)
    instance.delete()
    assert with_token(token).get("/api/v1/regions/").status_code == 401


@pytest.mark.parametrize("header", NOT_TEXT.values(), ids=NOT_TEXT.keys())
def test_a_token_that_is_not_text_is_a_401_on_any_read(header):
    client = APIClient(raise_request_exception=False)
    response = client.get("/api/v1/regions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


@pytest.mark.parametrize("header", NOT_TEXT.values(), ids=NOT_TEXT.keys())
def test_a_token_that_is_not_text_is_a_401_where_the_accounts_authentication_is_used(header):
    response = APIClient().post(REVOKE_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert error_of(response) == {"code": "authentication_failed", "message": "Invalid token."}


#
# Issued through the admin
#


def test_the_admin_issues_a_token_and_shows_it_once_in_a_message(admin_client, officer):
    add_url = "/admin/knox/authtoken/add/"
    form = admin_client.get(add_url).context["adminform"].form
    proposed = form["expiry"].value()
    assert abs(proposed - (timezone.now() + knox_settings.TOKEN_TTL)) < ONE_MINUTE
    expiry = timezone.localtime(timezone.now() + dt.timedelta(days=7))
    response = admin_client.post(
        add_url,
        {"user": officer.pk, "expiry_0": expiry.strftime("%Y-%m-%d"), "expiry_1": expiry.strftime("%H:%M:%S")},
        follow=True,
    )
    [token] = [str(m).removeprefix("TOKEN ") for m in get_messages(response.wsgi_request) if str(m).startswith("TOKEN")]
    assert write_with(token) == 201
    assert abs(AuthToken.objects.get(user=officer).expiry - expiry) < dt.timedelta(seconds=1)
    stored = AuthToken.objects.get(user=officer)
    for page in ("/admin/knox/authtoken/", reverse("admin:knox_authtoken_change", args=[stored.pk])):
        response = admin_client.get(page)
        assert response.status_code == 200
        assert token not in response.content.decode()


@pytest.mark.parametrize("days", [None, -1], ids=["no expiry", "an expiry in the past"])
def test_the_admin_refuses_a_token_that_would_not_expire_in_the_future(admin_client, officer, days):
    expiry = timezone.localtime(timezone.now() + dt.timedelta(days=days or 0))
    date, time = (expiry.strftime("%Y-%m-%d"), expiry.strftime("%H:%M:%S")) if days else ("", "")
    response = admin_client.post("/admin/knox/authtoken/add/", {"user": officer.pk, "expiry_0": date, "expiry_1": time})
    assert response.status_code == 200
    assert "expiry" in response.context["adminform"].form.errors
    assert not AuthToken.objects.exists()


#
# Issued by `manage.py issue_token`
#


def issue_token(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_issue_token_prints_a_token_that_works_for_the_hours_asked(officer):
    token, message = issue_token(officer.username, "--hours", "2")
    assert write_with(token) == 201
    expiry = AuthToken.objects.get(user=officer).expiry
    assert abs(expiry - (timezone.now() + dt.timedelta(hours=2))) < ONE_MINUTE
    assert f"Token for {officer.username}, valid until" in message


def test_issue_token_defaults_to_the_configured_lifetime(officer):
    token, _message = issue_token(officer.username)
    assert AuthToken.objects.get(user=officer).digest == hash_token(token)
    expiry = AuthToken.objects.get(user=officer).expiry
    assert abs(expiry - (timezone.now() + knox_settings.TOKEN_TTL)) < ONE_MINUTE


@pytest.mark.parametrize("active", [True, False], ids=["unknown", "inactive"])
def test_issue_token_refuses_a_user_who_cannot_sign_in(active):
    UserFactory(username="retired", is_active=active)
    with pytest.raises(CommandError, match="No active user named"):
        issue_token("retired" if not active else "nobody")
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize("hours", ["0", "-3", "many"])
def test_issue_token_refuses_a_lifetime_that_is_not_a_positive_number_of_hours(officer, hours):
    with pytest.raises(CommandError, match="--hours"):
        issue_token(officer.username, "--hours", hours)
    assert not AuthToken.objects.exists()


#
# Session login: the admin and the browsable API
#


def test_a_session_opens_the_admin_and_the_browsable_api():
    staff = user_with_role(Role.VIEWER, is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200
    response = client.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert staff.username in response.content.decode()


def test_a_session_write_needs_the_csrf_token(officer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post("/api/v1/sources/", {"slug": "bulletin", "title": "Lishui bulletin"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    assert not Source.objects.exists()


def test_a_session_user_reads_the_api_as_themselves(officer):
    client = APIClient()
    client.force_login(officer)
    response = client.post("/api/v1/sources/", {"slug": "bulletin", "title": "Lishui bulletin"}, format="json")
    assert response.status_code == 201
    assert Source.objects.get().slug == "bulletin"


def test_without_a_session_cookie_no_session_is_built_and_the_answer_still_varies_on_cookie(api_client):
    response = api_client.get("/api/v1/regions/")
    assert response.status_code == 200
    assert "Cookie" in {part.strip() for part in response["Vary"].split(",")}
    assert not response.cookies  # no session (nor any cookie) for a request that brought none


def test_a_session_cookie_that_names_no_session_is_anonymous(api_client, settings):
    api_client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    assert api_client.get("/api/v1/regions/").status_code == 200
    response = api_client.post("/api/v1/sources/", {"slug": "bulletin", "title": "Lishui bulletin"}, format="json")
    assert response.status_code == 401
    assert not Source.objects.exists()


def parent_options(html: str) -> list[str]:
    select = re.search(r'<select[^>]*name="parent"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no parent field in the form"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_the_browsable_api_offers_an_editor_only_their_regions():
    seed_load()
    editor = Client()
    editor.force_login(user_with_role(Role.REGIONAL_EDITOR, regions=("331102",), is_staff=True))
    response = editor.get("/api/v1/regions/331102-BQ/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert parent_options(response.content.decode()) == ["", "331102", "331102-BQ"]
    # Their own district keeps the city it sits in as a choice: it is its current parent.
    response = editor.get("/api/v1/regions/331102/", HTTP_ACCEPT="text/html")
    assert parent_options(response.content.decode()) == ["", "331100", "331102", "331102-BQ"]


def test_a_signed_in_writer_opens_any_collection_in_the_browsable_api():
    seed_load()
    client = Client(raise_request_exception=False)
    client.force_login(user_with_role(Role.BUREAU_ADMIN, is_staff=True))
    statuses = {
        url: client.get(url, HTTP_ACCEPT="text/html").status_code for url in ("/api/v1/projects/", "/api/v1/companies/")
    }
    assert statuses == {"/api/v1/projects/": 200, "/api/v1/companies/": 200}


@pytest.mark.parametrize("prefix", ["Bearer", "bearer", "Token"])
def test_a_token_works_behind_the_bearer_prefix_swagger_and_generated_clients_send_as_well_as_knoxs(officer, prefix):
    token = log_in(officer.username).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{prefix} {token}")

    response = client.post("/api/v1/sources/", {"slug": f"b-{prefix}", "title": "Lishui bulletin"}, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize("header", ["Bearer", "Bearer one two"])
def test_a_bearer_header_without_exactly_one_token_is_a_401_saying_how_to_send_it(header):
    response = APIClient().get("/api/v1/projects/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert "Bearer <token>" in error_of(response)["message"]


def test_the_openapi_document_declares_the_token_as_an_http_bearer_scheme():
    schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert schema["components"]["securitySchemes"]["knoxApiToken"]["type"] == "http"
    assert schema["components"]["securitySchemes"]["knoxApiToken"]["scheme"] == "bearer"
