"""One router for the whole API; each app registers its collections in its own `urls.py`."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

app_name = "api"
urlpatterns = router.urls
