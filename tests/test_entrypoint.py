"""The container's entrypoint, run here outside Docker: migrate, seed, serve with gunicorn."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from tests.conftest import REPO

pytestmark = [pytest.mark.slow]


@pytest.fixture
def scratch_database_url(django_db_blocker):
    """A database of its own on the test server, so the served data never mixes with other tests'."""
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    name = f"{connection.settings_dict['NAME']}_entrypoint"
    admin = {**params, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    host = params.get("host") or "localhost"
    userinfo = params.get("user", "postgres")
    if params.get("password"):
        userinfo += f":{params['password']}"
    if host.startswith("/"):
        url = f"postgres://{userinfo}@/{name}?host={host}"
    else:
        url = f"postgres://{userinfo}@{host}:{params.get('port') or 5432}/{name}"
    yield url
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server on loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_entrypoint_migrates_seeds_and_serves_healthz(scratch_database_url, subprocess_env, free_port, tmp_path):
    env = {
        **subprocess_env,
        "DATABASE_URL": scratch_database_url,
        "HOST": "127.0.0.1",
        "PORT": str(free_port),
        "WEB_CONCURRENCY": "2",
        "DJANGO_SUPERUSER_PASSWORD": "entrypoint-test-password",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }
    log = tmp_path / "entrypoint.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            ["sh", "scripts/entrypoint.sh"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{free_port}"
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(f"{base}/healthz")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        output = log.read_text()
        assert status == 200, output
        assert json.loads(body) == {"status": "ok"}  # the database's name is for staff (api/health.py)
        assert f"{base}/api/v1/" in output
        assert f"{base}/api/docs/" in output
        assert f"{base}/admin/" in output
        assert "Created administrator 'admin'" in output
        assert "Seed data changed" in output
        assert _get(f"{base}/api/v1/")[0] == 200
        assert _get(f"{base}/admin/login/")[0] == 200
        docs_status, _docs = _get(f"{base}/api/docs/")
        assert docs_status == 200
        assert _get(f"{base}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")[0] == 200
        workers = [
            p
            for p in __import__("psutil").Process(server.pid).children(recursive=True)
            if "gunicorn" in " ".join(p.cmdline())
        ]
        assert len(workers) >= 2, "gunicorn serves with two or more workers"

        # Clients that send half a body hold their connections only (tests/reliability/test_hostile_bodies.py).
        stalled = [socket.create_connection(("127.0.0.1", free_port)) for _ in range(2 * len(workers))]
        for sock in stalled:
            sock.sendall(b'POST /api/v1/auth/token/ HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{"user')
        try:
            started = time.monotonic()
            assert _get(f"{base}/healthz")[0] == 200
            assert time.monotonic() - started < 5
        finally:
            for sock in stalled:
                sock.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
