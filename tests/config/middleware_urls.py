"""URLs for tests/config/test_middleware.py: pages that carry their language in the path (`i18n_patterns`, which
the project's own URLs do not use), and pages that leave a flash message and show it."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path
from django.utils.translation import get_language


def language(request):
    return HttpResponse(get_language())


def leave_message(request):
    messages.success(request, "Saved.")
    return HttpResponseRedirect("/messages/show/")


def show_messages(request):
    return HttpResponse(" ".join(str(message) for message in messages.get_messages(request)))


def api_has_message_store(request):
    return JsonResponse({"store": hasattr(request, "_messages")})


urlpatterns = [
    path("messages/leave/", leave_message),
    path("messages/show/", show_messages),
    path("api/v1/store/", api_has_message_store),
    *i18n_patterns(path("language/", language), prefix_default_language=True),
]
