"""Deployment safety (issue 5, point 7): security headers everywhere, HTTPS, and quiet error pages.

The production checks run in a child process with production settings, as a deployment would;
`check --deploy` under those settings is tested in tests/config/test_settings.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from regions.views import RegionViewSet
from tests.conftest import REPO
from tests.contract import error_of
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


EXPECTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
RESPONSES = {
    "API JSON": ("get", "/api/v1/regions/", HTTPStatus.OK),
    "API root": ("get", "/api/v1/", HTTPStatus.OK),
    "API 404 from a view": ("get", "/api/v1/regions/no-such-region/", HTTPStatus.NOT_FOUND),
    "API 404 from the URLs": ("get", "/api/v1/no-such-collection/", HTTPStatus.NOT_FOUND),
    "API 400": ("get", "/api/v1/projects/?search=" + "x" * 101, HTTPStatus.BAD_REQUEST),
    "API 401": ("post", "/api/v1/regions/", HTTPStatus.UNAUTHORIZED),
    "OpenAPI document": ("get", "/api/schema/", HTTPStatus.OK),
    "Swagger UI": ("get", "/api/docs/", HTTPStatus.OK),
    "Redoc": ("get", "/api/redoc/", HTTPStatus.OK),
    "admin login": ("get", "/admin/login/", HTTPStatus.OK),
    "admin redirect": ("get", "/admin/", HTTPStatus.FOUND),
    "health": ("get", "/healthz", HTTPStatus.OK),
    "health 405": ("post", "/healthz", HTTPStatus.METHOD_NOT_ALLOWED),
    "static file": ("get", "/static/admin/css/base.css", HTTPStatus.OK),
    "docs static file": ("get", "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css", HTTPStatus.OK),
    "page 404": ("get", "/no-such-page", HTTPStatus.NOT_FOUND),
}


def assert_security_headers(response) -> None:
    for name, value in EXPECTED_HEADERS.items():
        assert response.get(name) == value, f"{name}: {response.get(name)!r}"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("what", list(RESPONSES))
def test_every_kind_of_response_carries_the_security_headers(what):
    method, url, status = RESPONSES[what]
    response = getattr(Client(), method)(url)
    assert response.status_code == status
    assert_security_headers(response)


@override_settings(API_MAX_BODY_BYTES=16)
def test_a_refused_body_carries_the_security_headers_too():
    response = APIClient().post("/api/v1/regions/", {"name": "x" * 100}, format="json")
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert_security_headers(response)


@override_settings(API_THROTTLE_RATES={"anon": "1/min"})
@pytest.mark.django_db
def test_a_throttled_response_carries_the_security_headers_too():
    client = APIClient(REMOTE_ADDR="10.2.0.1")
    client.get("/api/v1/regions/")
    response = client.get("/api/v1/regions/")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_security_headers(response)


def test_the_admin_pages_a_signed_in_user_sees_carry_the_security_headers():
    client = Client()
    client.force_login(StaffUserFactory(is_superuser=True))
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.OK
    assert_security_headers(response)


def test_an_unknown_api_address_answers_with_the_json_error_shape():
    response = APIClient().get("/api/v1/no-such-collection/")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert error_of(response) == {"code": "not_found", "message": "There is nothing at this address."}


def test_an_unknown_page_outside_the_api_stays_an_html_page():
    response = Client().get("/no-such-page")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response["Content-Type"].startswith("text/html")


def explode(*args, **kwargs):
    raise RuntimeError(f"{settings.SECRET_KEY} in {__file__}")


def test_an_unhandled_error_in_the_api_answers_a_json_500_that_gives_nothing_away(monkeypatch):
    monkeypatch.setattr(RegionViewSet, "list", explode)
    response = APIClient(raise_request_exception=False).get("/api/v1/regions/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert error_of(response) == {"code": "server_error", "message": "Something went wrong on our side."}
    assert_security_headers(response)
    body = response.content.decode()
    assert settings.SECRET_KEY not in body
    assert "Traceback" not in body
    assert ".py" not in body


#
# Production settings, in a child process
#

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "p" * 64 + "-a-long-random-production-secret",
    "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
}

# Runs under production settings against the test database; prints one JSON line per request.
# One API view and the admin login are made to fail the way a bug would.
SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import django
    django.setup()
    from django.conf import settings
    settings.DATABASES["default"]["NAME"] = os.environ["TRACKER_TEST_DATABASE"]

    from django.contrib.admin.sites import AdminSite
    from django.test import Client
    from regions.views import RegionViewSet

    def explode(*args, **kwargs):
        raise RuntimeError(f"{settings.SECRET_KEY} at {django.__file__} with {settings.DATABASES}")

    RegionViewSet.list = explode
    AdminSite.login = explode

    client = Client(raise_request_exception=False, HTTP_HOST="tracker.example.org")
    for name, path, extra in [
        ("http api", "/api/v1/", {}),
        ("http health", "/healthz", {}),
        ("https api", "/api/v1/", {"secure": True}),
        ("proxied https api", "/api/v1/", {"HTTP_X_FORWARDED_PROTO": "https"}),
        ("https api 404", "/api/v1/no-such-collection/", {"secure": True}),
        ("https api 500", "/api/v1/regions/", {"secure": True}),
        ("https page 500", "/admin/login/", {"secure": True}),
    ]:
        response = client.get(path, **extra)
        print(json.dumps({
            "name": name,
            "status": response.status_code,
            "headers": dict(response.headers),
            "body": response.content.decode(),
        }))
    """
)


