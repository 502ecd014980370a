from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from tests.factories import StaffUserFactory


@pytest.mark.django_db
def test_healthz_tells_anonymous_callers_the_status_alone():
    response = Client().get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_healthz_reports_the_database_answer_to_signed_in_staff():
    client = Client()
    client.force_login(StaffUserFactory())
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["name"] == connection.settings_dict["NAME"]
    assert body["database"]["server_version"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_answers_503_when_the_database_cannot_be_reached(django_db_blocker):
    with django_db_blocker.unblock():
        connection.close()
        saved = connection.settings_dict.copy()
        saved_options = dict(saved.get("OPTIONS", {}))
        try:
            connection.settings_dict["HOST"] = "127.0.0.1"
            connection.settings_dict["PORT"] = "1"  # nothing listens on port 1
            connection.settings_dict["OPTIONS"] = {k: v for k, v in saved_options.items() if k != "host"}
            connection.settings_dict["OPTIONS"]["connect_timeout"] = 2
            response = Client().get("/healthz")
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)
            connection.settings_dict["OPTIONS"] = saved_options

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "unavailable"}


def test_healthz_refuses_writes():
    assert Client().post("/healthz").status_code == HTTPStatus.METHOD_NOT_ALLOWED
