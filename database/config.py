"""Which PostgreSQL the project talks to: `DATABASE_URL`, or else the embedded server."""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

POSTGRES_ENGINE = "django.db.backends.postgresql"
# Django's backend, with reads bound on the server so that they can be prepared.
BACKEND = "database.postgresql"
# Executions of one statement on a connection after which psycopg prepares it (psycopg's own default).
PREPARE_THRESHOLD = 5
# Sent at connection start: PostgreSQL's just-in-time compilation off. JIT starts when a statement's estimated
# cost passes `jit_above_cost` and then spends 50 to 650 ms compiling: at tier M it took 657 of the 762 ms of a
# summary by region of the signed projects (100 ms without it). Estimates of this project's statements pass the
# threshold while their real work takes milliseconds (the hashed subplans of the totals rule count high), so JIT
# costs far more than it saves here. docs/operations/performance.md has the measurements.
SESSION_OPTIONS = "-c jit=off"


def database_config(url: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    """Turn a `postgres://` or `postgresql://` URL into a Django DATABASES entry.

    Anything but PostgreSQL is refused: the project relies on its constraints, ltree and
    trigram indexes, and tests must run on the database production runs on.
    """
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        scheme = url.split(":", 1)[0] if ":" in url else url
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL; got scheme {scheme!r}.")
    config = environ.Env.db_url_config(url)
    if config.get("ENGINE") != POSTGRES_ENGINE:  # pragma: no cover - guarded by the scheme check
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL.")
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL must name a database, e.g. postgres://user@host:5432/tracker.")
    config["CONN_MAX_AGE"] = conn_max_age
    config["CONN_HEALTH_CHECKS"] = conn_max_age > 0
    options = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", 5)
    # A read run five times on one connection is prepared there, and planned no more (database.postgresql).
    options.setdefault("prepare_threshold", PREPARE_THRESHOLD)
    options.setdefault("options", SESSION_OPTIONS)
    config["ENGINE"] = BACKEND
    config["TEST"] = {"NAME": f"test_{config['NAME']}"}
    return config


def default_database(url: str | None, *, conn_max_age: int = 0) -> dict[str, Any]:
    """The `default` database: the given URL. Reading the settings starts no server: the entry points
    (`manage.py`, `config.wsgi`, pytest through `database.pytest_plugin`, `python -m database.devdb run`)
    set DATABASE_URL to the embedded server's, started there, when none is given."""
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set: start through manage.py, make, or `python -m database.devdb run -- CMD`, "
            "which start the embedded PostgreSQL, or set it to a postgres:// URL."
        )
    return database_config(url, conn_max_age=conn_max_age)


# Connection pooling: `DATABASE_POOLER` names what sits between the workers and PostgreSQL.
POOLERS = ("", "pgbouncer", "psycopg")
# Aliases of the read-only copies made from DATABASE_REPLICA_URLS (database.replicas routes to them).
REPLICA_PREFIX = "replica_"


def pooled(
    config: dict[str, Any],
    *,
    pooler: str = "",
    disable_server_side_cursors: bool | None = None,
    pool_max_size: int = 4,
) -> dict[str, Any]:
    """A copy of one DATABASES entry adjusted for the connection pooler in front of (or inside) Django.

    - `pgbouncer` (transaction pooling): consecutive transactions of one Django connection may run
      on different server connections. A cursor declared `WITH HOLD` outside a transaction, which
      is what `QuerySet.iterator()` (the CSV export) does in autocommit, would be looked for on the
      wrong one, so server-side cursors are turned off, and so are prepared statements
      (`prepare_threshold` None), which PgBouncer before 1.21 cannot pool either.
    - `psycopg`: Django's own pool (psycopg_pool) in each worker process. Django refuses it with
      persistent connections, so `CONN_MAX_AGE` becomes 0: the pool keeps the connections instead.
    - empty: a connection per worker, kept `CONN_MAX_AGE` seconds.

    `disable_server_side_cursors`, when given, wins over what the pooler implies (e.g. a PgBouncer
    in session mode, which keeps them working).
    """
    if pooler not in POOLERS:
        raise ImproperlyConfigured(f"DATABASE_POOLER must be one of {', '.join(p or '(empty)' for p in POOLERS)}.")
    config = {**config, "OPTIONS": dict(config.get("OPTIONS", {}))}
    if pooler == "psycopg":
        config["CONN_MAX_AGE"] = 0
        # With a pool, Django turns this into the pool's check of each connection it hands out, so
        # one killed by a failover or an idle timeout is replaced before a request gets it.
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_max_size}
    if pooler == "pgbouncer":
        config["OPTIONS"]["prepare_threshold"] = None
        # PgBouncer refuses a startup parameter it does not track ("unsupported startup parameter"), and
        # would not carry it to the server connection a transaction lands on: set it on the role instead
        # (`ALTER ROLE tracker SET jit = off`, docs/scaling.md).
        if config["OPTIONS"].get("options") == SESSION_OPTIONS:
            del config["OPTIONS"]["options"]
    if disable_server_side_cursors is None:
        disable_server_side_cursors = pooler == "pgbouncer"
    config["DISABLE_SERVER_SIDE_CURSORS"] = disable_server_side_cursors
    return config


def replica_databases(urls: str, *, conn_max_age: int = 0, **pooling: Any) -> dict[str, dict[str, Any]]:
    """`replica_0`, `replica_1`, ... from a comma-separated list of PostgreSQL replica URLs.

    A replica is read-only: it never joins a request's transaction (ATOMIC_REQUESTS off) and, in
    tests, is a second connection to the test database of `default` (TEST MIRROR) rather than a
    database of its own, since a test replica must see what the test wrote.
    """
    replicas = {}
    for index, url in enumerate(part.strip() for part in urls.split(",") if part.strip()):
        config = pooled(database_config(url, conn_max_age=conn_max_age), **pooling)
        config["ATOMIC_REQUESTS"] = False
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"{REPLICA_PREFIX}{index}"] = config
    return replicas
