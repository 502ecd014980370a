"""A database outage answers 503 with `Retry-After`, not 500 (issue 20, point 6).

When PostgreSQL is down, restarting, or drops a connection, psycopg raises `OperationalError` (connection
refused, server closed the connection, admin shutdown) or `InterfaceError` (a connection already closed);
Django passes both on under the same names. They say nothing about the request: it may succeed in a moment,
so clients (and load balancers, which may retry elsewhere) are told so, with a time to wait. API paths get the
API's JSON error envelope (DRF views through `api.errors.exception_handler`, everything around them here);
other pages a plain page that needs neither the database nor a template.

Recovery needs nothing of ours: Django closes a connection that erred (`close_if_unusable_or_obsolete` at the
end of the request) and the next request opens a new one, persistent connections (CONN_MAX_AGE) included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
CODE = "database_unavailable"


def message() -> str:
    return gettext("The database is unavailable; try again shortly.")


def retry_after() -> int:
    return settings.API_OUTAGE_RETRY_AFTER


def report(request: HttpRequest, exc: BaseException) -> None:
    """One warning per request that met the outage, with psycopg's reason (refused, terminated, closed)."""
    logger.warning("Database unavailable during %s %s: %s: %s", request.method, request.path, type(exc).__name__, exc)


def unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 for a request that met a database outage: the JSON envelope under /api/, a plain page elsewhere."""
    report(request, exc)
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": CODE, "message": message()}}, status=503)
    else:
        title = escape(gettext("Service unavailable"))
        page = f"<!doctype html>\n<title>{title}</title>\n<h1>{title}</h1>\n<p>{escape(message())}</p>\n"
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after())
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage met in a view, or in the transaction around it (ATOMIC_REQUESTS), into a 503.

    What the middleware below it reads from the database (the session, the signed-in user) is read lazily, in
    the view, so it is covered too. An error raised by a middleware itself never reaches this one: Django turns
    it into a 500 where it was raised (`convert_exception_to_response`); none of ours reads the database there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, OUTAGE_ERRORS):
            return unavailable(request, exc)
        return None
