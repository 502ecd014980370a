"""Reads from PostgreSQL streaming replicas, when `DATABASE_REPLICA_URLS` names any.

A replica lags its primary by a little, so a read may go to one only where nothing can tell the
difference. Here that is: a GET, HEAD or OPTIONS request outside the admin (the API's reads, the
CSV exports), or code that asks for it with `reads_from_replicas()`. Within such a request a read
goes back to the primary (`default`) as soon as

- the request has written anything, or locked a row (`select_for_update()` and `get_or_create()`
  ask the router for the write database), so it reads what it wrote;
- it runs inside an atomic block of its own: the block wants one consistent view of the data;
- the model is one whose staleness would be a security or login problem: users, groups and
  permissions, API tokens, region assignments, sessions (a revoked token must stop working at
  once, a token just issued must work at once).

Everything else (writes, POST/PUT/PATCH/DELETE requests and the reads they make, the admin,
migrations and management commands) uses the primary only. Each request reads from one replica,
picked at random, so that the pages of one answer agree with each other. See docs/scaling.md.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from database.config import REPLICA_PREFIX

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Reads:
    """Where the reads of the running request (or `reads_from_replicas` block) may go."""

    replica: str
    # Atomic blocks on `default` that were open when replica reads were allowed (ATOMIC_REQUESTS's
    # own block included): only blocks opened after them send reads back to the primary.
    depth: int
    wrote: bool = False


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


def replica_aliases() -> list[str]:
    """The replica aliases in DATABASES, in order."""
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def _atomic_depth() -> int:
    return len(connections[DEFAULT_DB_ALIAS].atomic_blocks)


@contextmanager
def reads_from_replicas(alias: str | None = None) -> Iterator[None]:
    """Let the reads inside go to a replica (a report, a long export run from a command).

    The same rules as in a safe request apply: a write or an atomic block opened inside sends the
    reads that follow back to the primary. Without replicas configured it changes nothing.
    """
    replicas = replica_aliases()
    if not replicas:
        yield
        return
    token = _reads.set(_Reads(replica=alias or random.choice(replicas), depth=_atomic_depth()))  # noqa: S311
    try:
        yield
    finally:
        _reads.reset(token)


class ReplicaRouter:
    """Reads to a replica where `_reads` allows it, everything else to `default`.

    Throttle counts are writes, so they go to the primary; failed logins and the cache are read there
    too (`primary_apps`), since a replica lags behind the counts they keep.
    """

    # Read from the primary always: see the module's docstring.
    primary_apps = frozenset({"auth", "accounts", "knox", "sessions", "axes", "django_cache"})

    def __init__(self) -> None:
        self.replicas = frozenset(replica_aliases())
        self.family = self.replicas | {DEFAULT_DB_ALIAS}

    def db_for_read(self, model, **hints) -> str:
        reads = _reads.get()
        if reads is None or reads.wrote or model._meta.app_label in self.primary_apps or _atomic_depth() > reads.depth:
            return DEFAULT_DB_ALIAS
        return reads.replica

    def db_for_write(self, model, **hints) -> str:
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        # Explicitly `default`: left to Django, a record read from a replica would be saved there.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # A replica holds the primary's rows: a project read from one may point at a region read
        # from the other.
        if obj1._state.db in self.family and obj2._state.db in self.family:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # Replicas receive the schema by replication; they refuse writes anyway.
        return False if db in self.replicas else None


class ReplicaReadsMiddleware:
    """Allows replica reads for the request when it is a safe one outside the admin.

    A streamed answer (CSV) is read after the view has returned, so the permission is carried into
    its iteration as well.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.replicas = replica_aliases()
        self._admin_prefix: str | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.replicas or request.method not in SAFE_METHODS or self._is_admin(request.path_info):
            return self.get_response(request)
        reads = _Reads(replica=random.choice(self.replicas), depth=_atomic_depth())  # noqa: S311
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if response.streaming:
            response.streaming_content = _carrying(reads, response.streaming_content)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        reads = _reads.get()
        if reads is None:
            return
        # ATOMIC_REQUESTS wraps the view in an atomic block right after this method: that block
        # is the request's own, not one the code opened, so reads inside it may still use a replica.
        if connections.settings[DEFAULT_DB_ALIAS]["ATOMIC_REQUESTS"] and DEFAULT_DB_ALIAS not in getattr(
            view_func, "_non_atomic_requests", set()
        ):
            reads.depth += 1

    def _is_admin(self, path: str) -> bool:
        if self._admin_prefix is None:
            try:
                self._admin_prefix = reverse("admin:index")
            except NoReverseMatch:
                self._admin_prefix = "\x00"  # no admin: no path starts with it
        return path.startswith(self._admin_prefix)


def _carrying(reads: _Reads, content: Iterator[bytes]) -> Iterator[bytes]:
    # The view's atomic block has closed by now: only blocks opened while streaming count.
    reads.depth = min(reads.depth, _atomic_depth())
    token = _reads.set(reads)
    try:
        yield from content
    finally:
        # Closed from another context (an ASGI server's thread), there is nothing there to undo.
        with suppress(ValueError):
            _reads.reset(token)
