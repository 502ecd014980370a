"""Backups: `make backup` then `make restore` (scripts/dbbackup.py) bring back every row, every trigger, and
a database whose triggers still move subtrees and raise versions."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from psycopg import sql

from core.seed import seed_load
from tests.conftest import REPO
from tests.factories import (
    FigureFactory,
    FollowUpFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    ProvinceFactory,
    ZoneFactory,
)

DBBACKUP = str(REPO / "scripts" / "dbbackup.py")


def _url(params: dict, name: str) -> str:
    host = params.get("host") or "localhost"
    userinfo = params.get("user", "postgres")
    if params.get("password"):
        userinfo += f":{params['password']}"
    if host.startswith("/"):
        return f"postgres://{userinfo}@/{name}?host={host}"
    return f"postgres://{userinfo}@{host}:{params.get('port') or 5432}/{name}"


@pytest.fixture
def database_urls(django_db_blocker) -> Iterator[tuple[str, str]]:
    """The test database's URL, and that of a scratch database on the same server (not created yet)."""
    with django_db_blocker.unblock():
        params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    source = connection.settings_dict["NAME"]
    scratch = f"{source}_restored"
    admin = psycopg.conninfo.make_conninfo(_url(params, "postgres"))

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))

    drop()
    yield _url(params, source), _url(params, scratch)
    drop()


def _dbbackup(env: dict[str, str], database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, DBBACKUP, *args],
        cwd=REPO,
        env={**env, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [name for (name,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in tables
        }


def _triggers(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return set(
            conn.execute(
                "SELECT tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
            )
        )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_every_row_and_every_trigger_working(
    database_urls, subprocess_env, tmp_path: Path
):
    source, scratch = database_urls
    seed_load()
    zone = ZoneFactory()  # province > city > county > zone: a subtree three levels deep under the province
    project = ProjectFactory(region=zone.parent)
    MilestoneFactory(project=project)
    FigureFactory(project=project, period="2024-Q2")
    ParticipantFactory(project=project)
    FollowUpFactory(project=project)
    ObservationFactory(region=zone.parent)
    county, city = zone.parent, zone.parent.parent
    moved = [city.pk, county.pk, zone.pk]
    elsewhere = ProvinceFactory()
    dump = tmp_path / "tracker.dump"

    backed_up = _dbbackup(subprocess_env, source, "backup", str(dump))
    assert backed_up.returncode == 0, backed_up.stderr
    restored = _dbbackup(subprocess_env, scratch, "restore", str(dump))
    assert restored.returncode == 0, restored.stderr

    counts = _row_counts(source)
    assert counts["regions_region"] > 4
    assert counts["projects_project"] > 1
    assert _row_counts(scratch) == counts
    triggers = _triggers(source)
    assert len(triggers) > 50
    assert _triggers(scratch) == triggers

    with psycopg.connect(scratch) as conn:
        conn.execute("UPDATE regions_region SET parent_id = %s WHERE id = %s", [elsewhere.pk, city.pk])
        paths = dict(conn.execute("SELECT id, path::text FROM regions_region WHERE id = ANY(%s)", [moved]).fetchall())
        assert paths == {
            city.pk: f"{elsewhere.pk}.{city.pk}",
            county.pk: f"{elsewhere.pk}.{city.pk}.{county.pk}",
            zone.pk: f"{elsewhere.pk}.{city.pk}.{county.pk}.{zone.pk}",
        }
        stale = conn.execute(
            "SELECT count(*) FROM regions_region c JOIN regions_region p ON p.id = c.parent_id"
            " WHERE c.path <> p.path || c.id::text"
        ).fetchone()[0]
        assert stale == 0
        (before,) = conn.execute("SELECT version FROM projects_project WHERE id = %s", [project.pk]).fetchone()
        version = conn.execute(
            "UPDATE projects_project SET name = name || ' (restored)' WHERE id = %s RETURNING version", [project.pk]
        ).fetchone()[0]
        assert version == before + 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_restore_refuses_a_database_that_is_not_empty_and_leaves_it_as_it_was(
    database_urls, subprocess_env, tmp_path: Path
):
    source, _scratch = database_urls
    ProjectFactory()
    dump = tmp_path / "tracker.dump"
    assert _dbbackup(subprocess_env, source, "backup", str(dump)).returncode == 0
    before = _row_counts(source)

    refused = _dbbackup(subprocess_env, source, "restore", str(dump))

    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert _row_counts(source) == before


@pytest.mark.django_db
def test_the_trigger_functions_work_with_the_empty_search_path_that_pg_restore_sets():
    zone = ZoneFactory()
    county, city = zone.parent, zone.parent.parent
    elsewhere = ProvinceFactory()
    project = ProjectFactory(region=county)
    milestone = MilestoneFactory(project=project, stage="signed")
    figure = FigureFactory(project=project, period="2024")
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM core_datageneration")
        (generation,) = cursor.fetchone()
        # django-pghistory's trigger functions are pgtrigger's, which names the event tables without a schema:
        # they are set aside here, so that what is checked is the project's own functions.
        cursor.execute(
            "SELECT set_config('pgtrigger.ignore', '{' || string_agg(tgname, ',') || '}', true)"
            " FROM pg_trigger WHERE tgname LIKE 'pgtrigger\\_%'"
        )
        cursor.execute("SET LOCAL search_path = ''")

        cursor.execute("UPDATE public.regions_region SET parent_id = %s WHERE id = %s", [elsewhere.pk, city.pk])
        cursor.execute("SELECT path::text FROM public.regions_region WHERE id = %s", [zone.pk])
        assert cursor.fetchone() == (f"{elsewhere.pk}.{city.pk}.{county.pk}.{zone.pk}",)
        cursor.execute("SELECT n FROM public.core_datageneration")
        assert cursor.fetchone()[0] > generation
        cursor.execute(
            "UPDATE public.projects_figure SET period = '2023-H2' WHERE id = %s"
            " RETURNING period_start::text, period_end::text",
            [figure.pk],
        )
        assert cursor.fetchone() == ("2023-07-01", "2023-12-31")
        cursor.execute("UPDATE public.projects_milestone SET stage = 'landed' WHERE id = %s", [milestone.pk])
        cursor.execute("SELECT stage FROM public.projects_project WHERE id = %s", [project.pk])
        assert cursor.fetchone() == ("landed",)
        cursor.execute("RESET search_path")