@pytest.fixture(scope="module")
def production(django_db_setup) -> dict:
    """The answers of the script above, by name, and its log (stderr) under "log"."""
    env = {**os.environ, **PRODUCTION, "TRACKER_TEST_DATABASE": settings.DATABASES["default"]["NAME"]}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DJANGO_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {"log": result.stderr} | {answer["name"]: answer for answer in answers}


@pytest.mark.slow
def test_production_redirects_plain_http_to_https(production):
    answer = production["http api"]
    assert answer["status"] == HTTPStatus.MOVED_PERMANENTLY
    assert answer["headers"]["Location"] == "https://tracker.example.org/api/v1/"


@pytest.mark.slow
def test_production_answers_health_probes_over_plain_http(production):
    answer = production["http health"]
    assert answer["status"] == HTTPStatus.OK
    assert json.loads(answer["body"])["status"] == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["https api", "proxied https api"])
def test_production_serves_https_with_hsts_and_the_security_headers(production, name):
    answer = production[name]
    assert answer["status"] == HTTPStatus.OK
    headers = answer["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    for header, value in EXPECTED_HEADERS.items():
        assert headers[header] == value
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "Permissions-Policy" in headers


@pytest.mark.slow
def test_production_answers_an_unknown_api_address_with_the_json_error_shape(production):
    answer = production["https api 404"]
    assert answer["status"] == HTTPStatus.NOT_FOUND
    assert json.loads(answer["body"]) == {
        "error": {"code": "not_found", "message": "There is nothing at this address."}
    }


def assert_gives_nothing_away(body: str) -> None:
    for secret in (
        "Traceback",
        "RuntimeError",
        ".py",
        "/work",
        PRODUCTION["DJANGO_SECRET_KEY"],
        "DATABASES",
        "PASSWORD",
    ):
        assert secret not in body, f"{secret!r} in the error page"


@pytest.mark.slow
def test_production_answers_an_api_crash_with_a_bare_json_500(production):
    answer = production["https api 500"]
    assert answer["status"] == HTTPStatus.INTERNAL_SERVER_ERROR
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {
        "error": {"code": "server_error", "message": "Something went wrong on our side."}
    }
    assert_gives_nothing_away(answer["body"])
    assert "Strict-Transport-Security" in answer["headers"]
    # The operators still learn what happened: the traceback goes to the log.
    assert "Internal Server Error: /api/v1/regions/" in production["log"]
    assert "RuntimeError" in production["log"]


@pytest.mark.slow
def test_production_answers_a_page_crash_with_a_short_plain_page(production):
    answer = production["https page 500"]
    assert answer["status"] == HTTPStatus.INTERNAL_SERVER_ERROR
    assert answer["headers"]["Content-Type"].startswith("text/html")
    assert len(answer["body"]) < 200
    assert "Server Error (500)" in answer["body"]
    assert_gives_nothing_away(answer["body"])
