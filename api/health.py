"""`/healthz`: is this process able to answer, and does its database answer?"""

from __future__ import annotations

import time

from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
@transaction.non_atomic_requests  # ATOMIC_REQUESTS would need the database before we could report it down
def healthz(request):
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_database(), now()")
            version, database, now = cursor.fetchone()
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "unavailable", "database": {"ok": False, "error": exc.__class__.__name__}},
            status=503,
        )
    return JsonResponse(
        {
            "status": "ok",
            "database": {
                "ok": True,
                "name": database,
                "server_version": version,
                "server_time": now.isoformat(),
                "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        }
    )
