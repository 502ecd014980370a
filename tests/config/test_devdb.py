"""The embedded server's life cycle, on a throwaway data folder of its own."""

import subprocess
import sys

import psutil
import pytest

from database import devdb

pytestmark = pytest.mark.slow


def _postgres_processes_for(pgdata) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(pgdata) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_run_starts_a_server_for_the_command_and_leaves_none_running(tmp_path, subprocess_env):
    pgdata = tmp_path / "pg"
    env = {**subprocess_env, "EMBEDDED_PG_DIR": str(pgdata)}
    env.pop("DATABASE_URL", None)
    probe = (
        "import os, psycopg; print(psycopg.connect(os.environ['DATABASE_URL']).execute('SELECT 40 + 2').fetchone()[0])"
    )

    result = subprocess.run(
        [sys.executable, "-m", "database.devdb", "run", "--", sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("42")
    assert (pgdata / "PG_VERSION").exists(), "the data folder is kept for the next run"
    assert not devdb.is_running(pgdata)
    assert _postgres_processes_for(pgdata) == []


def test_run_passes_on_the_command_exit_status(tmp_path, subprocess_env):
    env = {**subprocess_env, "DATABASE_URL": "postgres://unused@localhost/unused"}
    result = subprocess.run(
        [sys.executable, "-m", "database.devdb", "run", "--", sys.executable, "-c", "raise SystemExit(7)"],
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 7


def test_socket_urls_quote_the_database_name_but_not_the_path():
    assert devdb.socket_url("/a b/pg", "x y") == "postgres://postgres@/x%20y?host=/a%20b/pg"
