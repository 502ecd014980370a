"""Which database the benchmark uses: its own (`tracker_bench`), never the dev or test database."""

# ruff: noqa: S603 - runs the project's own manage.py
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "tracker_bench"


def server_url() -> str:
    """DATABASE_URL when set, else the embedded server's (started if needed)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from database import devdb

    return devdb.ensure_running()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_url() -> str:
    """The benchmark database's URL: the server of DATABASE_URL (or the embedded one), database BENCH_DATABASE."""
    return with_database(server_url(), os.environ.get("BENCH_DATABASE", BENCH_DATABASE))


def ensure_database(url: str) -> None:
    """Create the database if missing, then migrate it and create the cache table, as the entrypoint does."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    for command in (["migrate", "--noinput", "-v0"], ["createcachetable"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True)
