"""Django's PostgreSQL backend, with reads bound on the server so that PostgreSQL can prepare them.

Django binds parameters on the client (psycopg's `ClientCursor`): each statement reaches PostgreSQL as
text with its values in it, and is planned again every time. Planning was 0.9 ms of a list page's
3.5 ms of database time and about 5 ms of a project detail's 6 (tier M). With the parameters bound
by the server, psycopg prepares a statement once it has run `prepare_threshold` times on a
connection (database.config), and PostgreSQL then reuses its plan.

Server-side binding cannot send two statements in one call, and django-pghistory puts its context
(`SELECT set_config(...); INSERT ...`) in front of every statement of a request that writes. So a
cursor binds on the server only while no execute wrapper is installed on the connection (pghistory
installs one for the length of its context); everything else keeps Django's client-side binding.

With persistent connections Django also checks each one (`SELECT 1`) before a request's first statement;
a connection that answered less than half a second ago is trusted instead (`DatabaseWrapper`).
"""

from __future__ import annotations

import time

import psycopg
from django.db.backends.postgresql import base, operations
from psycopg import _queries

# PostgreSQL's protocol carries at most 65,535 parameters in one statement; client-side binding has no limit.
MAX_PARAMETERS = 65_535
# A connection that answered a statement this recently is not health-checked (`DatabaseWrapper`).
ALIVE_BYPASS_SECONDS = 0.5


# psycopg finds a statement's placeholders by scanning its text with a regular expression, and keeps the
# result (in an LRU cache of 128 statements) only for statements of at most 4 KiB and 50 parameters. A
# project's JSON detail (api.projection) is about 8 KiB, the same text on every request: scanning it again
# was a fifth of the detail's CPU (the measurement of the commit that brought this in). It earns its place
# by issue 19's rule (10 %): longer limits let the projections' statements be cached; the cache stays 128
# statements, so at most a few MiB per process even when ORM statements of varying text pass through.
# tests/config/test_postgresql.py checks that a detail's conversion is cached.
_queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16 * 1024)
_queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 256)


class ServerBindingCursor(base.ServerBindingCursor):
    """Django's server-binding cursor, with what its client-side one does that callers rely on.

    - `mogrify`: some code builds SQL text with the values inlined (pghistory's event queries do).
    - A statement with more parameters than the protocol carries (`pk__in` a list of 100,000 ids)
      is sent with its values inlined, as the client-side cursor would send it.
    """

    def mogrify(self, query, params=None) -> str:
        return psycopg.ClientCursor(self.connection).mogrify(query, params)

    def execute(self, query, params=None, **kwargs):
        if params is not None and len(params) > MAX_PARAMETERS:
            result = super().execute(self.mogrify(query, params), **kwargs)
        else:
            result = super().execute(query, params, **kwargs)
        # The server answered: the connection is alive now (`DatabaseWrapper.close_if_health_check_failed`).
        self.connection.answered_at = time.monotonic()
        return result


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # A server-bound statement holds placeholders ($1): show it with its values, as Django does
        # when the whole connection binds on the server.
        if isinstance(cursor, psycopg.ClientCursor):
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except psycopg.errors.DataError:
            return None


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def close_if_health_check_failed(self) -> None:
        """Django's health check (CONN_HEALTH_CHECKS), except for a connection that answered a statement less
        than `ALIVE_BYPASS_SECONDS` ago.

        Django checks a persistent connection with `SELECT 1` before the first statement of every request: a
        second round trip for a read that is one statement, on every request of a busy worker. A connection
        that answered moments ago is trusted instead, as HikariCP does (`aliveBypassWindowMs`, 500 ms by
        default). What that risks: a server restarted within that moment fails the next request's statement
        (a 500) instead of being noticed by the check; Django then drops the connection, as it does for any
        connection that errs, and the request after it connects afresh.
        """
        answered_at = getattr(self.connection, "answered_at", None)
        if (
            not self.health_check_done
            and answered_at is not None
            and time.monotonic() - answered_at < ALIVE_BYPASS_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def create_cursor(self, name=None):
        if name is not None or self.execute_wrappers:
            return super().create_cursor(name)
        client_side = self.connection.cursor_factory
        self.connection.cursor_factory = ServerBindingCursor
        try:
            return super().create_cursor(name)
        finally:
            self.connection.cursor_factory = client_side
