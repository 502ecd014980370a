"""Bodies that used to hang or crash the service, sent over real sockets to gunicorn serving the app as
`make run` and the Docker image serve it (config/gunicorn.py), and to a plain sync gunicorn where it matters.

Before: two clients sending half a body to the token endpoint stalled both sync workers for 31 s; JSON
nested thousands of levels deep gave a 500; a chunked PATCH answered 200, changed nothing and raised the
version.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from knox.models import AuthToken

from projects.models import Project
from tests.conftest import REPO
from tests.contract import client_for, error_of, staff_user
from tests.factories import ProjectFactory

TOKEN_PATH = "/api/v1/auth/token/"
HALF_BODY_CLIENTS = 8
BODY_TIMEOUT = 8  # long enough for the other tests to send their bodies on a loaded machine


def _database_url() -> str:
    params = connection.get_connection_params()
    host = params.get("host") or "localhost"
    userinfo = params.get("user", "postgres") + (f":{params['password']}" if params.get("password") else "")
    name = connection.settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgres://{userinfo}@/{name}?host={host}"
    return f"postgres://{userinfo}@{host}:{params.get('port') or 5432}/{name}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(env: dict[str, str], *options: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", *options],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout=5)[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.3)
    _stop(server)
    raise AssertionError("gunicorn did not answer /healthz")


def _stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def server_env(django_db_setup, django_db_blocker) -> dict[str, str]:
    with django_db_blocker.unblock():
        url = _database_url()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PATH"] = f"{os.path.dirname(sys.executable)}{os.pathsep}{env.get('PATH', '')}"
    return {
        **env,
        "DATABASE_URL": url,
        "API_THROTTLE_LOGIN": "1000/min",
        "API_THROTTLE_ANON": "1000/min",
        "WEB_CONCURRENCY": "2",
        "WEB_BODY_TIMEOUT": str(BODY_TIMEOUT),
    }


@pytest.fixture(scope="module")
def served(server_env) -> Iterator[int]:
    """The port of gunicorn started with the settings the entrypoint gives it."""
    server, port = _start(server_env, "--config", "config/gunicorn.py")
    yield port
    _stop(server)


@pytest.fixture(scope="module")
def sync_served(server_env) -> Iterator[int]:
    """The port of gunicorn with its default sync workers, which hand Django the body unread."""
    server, port = _start(server_env, "--workers", "1")
    yield port
    _stop(server)


def _request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _exchange(port: int, raw: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """Send `raw` and read the answer until the server closes: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        return _answer(sock)


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        body = _unchunked(body)
    return int(head.split(b" ", 2)[1]), body


def _unchunked(data: bytes) -> bytes:
    body = b""
    while True:
        size, _, data = data.partition(b"\r\n")
        if not int(size, 16):
            return body
        body, data = body + data[: int(size, 16)], data[int(size, 16) + 2 :]


