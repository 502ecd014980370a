from django.urls import include, path
from rest_framework.routers import DefaultRouter

from bench.naive.views import ProjectViewSet, RegionViewSet

router = DefaultRouter()
router.register("projects", ProjectViewSet)
router.register("regions", RegionViewSet)

urlpatterns = [path("api/v1/", include(router.urls))]
