"""`/healthz`: is this process able to answer, and does its database answer?

Anyone (a load balancer, a monitor) gets the status alone; signed-in staff (a session or a token) also
get the database's name, version, clock and latency. Those tell an attacker which PostgreSQL release to
aim at, and are of no use to a probe that only needs 200 or 503.
"""

from __future__ import annotations

import time

from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.settings import api_settings


@require_safe
@never_cache
@transaction.non_atomic_requests  # ATOMIC_REQUESTS would need the database before we could report it down
def healthz(request):
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_database(), now()")
            version, database, now = cursor.fetchone()
    except DatabaseError:
        # Nobody can be recognised without the database: the status alone, for everyone.
        return JsonResponse({"status": "unavailable"}, status=503)
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    if not _is_staff(request):
        return JsonResponse({"status": "ok"})
    return JsonResponse(
        {
            "status": "ok",
            "database": {
                "ok": True,
                "name": database,
                "server_version": version,
                "server_time": now.isoformat(),
                "latency_ms": latency_ms,
            },
        }
    )


def _is_staff(request: HttpRequest) -> bool:
    """A staff member signed in to the admin (session) or sending an API token."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.is_staff
    # The API's own authentication classes (a token, the session), as a view of the API would read them.
    for authentication_class in api_settings.DEFAULT_AUTHENTICATION_CLASSES:
        try:
            authenticated = authentication_class().authenticate(Request(request))
        except (AuthenticationFailed, DatabaseError):
            return False
        if authenticated is not None:
            return authenticated[0].is_staff
    return False
