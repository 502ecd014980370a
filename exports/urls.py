"""Routes of the exports app, added to API v1 by config.api_router (outside the router: not a collection)."""

from django.urls import path

from exports.views import OC4IDSExportView

urlpatterns = [path("export/oc4ids/", OC4IDSExportView.as_view(), name="export-oc4ids")]