def _chunked(body: bytes, size: int = 7) -> bytes:
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def _half_a_token_request(port: int) -> socket.socket:
    body = json.dumps({"username": "nobody", "password": "not-this-one"}).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    sock.sendall(_request("POST", TOKEN_PATH, body[: len(body) // 2], headers))
    return sock


#
# Slow and partial bodies
#


@pytest.mark.slow
def test_clients_sending_half_a_body_cost_a_connection_while_others_are_answered(served):
    stalled = [_half_a_token_request(served) for _ in range(HALF_BODY_CLIENTS)]
    try:
        time.sleep(0.5)  # every half body is in, and waiting
        started = time.monotonic()
        status, _ = _exchange(served, _request("GET", "/healthz"))
        assert status == 200
        body = json.dumps({"username": "nobody", "password": "not-this-one"}).encode()
        status, answer = _exchange(
            served,
            _request("POST", TOKEN_PATH, body, {"Content-Type": "application/json", "Content-Length": str(len(body))}),
        )
        assert status == 401
        assert json.loads(answer)["error"]["code"] == "authentication_failed"
        # Before: 31 s with two such clients. Generous, for a shared machine.
        assert time.monotonic() - started < 5

        # The waiting clients were kept, not dropped: the one that sends the rest is answered.
        first = stalled[0]
        first.sendall(body[len(body) // 2 :])
        assert _answer(first)[0] == 401
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.slow
def test_a_body_that_stops_arriving_is_answered_408_after_the_body_timeout(served):
    with _half_a_token_request(served) as sock:
        started = time.monotonic()
        status, answer = _answer(sock)
    assert status == 408
    assert json.loads(answer)["error"]["code"] == "body_timeout"
    assert BODY_TIMEOUT - 0.5 < time.monotonic() - started < BODY_TIMEOUT + 10


#
# Deep JSON
#


@pytest.mark.slow
def test_json_nested_thousands_of_levels_deep_gets_400_in_the_error_envelope_anonymously(served):
    body = b"[" * 5000 + b"]" * 5000
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    status, answer = _exchange(served, _request("POST", TOKEN_PATH, body, headers))
    assert status == 400
    error = json.loads(answer)["error"]
    assert error["code"] == "parse_error"
    assert "nested deeper than 64 levels" in error["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [65, 900, 3000])
def test_json_nested_deeper_than_the_limit_is_refused_with_400(depth):
    body = '{"a":' * depth + "1" + "}" * depth
    response = client_for().post(TOKEN_PATH, body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.django_db
def test_json_nested_as_deep_as_the_limit_is_parsed():
    body = '{"username":' + "[" * 63 + '"x"' + "]" * 63 + ', "password": "p"}'
    response = client_for().post(TOKEN_PATH, body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid"  # the fields' validation, past the parser


#
# Chunked bodies
#


def _editor_token_and_project() -> tuple[str, Project]:
    user = staff_user(Project, "view", "change")
    _, token = AuthToken.objects.create(user)
    return token, ProjectFactory(name="Before")


def _chunked_patch(port: int, token: str, project: Project, body: bytes) -> tuple[int, bytes]:
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "If-Match": f'"{project.version}"',
        "Transfer-Encoding": "chunked",
    }
    return _exchange(port, _request("PATCH", f"/api/v1/projects/{project.slug}/", _chunked(body), headers))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunked_patch_is_read_and_applied(served):
    token, project = _editor_token_and_project()

    status, answer = _chunked_patch(served, token, project, json.dumps({"name": "Read from chunks"}).encode())

    assert status == 200, answer
    assert json.loads(answer)["name"] == "Read from chunks"
    project.refresh_from_db()
    assert (project.name, project.version) == ("Read from chunks", 2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_refused_with_413(served, settings):
    token, project = _editor_token_and_project()
    body = json.dumps({"name": "x" * (settings.API_MAX_BODY_BYTES + 1)}).encode()

    status, answer = _chunked_patch(served, token, project, body)

    assert status == 413
    assert json.loads(answer)["error"]["code"] == "too_large"
    project.refresh_from_db()
    assert (project.name, project.version) == ("Before", 1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunked_patch_to_a_server_that_hands_it_over_unread_gets_411_and_changes_nothing(sync_served):
    token, project = _editor_token_and_project()

    status, answer = _chunked_patch(sync_served, token, project, json.dumps({"name": "Lost"}).encode())

    assert status == 411
    assert json.loads(answer)["error"]["code"] == "length_required"
    project.refresh_from_db()
    assert (project.name, project.version) == ("Before", 1)


#
# What the buffering passes on
#


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_csv_export_streams_whole_from_the_worker_that_runs_django(served):
    ProjectFactory.create_batch(3)

    status, answer = _exchange(served, _request("GET", "/api/v1/projects/?format=csv"))

    assert status == 200
    assert len(answer.decode("utf-8-sig").strip().splitlines()) == 1 + 3


@pytest.mark.slow
def test_a_body_outside_the_api_may_pass_the_apis_limit(served, settings):
    boundary = "tracker-boundary"
    upload = b"x" * (settings.API_MAX_BODY_BYTES * 2)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="import_file"; filename="rows.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + upload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))}

    status, _ = _exchange(served, _request("POST", "/admin/login/", body, headers))

    assert status == 403  # Django read it, and found no CSRF token: not 413 from the buffering
