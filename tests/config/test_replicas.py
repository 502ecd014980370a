"""Scaling out (docs/scaling.md): replica routing, pooler settings, and app servers without state.

Streaming replication cannot be set up in a test run, so a replica here is what a test can honestly
offer: `replica_0`, a second connection to the test database (TEST MIRROR of `default`). It proves
which connection served which query, not replication itself; reads are checked for what they see
with transactional tests, whose rows are committed and so visible to the second connection.
"""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router, transaction
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test.utils import CaptureQueriesContext

from accounts.models import RegionAssignment
from database.config import pooled, replica_databases
from database.replicas import ReplicaRouter, reads_from_replicas
from projects.models import Project
from regions.models import Region
from tests.conftest import REPO
from tests.contract import client_for, staff_user
from tests.factories import CountyFactory, ProjectFactory, StaffUserFactory

REPLICA = "replica_0"
ROUTERS = ["database.replicas.ReplicaRouter"]
FAKE_PRIMARY = "postgres://tracker:secret@primary.internal:5432/tracker"


# Settings ------------------------------------------------------------------------------------------


def base_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """`config.settings.base` evaluated afresh under `env` (nothing connects: settings only)."""
    for name in (
        "DATABASE_REPLICA_URLS",
        "DATABASE_POOLER",
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS",
        "DATABASE_POOL_MAX_SIZE",
        "DATABASE_CONN_MAX_AGE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", FAKE_PRIMARY)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO / "config" / "settings" / "base.py"))


