from django.urls import path

from dashboard.views import index

# One page, named without a namespace: the admin's header links to it as {% url "dashboard" %}.
urlpatterns = [
    path("", index, name="dashboard"),
]
