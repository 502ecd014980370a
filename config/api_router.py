"""API v1: one router, to which every app adds its collections."""

from accounts import urls as accounts_urls
from api.routers import router
from commitments import urls as commitments_urls
from companies import urls as companies_urls
from exports import urls as exports_urls
from indicators import urls as indicators_urls
from industries import urls as industries_urls
from oversight import urls as oversight_urls
from projects import urls as projects_urls
from regions import urls as regions_urls
from sources import urls as sources_urls

for app_urls in (
    regions_urls, industries_urls, companies_urls, projects_urls, indicators_urls, sources_urls, oversight_urls,
    commitments_urls,
):  # fmt: skip
    app_urls.register(router)

app_name = "api"
urlpatterns = [*accounts_urls.urlpatterns, *exports_urls.urlpatterns, *oversight_urls.urlpatterns, *router.urls]
