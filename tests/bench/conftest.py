"""The bench tests' data: the tiny tier, loaded once per module into the test database."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from bench.generate import TIERS, _tables_to_reset, load


@pytest.fixture(scope="module")
def tiny(django_db_setup, django_db_blocker) -> Iterator[psycopg.Connection]:
    with django_db_blocker.unblock():
        connection.ensure_connection()
        params = connection.get_connection_params()
        connection.close()
    conn = psycopg.connect(**params, autocommit=True)
    load(conn, TIERS["tiny"], log=lambda message: None)
    yield conn
    conn.execute(f"TRUNCATE {', '.join(_tables_to_reset(conn))}, bench_meta RESTART IDENTITY CASCADE")
    conn.execute("DROP TABLE bench_meta")
    conn.close()
