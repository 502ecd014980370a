"""The database backend (database.postgresql): reads bound on the server and prepared; writes that carry
pghistory's context bound by the client, as Django binds everything."""

from __future__ import annotations

from collections.abc import Iterator

import pghistory
import psycopg
import pytest
from django.db import connection, connections
from psycopg import _queries

from database.config import PREPARE_THRESHOLD, SESSION_OPTIONS, database_config, pooled
from database.postgresql.base import ALIVE_BYPASS_SECONDS
from projects.models import Project
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def cursor_class() -> type:
    with connection.cursor() as cursor:
        return type(cursor.cursor)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_read_is_bound_on_the_server():
    assert not issubclass(cursor_class(), psycopg.ClientCursor)
    assert issubclass(cursor_class(), psycopg.Cursor)


def test_a_statement_run_often_on_one_connection_is_prepared_there():
    project = ProjectFactory()
    lookup = Project.objects.filter(pk=project.pk).values_list("name", flat=True)
    for _ in range(PREPARE_THRESHOLD + 1):
        assert list(lookup.all()) == [project.name]
    assert [statement for statement in prepared_statements() if '"projects_project"."name"' in statement]


def test_inside_a_history_context_statements_are_bound_by_the_client_and_carry_the_context():
    """pghistory sends its context and the write as two statements in one call, which only
    client-side binding can do."""
    project = ProjectFactory()
    with pghistory.context(reason="renamed in a test"):
        assert issubclass(cursor_class(), psycopg.ClientCursor)
        Project.objects.filter(pk=project.pk).update(name="Renamed")
    event = pghistory.models.Events.objects.references(project).order_by("-pgh_created_at").first()
    assert event.pgh_context["reason"] == "renamed in a test"
    assert not issubclass(cursor_class(), psycopg.ClientCursor)


def test_behind_pgbouncer_nothing_is_prepared():
    """PgBouncer in transaction mode before 1.21 cannot pool prepared statements."""
    config = database_config("postgres://tracker@db:5432/tracker")
    assert config["OPTIONS"]["prepare_threshold"] == PREPARE_THRESHOLD
    assert pooled(config, pooler="pgbouncer")["OPTIONS"]["prepare_threshold"] is None
    assert pooled(config, pooler="psycopg")["OPTIONS"]["prepare_threshold"] == PREPARE_THRESHOLD


def test_connections_run_without_jit_compilation():
    """JIT compiling took longer than whole summaries (database/config.py): every connection turns it off."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_behind_pgbouncer_jit_is_left_to_the_role():
    """PgBouncer refuses startup parameters it does not track: the setting goes on the server's role."""
    config = database_config("postgres://tracker@db:5432/tracker")
    assert config["OPTIONS"]["options"] == SESSION_OPTIONS
    assert "options" not in pooled(config, pooler="pgbouncer")["OPTIONS"]
    assert pooled(config, pooler="psycopg")["OPTIONS"]["options"] == SESSION_OPTIONS


def test_a_statement_with_more_parameters_than_the_protocol_carries_is_sent_with_its_values_inlined():
    project = ProjectFactory()
    ids = [project.pk, *range(10**9, 10**9 + 70_000)]
    assert list(Project.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [project.pk]


def test_a_projects_detail_statement_is_scanned_for_placeholders_once_per_process(api_client):
    # psycopg keeps its conversion of %s placeholders only for statements up to 4 KiB and 50 parameters; the
    # backend raises both limits so that the detail's statement, the same text every time, is not scanned again.
    project = ProjectFactory()
    for _ in range(2):
        assert api_client.get(f"/api/v1/projects/{project.pk}/").status_code == 200
    before = _queries._query2pg.cache_info()
    assert api_client.get(f"/api/v1/projects/{project.pk}/").status_code == 200
    after = _queries._query2pg.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


@pytest.fixture
def health_checks() -> Iterator[list[bool]]:
    """Health checks on for the test's connection, as CONN_HEALTH_CHECKS turns them on with persistent connections;
    the list records each check Django makes."""
    checks: list[bool] = []
    wrapper = connections["default"]
    is_usable = wrapper.is_usable

    def checked() -> bool:
        checks.append(True)
        return is_usable()

    enabled = wrapper.health_check_enabled
    wrapper.health_check_enabled, wrapper.is_usable = True, checked
    try:
        yield checks
    finally:
        wrapper.health_check_enabled = enabled
        del wrapper.is_usable


def a_new_request_reads() -> None:
    # What Django does between requests (`close_old_connections`): the next cursor is checked again.
    connection.health_check_done = False
    assert list(Project.objects.values_list("id", flat=True)[:1]) is not None


def test_a_connection_that_answered_moments_ago_is_not_checked_again(health_checks):
    Project.objects.exists()  # the connection answers
    a_new_request_reads()
    a_new_request_reads()
    assert health_checks == []


def test_a_connection_that_answered_longer_ago_is_checked_before_its_next_statement(health_checks):
    Project.objects.exists()
    connection.connection.answered_at -= ALIVE_BYPASS_SECONDS + 0.1
    a_new_request_reads()
    assert health_checks == [True]
    # The check is once per request: its second statement goes without.
    Project.objects.exists()
    assert health_checks == [True]


def test_a_connection_that_never_answered_a_read_is_checked(health_checks):
    connection.connection.answered_at = None
    a_new_request_reads()
    assert health_checks == [True]
