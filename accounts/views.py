"""API tokens: issued for a username and password, expiring, revocable; only a hash is stored."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import TokenAuthentication
from api.schema import error_response


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only once.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working.")
    username = serializers.CharField()


class TokenLoginView(APIView):
    """Exchange a username and password for an API token."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_scope = "login"

    @extend_schema(
        summary="Issue an API token",
        description=(
            "Checks the username and password and returns a new token, valid for "
            f"{int(knox_settings.TOKEN_TTL.total_seconds() // 3600)} hours. Only its hash is stored: "
            "keep the token, it cannot be shown again."
        ),
        tags=["auth"],
        request=CredentialsSerializer,
        responses={201: TokenSerializer, 400: error_response(400), 401: error_response(401), 429: error_response(429)},
        auth=[],
    )
    def post(self, request):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Django's own request: django-axes marks a locked-out client on it for its middleware.
        user = authenticate(request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise AuthenticationFailed(_("Unknown username or wrong password."))
        instance, token = AuthToken.objects.create(user=user)
        data = {"token": token, "expiry": instance.expiry, "username": user.get_username()}
        return Response(TokenSerializer(data).data, status=status.HTTP_201_CREATED)

    def get_authenticate_header(self, request) -> str:
        return TokenAuthentication().authenticate_header(request)


class TokenRevokeView(APIView):
    """Revoke the token this request is authenticated with (or all of the user's tokens)."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Revoke API tokens",
        description="Revokes the token used for this request; with `?all=true`, every token of the user.",
        tags=["auth"],
        request=None,
        parameters=[
            OpenApiParameter(
                "all",
                OpenApiTypes.BOOL,
                description="`true` revokes every token of the user, not only the one used for this request.",
            )
        ],
        responses={204: None, 401: error_response(401), 429: error_response(429)},
        auth=[{"knoxApiToken": []}],  # the scheme every other operation names (accounts.authentication.TokenScheme)
    )
    def post(self, request):
        if request.query_params.get("all", "").lower() in {"1", "true", "yes"}:
            request.user.auth_token_set.all().delete()
        else:
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
