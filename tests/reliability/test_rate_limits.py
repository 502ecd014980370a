"""Rate limits hold under concurrency (issue 20, point 5): 32 clients at once against a running server.

gunicorn serves the app from the test database, with two worker processes of four threads each: requests are
counted by eight handlers at once in two processes, as in production, while PostgreSQL sees at most eight
connections per alias from it. Each case runs with the counts in PostgreSQL (no `REDIS_URL`, the default) and in
Redis (tests/reliability/redis_server.py). The rates are per hour rather than per minute so that a slow machine
cannot let a window end in the middle of a burst (the fixed window would then rightly let more through); the
counting is the same for every period.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.db import connections
from django.test import override_settings
from knox.models import AuthToken

from tests.conftest import REPO
from tests.factories import UserFactory
from tests.reliability.redis_server import DATABASE_CACHES, REDIS_CACHES, REDIS_LOCATION, redis_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENTS = 32
ANON, USER, LOGIN = 120, 600, 10
REGIONS = "/api/v1/regions/"
TOKEN = "/api/v1/auth/token/"


class Server:
    def __init__(self, base: str, store: str) -> None:
        self.base, self.store = base, store

    def request(self, path: str, *, token: str | None = None, form: dict[str, str] | None = None) -> tuple[int, dict]:
        """Status and JSON body of one request on a connection of its own."""
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Token {token}"
        data = None
        if form is not None:
            data = json.dumps(form).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310 - our server
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read() or b"{}")
            if exc.code == 429:  # every refusal says when to come back
                body["retry_after"] = int(exc.headers["Retry-After"])
            return exc.code, body

    def burst(self, times: int, path: str, **kwargs) -> list[tuple[int, dict]]:
        with ThreadPoolExecutor(CLIENTS) as pool:
            return list(pool.map(lambda _: self.request(path, **kwargs), range(times)))


def _test_database_url() -> str:
    """The test database's URL, over TCP or, for the embedded server, over its Unix socket directory."""
    settings = connections["default"].settings_dict
    user, name = settings["USER"] or "postgres", settings["NAME"]
    socket_dir = settings["OPTIONS"].get("host") or (settings["HOST"] if settings["HOST"].startswith("/") else "")
    if socket_dir:
        return f"postgres://{user}@/{name}?host={quote(socket_dir, safe='/')}"
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


def _wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"gunicorn did not answer /healthz within 120 s:\n{log.read_text()}")


@pytest.fixture(scope="module", params=["database", "redis"])
def server(request, django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Server]:
    store = request.param
    if store == "redis":
        redis_or_skip().close()
    with django_db_blocker.unblock():
        database_url = _test_database_url()
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DATABASE_URL=database_url,
        API_THROTTLE_ANON=f"{ANON}/hour",
        API_THROTTLE_USER=f"{USER}/hour",
        API_THROTTLE_LOGIN=f"{LOGIN}/hour",
        DJANGO_LOG_LEVEL="ERROR",
    )
    if store == "redis":
        env["REDIS_URL"] = REDIS_LOCATION
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "gunicorn", "config.wsgi:application"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4"),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log)
        yield Server(base, store)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def counts_from_zero(server: Server) -> Iterator[None]:
    """No count left from the previous test, in the store this server uses."""
    with override_settings(CACHES=REDIS_CACHES if server.store == "redis" else DATABASE_CACHES):
        cache.clear()
        with connections["default"].cursor() as cursor:
            cursor.execute("DELETE FROM ratelimits_window")
        yield


def _codes(responses: list[tuple[int, dict]]) -> Counter:
    """How many answers of each status; a 429 by its error code (throttled, or locked out by django-axes)."""
    assert all(body["retry_after"] > 0 for status, body in responses if status == 429)
    return Counter(status if status != 429 else body["error"]["code"] for status, body in responses)


def test_of_400_anonymous_requests_from_32_clients_exactly_the_limit_passes(server, counts_from_zero):
    responses = server.burst(400, REGIONS)
    assert _codes(responses) == {200: ANON, "throttled": 400 - ANON}


def test_of_1200_requests_of_one_user_from_32_clients_exactly_the_limit_passes(server, counts_from_zero):
    token = AuthToken.objects.create(user=UserFactory())[1]
    responses = server.burst(1200, REGIONS, token=token)
    assert _codes(responses) == {200: USER, "throttled": 1200 - USER}


def test_of_60_logins_from_32_clients_exactly_the_limit_reaches_the_password_check_and_axes_counts_them(
    server, counts_from_zero
):
    user = UserFactory()
    responses = server.burst(60, TOKEN, form={"username": user.username, "password": "a wrong guess"})
    codes = _codes(responses)
    assert codes["throttled"] == 60 - LOGIN
    # The ten let through were checked: wrong passwords, until django-axes locked the username out at this address.
    assert codes[401] + codes["locked_out"] == LOGIN
    assert codes["locked_out"] > 0
    attempt = AccessAttempt.objects.get(username=user.username)
    assert attempt.failures_since_start >= 5
