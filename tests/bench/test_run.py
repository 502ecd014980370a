"""The bench's runner: before each run, no query of the previous one is left executing."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from bench.run import settle_database


@pytest.fixture
def params(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        connection.ensure_connection()
        return connection.get_connection_params()


def test_a_quiet_database_is_settled_once_quiet_for_half_a_second(params) -> None:
    assert 0.5 <= settle_database(params, max_wait=5) < 1.5


def test_a_query_left_running_is_waited_for_then_cancelled(params) -> None:
    outcome: list[str] = []
    started = threading.Event()

    def left_over() -> None:
        with psycopg.connect(**params, autocommit=True) as conn:
            started.set()
            try:
                conn.execute("SELECT pg_sleep(30)")
                outcome.append("finished")
            except psycopg.errors.QueryCanceled:
                outcome.append("cancelled")

    thread = threading.Thread(target=left_over)
    thread.start()
    started.wait(5)
    time.sleep(0.3)  # the sleep is executing
    waited = settle_database(params, max_wait=1)
    thread.join(10)
    assert 1.5 <= waited < 5
    assert outcome == ["cancelled"]
    assert settle_database(params, max_wait=1) < 1.5
