"""What a locked-out client sees after too many failed logins (django-axes)."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse


def locked_out(request, credentials=None, *args, **kwargs) -> HttpResponse:
    retry_after = str(int(float(settings.AXES_COOLOFF_TIME) * 3600))
    message = "Too many failed logins; try again later."
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "locked_out", "message": message}}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = retry_after
    return response