def test_without_replica_urls_there_are_no_replicas_and_no_replica_router(monkeypatch):
    config = base_settings(monkeypatch)
    assert set(config["DATABASES"]) == {"default"}
    assert config["DATABASE_ROUTERS"] == []
    assert "database.replicas.ReplicaReadsMiddleware" not in config["MIDDLEWARE"]
    assert config["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_replica_urls_become_replica_aliases_that_mirror_default_in_tests(monkeypatch):
    config = base_settings(
        monkeypatch,
        DATABASE_REPLICA_URLS="postgres://reader:pw@replica-a:5432/tracker, postgres://reader:pw@replica-b/tracker",
    )
    databases = config["DATABASES"]
    assert set(databases) == {"default", "replica_0", "replica_1"}
    assert (databases["replica_0"]["HOST"], databases["replica_1"]["HOST"]) == ("replica-a", "replica-b")
    for alias in ("replica_0", "replica_1"):
        assert databases[alias]["TEST"] == {"MIRROR": "default"}
        # Never in a request's transaction: a safe request must not open one on every replica.
        assert databases[alias]["ATOMIC_REQUESTS"] is False
        assert databases[alias]["CONN_MAX_AGE"] == databases["default"]["CONN_MAX_AGE"]
    assert databases["default"]["HOST"] == "primary.internal"
    assert config["DATABASE_ROUTERS"] == ROUTERS
    assert config["MIDDLEWARE"][0] == "database.replicas.ReplicaReadsMiddleware"


def test_pgbouncer_turns_server_side_cursors_off_on_every_alias(monkeypatch):
    config = base_settings(
        monkeypatch, DATABASE_POOLER="pgbouncer", DATABASE_REPLICA_URLS="postgres://r@replica/tracker"
    )
    for alias in ("default", "replica_0"):
        entry = config["DATABASES"][alias]
        assert entry["DISABLE_SERVER_SIDE_CURSORS"] is True, alias
        # Persistent connections to PgBouncer stay: they are cheap, and it shares the server ones.
        assert entry["CONN_MAX_AGE"] == 60
        assert "pool" not in entry["OPTIONS"]


def test_an_explicit_server_side_cursor_setting_wins_over_the_pooler(monkeypatch):
    session_mode = base_settings(monkeypatch, DATABASE_POOLER="pgbouncer", DATABASE_DISABLE_SERVER_SIDE_CURSORS="0")
    direct = base_settings(monkeypatch, DATABASE_DISABLE_SERVER_SIDE_CURSORS="true")
    assert session_mode["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert direct["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_the_psycopg_pool_replaces_persistent_connections(monkeypatch):
    config = base_settings(monkeypatch, DATABASE_POOLER="psycopg", DATABASE_POOL_MAX_SIZE="3")
    default = config["DATABASES"]["default"]
    assert default["OPTIONS"]["pool"]["max_size"] == 3
    assert default["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert default["CONN_HEALTH_CHECKS"] is True  # the pool checks each connection it hands out
    assert default["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_an_unknown_pooler_is_refused(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_POOLER"):
        base_settings(monkeypatch, DATABASE_POOLER="pgpool")


def test_pooled_copies_rather_than_changing_the_entry_it_is_given():
    entry = {"NAME": "tracker", "CONN_MAX_AGE": 60, "OPTIONS": {"connect_timeout": 5}}
    pooled(entry, pooler="psycopg")
    assert entry == {"NAME": "tracker", "CONN_MAX_AGE": 60, "OPTIONS": {"connect_timeout": 5}}
    assert replica_databases(" , ") == {}


def _wrapper_like_default(**overrides: Any) -> DatabaseWrapper:
    # A connection of its own to the test database, under the alias `default` that this test may
    # use (Django refuses connections under aliases a test did not declare).
    return DatabaseWrapper({**connections["default"].settings_dict, **overrides}, alias="default")


@pytest.mark.django_db(transaction=True)
def test_a_psycopg_pool_built_from_these_settings_connects():
    with_pool = _wrapper_like_default(**pooled(connections["default"].settings_dict, pooler="psycopg"))
    try:
        with with_pool.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        assert with_pool.pool is not None
    finally:
        with_pool.close()
        with_pool.close_pool()


def _cursors_held_while_iterating(settings_dict: dict[str, Any]) -> list[tuple[bool]]:
    """The server-side cursors open while `iterator()` (the CSV export) streams, outside a transaction."""
    connection, disabled = connections["default"], settings_dict["DISABLE_SERVER_SIDE_CURSORS"]
    with mock.patch.dict(connection.settings_dict, DISABLE_SERVER_SIDE_CURSORS=disabled):
        for _region in Region.objects.iterator(chunk_size=1):
            with connection.cursor() as cursor:
                cursor.execute("SELECT is_holdable FROM pg_cursors")
                return cursor.fetchall()
    raise AssertionError("no row to iterate over")


@pytest.mark.django_db(transaction=True)
def test_behind_pgbouncer_the_csv_export_holds_no_cursor_across_transactions():
    """A streamed export outside a transaction declares a cursor WITH HOLD, which outlives the
    transaction; PgBouncer in transaction mode may send the next FETCH to another server connection,
    where it does not exist. With the pgbouncer settings, rows come through an ordinary cursor."""
    CountyFactory.create_batch(2)
    direct = pooled(connections["default"].settings_dict)
    behind_pgbouncer = pooled(connections["default"].settings_dict, pooler="pgbouncer")
    assert _cursors_held_while_iterating(direct) == [(True,)]
    assert _cursors_held_while_iterating(behind_pgbouncer) == []


# The router --------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker) -> Iterator[None]:
    """`replica_0`: a second connection to the test database, standing in for a streaming replica.

    Module-scoped so that it exists before the tests' database fixtures validate the aliases each
    test declares (`databases=[..., "replica_0"]`). As a TEST MIRROR it gets no test transaction of
    its own: it sees what `default` committed, so the API tests that read through it are
    transactional.
    """
    entry = {**connections["default"].settings_dict, "ATOMIC_REQUESTS": False}
    entry["TEST"] = {**entry["TEST"], "MIRROR": "default"}
    connections.settings[REPLICA] = entry
    django_settings.DATABASES[REPLICA] = entry  # usually the very dict connections.settings is
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    connections.settings.pop(REPLICA, None)
    django_settings.DATABASES.pop(REPLICA, None)


@pytest.fixture
def replica(settings) -> str:
    """The replica router and middleware, installed as DATABASE_REPLICA_URLS would install them."""
    settings.DATABASE_ROUTERS = ROUTERS
    settings.MIDDLEWARE = ["database.replicas.ReplicaReadsMiddleware", *django_settings.MIDDLEWARE]
    return REPLICA


with_replica = pytest.mark.django_db(databases=["default", REPLICA])
with_committed_rows = pytest.mark.django_db(databases=["default", REPLICA], transaction=True)


@with_replica
def test_reads_go_to_a_replica_and_writes_to_default(replica):
    read_from_replica = Project(name="p")
    read_from_replica._state.db = replica
    with reads_from_replicas():
        assert Project.objects.all().db == replica
        assert router.db_for_write(Project) == "default"
        # Left to Django, a record would be saved where it was read from: the read-only replica.
        assert router.db_for_write(Project, instance=read_from_replica) == "default"


@with_replica
def test_without_permission_reads_stay_on_default(replica):
    # Management commands, shells and the unsafe requests never read from a replica.
    assert Project.objects.all().db == "default"


@with_replica
def test_reads_after_a_write_go_to_default(replica):
    with reads_from_replicas():
        assert Region.objects.all().db == replica
        CountyFactory()
        assert Region.objects.all().db == "default"
        assert Project.objects.all().db == "default"


@with_replica
def test_reads_inside_an_atomic_block_go_to_default_and_after_it_to_the_replica(replica):
    with reads_from_replicas():
        with transaction.atomic():
            assert Project.objects.all().db == "default"
        assert Project.objects.all().db == replica


@with_replica
def test_locking_reads_go_to_default(replica):
    with reads_from_replicas():
        assert Project.objects.select_for_update().db == "default"


@with_replica
def test_login_and_permission_data_is_read_from_default(replica):
    with reads_from_replicas():
        assert RegionAssignment.objects.all().db == "default"
        assert apps.get_model("auth", "User").objects.all().db == "default"
        assert apps.get_model("knox", "AuthToken").objects.all().db == "default"
        assert apps.get_model("sessions", "Session").objects.all().db == "default"


@with_replica
def test_migrations_run_on_default_only_and_relations_span_default_and_replicas(replica):
    router = ReplicaRouter()
    assert router.allow_migrate(replica, "projects") is False
    assert router.allow_migrate("default", "projects") is None
    on_primary, on_replica = Region(code="331102"), Project(name="p")
    on_primary._state.db, on_replica._state.db = "default", replica
    assert router.allow_relation(on_primary, on_replica) is True


@with_replica
def test_counts_failed_logins_and_the_cache_stay_on_the_primary(replica):
    """A replica lags: a throttle count or a lockout read there would hand out allowances already spent."""
    cache_entry = DatabaseCache("tracker_cache", {}).cache_model_class
    with reads_from_replicas():
        assert router.db_for_read(cache_entry) == "default"
        assert router.db_for_write(cache_entry) == "default"
        assert router.db_for_read(apps.get_model("axes", "AccessAttempt")) == "default"
        assert router.db_for_write(apps.get_model("ratelimits", "Window")) == "default"


# Through the API ---------------------------------------------------------------------------------


def _tables(captured: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in captured.captured_queries)


@with_committed_rows
def test_the_api_lists_from_the_replica_and_creates_on_default(replica):
    project = ProjectFactory()
    anonymous = client_for()
    # A superuser: the role groups are beside the point here.
    editor = client_for(StaffUserFactory(is_superuser=True))
    payload = {"name": "Health food project", "slug": "health-food", "region": CountyFactory().code}

    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        listed = anonymous.get("/api/v1/projects/")
    assert listed.status_code == 200
    assert [row["slug"] for row in listed.json()["results"]] == [project.slug]  # it saw the committed row
    assert '"projects_project"' in _tables(copy)
    assert '"projects_project"' not in _tables(primary)
    # The page is read on the replica; nothing goes to the primary.
    assert primary.captured_queries == []

    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        created = editor.post("/api/v1/projects/", payload, format="json")
    assert created.status_code == 201, created.content
    assert 'INSERT INTO "projects_project"' in _tables(primary)
    # The answer re-reads the new record; on the primary, so it is there to read.
    assert 'FROM "projects_project"' in _tables(primary)
    assert copy.captured_queries == []


@with_committed_rows
@pytest.mark.parametrize("url", ["/api/v1/projects/summary/?group_by=status"])
def test_a_cached_answer_is_looked_up_where_it_is_computed_and_stored_on_the_primary(replica, url):
    # The generation a stored answer is labelled with must be the one of the data it was computed from: read
    # on the primary while the answer is computed on a lagging replica, it would label old data as current.
    ProjectFactory()
    anonymous = client_for()
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        missed = anonymous.get(url)
    assert "core_datageneration" in _tables(copy)
    assert "core_datageneration" not in _tables(primary)
    assert "INSERT INTO projects_summarycache" in _tables(primary)
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        hit = anonymous.get(url)
    assert hit.content == missed.content
    assert len(copy.captured_queries) == 1
    assert primary.captured_queries == []


@with_committed_rows
@pytest.mark.parametrize("revalidate", [False, True], ids=["detail", "304"])
def test_a_detail_and_a_304_run_their_compiled_statements_on_the_replica(replica, revalidate):
    # Compiled once per process (core.querysets.KeyedStatement), but sent where the router reads at run time.
    project = ProjectFactory()
    anonymous = client_for()
    etag = anonymous.get(f"/api/v1/projects/{project.slug}/")["ETag"]
    headers = {"HTTP_IF_NONE_MATCH": etag} if revalidate else {}
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        response = anonymous.get(f"/api/v1/projects/{project.slug}/", **headers)
    assert response.status_code == (304 if revalidate else 200)
    assert len(copy.captured_queries) == 1
    assert primary.captured_queries == []


@with_committed_rows
def test_a_streamed_csv_export_reads_from_the_replica(replica):
    ProjectFactory.create_batch(3)
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        response = client_for().get("/api/v1/projects/?format=csv")
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert len(body.decode().strip().splitlines()) == 4
    assert '"projects_project"' in _tables(copy)
    assert '"projects_project"' not in _tables(primary)


@with_committed_rows
def test_a_signed_in_read_checks_its_credentials_on_default(replica):
    ProjectFactory()
    reader = client_for(staff_user(Project))
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(connections[replica]) as copy:
        assert reader.get("/api/v1/projects/").status_code == 200
    assert '"django_session"' in _tables(primary)
    assert '"auth_user"' in _tables(primary)
    assert '"projects_project"' in _tables(copy)


@with_committed_rows
def test_the_admin_reads_from_default(replica):
    ProjectFactory()
    admin = client_for(staff_user(Project, "view"))
    with CaptureQueriesContext(connections[replica]) as copy:
        response = admin.get("/admin/projects/project/")
    assert response.status_code == 200
    assert copy.captured_queries == []


# App servers keep no state of their own ------------------------------------------------------------


def test_app_servers_keep_no_state_of_their_own():
    """Any app server can answer any request: nothing the app keeps lives in one machine's memory
    or on its disk (static files are read-only, baked into the image and served by WhiteNoise).
    The admin import's temporary file is the known exception, documented in docs/scaling.md."""
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    cache_backend = django_settings.CACHES["default"]["BACKEND"]
    assert cache_backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "django_redis.cache.RedisCache",
    }
    assert django_settings.MESSAGE_STORAGE.endswith(("FallbackStorage", "CookieStorage", "SessionStorage"))
    assert django_settings.STORAGES["staticfiles"]["BACKEND"].startswith(("whitenoise.", "django.contrib."))
    file_fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert file_fields == []  # nothing is uploaded to MEDIA_ROOT
    handlers = django_settings.LOGGING["handlers"].values()
    assert all(handler["class"] == "logging.StreamHandler" for handler in handlers)  # logs go to stdout
