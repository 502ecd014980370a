from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("config.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    # POST language=zh-hans|en: the admin's language switcher (a cookie; Accept-Language otherwise).
    path("i18n/", include("django.conf.urls.i18n")),
]

admin.site.site_header = _("Investment Project Tracker")
admin.site.site_title = _("Investment Project Tracker")
admin.site.index_title = _("Records")


def _api_errors_as_json(status: int, code: str, message: str, page):
    """Django's own error page, except under /api/, where clients get the API's JSON error shape.

    These answer what never reaches a DRF view (an unknown /api/ path, a refused Host header, an
    unhandled exception), with DEBUG off as in production: never a traceback, a path or a setting.
    """

    def handler(request, *args, **kwargs):
        if request.path.startswith("/api/"):
            return JsonResponse({"error": {"code": code, "message": message}}, status=status)
        return page(request, *args, **kwargs)

    handler.__name__ = f"handler{status}"
    return handler


handler400 = _api_errors_as_json(400, "bad_request", "The request is malformed.", defaults.bad_request)
handler403 = _api_errors_as_json(403, "permission_denied", "You may not do this.", defaults.permission_denied)
handler404 = _api_errors_as_json(404, "not_found", "There is nothing at this address.", defaults.page_not_found)
handler500 = _api_errors_as_json(500, "server_error", "Something went wrong on our side.", defaults.server_error)
