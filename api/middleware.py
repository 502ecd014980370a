"""Request limits and security headers that apply to every response."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

API_PREFIX = "/api/"

# Swagger UI and Redoc inline a bootstrap script and styles, and Redoc runs a blob: worker; all
# else comes from this server, which is also what keeps the docs working offline.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not: CSP and Permissions-Policy.

    It sits just inside SecurityMiddleware and above WhiteNoise, so static files, error pages and
    the 413 of the body limit get them too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # One opener policy for every page: drf-spectacular relaxes Swagger UI's to `unsafe-none`
        # for OAuth2 pop-ups, and this API has no OAuth2.
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            response.headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
        return response


class RequestBodyLimitMiddleware:
    """Refuses an API request body over `API_MAX_BODY_BYTES` with 413 and the JSON error shape,
    before anything reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.path.startswith(API_PREFIX) and length > limit:
            return JsonResponse(
                {"error": {"code": "too_large", "message": f"The request body is over {limit} bytes."}}, status=413
            )
        return self.get_response(request)
