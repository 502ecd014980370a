"""Request bodies Django would read as empty: refused with 411, never taken for "no changes".

A chunked body (`Transfer-Encoding: chunked`) comes with no Content-Length, and Django reads exactly
Content-Length bytes: a chunked PATCH used to change nothing, answer 200 and still raise the version.
gunicorn's workers as `make run` and Docker start them decode such bodies first and pass their length
(config/serving.py); any other server (a sync worker, runserver) leaves them unread, and they get 411.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext


class UnframedBodyMiddleware:
    """Answers 411 to a request whose body is framed by Transfer-Encoding instead of Content-Length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if meta.get("HTTP_TRANSFER_ENCODING") and not meta.get("CONTENT_LENGTH"):
            message = gettext("Send the body with a Content-Length: a chunked body is not read here.")
            return JsonResponse({"error": {"code": "length_required", "message": message}}, status=411)
        return self.get_response(request)
