"""What a locked-out client sees after too many failed logins (django-axes)."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.http import HttpResponse, JsonResponse

MESSAGE = "Too many failed logins; try again later."


def locked_out(request, original_response=None, credentials=None) -> HttpResponse:
    """429 with `Retry-After` (the cool-off, in seconds): JSON under /api/, plain text elsewhere."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "locked_out", "message": MESSAGE}}, status=429)
    else:
        response = HttpResponse(MESSAGE, status=429, content_type="text/plain; charset=utf-8")
    cool_off = get_cool_off(request)
    if cool_off is not None:  # None: locked until an administrator resets it; no time to promise
        response["Retry-After"] = str(max(1, int(cool_off.total_seconds())))
    return response
