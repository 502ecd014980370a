"""Token routes, mounted under /api/v1/auth/."""

from django.urls import path

from accounts.views import TokenLoginView, TokenRevokeView

urlpatterns = [
    path("auth/token/", TokenLoginView.as_view(), name="auth-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="auth-token-revoke"),
]
