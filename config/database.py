"""Which PostgreSQL the project talks to: `DATABASE_URL`, or else the embedded server."""

from __future__ import annotations

from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

POSTGRES_ENGINE = "django.db.backends.postgresql"


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
    config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    config["TEST"] = {"NAME": f"test_{config['NAME']}"}
    return config


def default_database(url: str | None, *, conn_max_age: int = 0) -> dict[str, Any]:
    """The `default` database: the given URL, or the embedded server started on demand."""
    if not url:
        from config import devdb

        url = devdb.ensure_running()
    return database_config(url, conn_max_age=conn_max_age)
