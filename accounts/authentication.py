"""Token authentication (django-rest-knox's, refusing with 401 a token that cannot be one) and session
authentication (DRF's)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from rest_framework import authentication
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

# knox tokens are hex digits behind an optional ASCII prefix; anything else is not a token.
TOKEN_SHAPE = re.compile(rb"[\x21-\x7e]{1,256}")


# knox's own prefix, and the one OpenAPI's HTTP bearer scheme makes Swagger UI and generated clients send.
PREFIXES = frozenset({b"token", b"bearer"})


class TokenAuthentication(auth.TokenAuthentication):
    """`Authorization: Token <token>` or `Bearer <token>`, with the token checked for shape before knox reads it.

    The OpenAPI document declares an HTTP bearer scheme (`TokenScheme`): Swagger UI's Authorize then takes
    the bare token and sends it as `Bearer <token>`, which works, rather than a bare token knox refused with
    a 401 that said nothing of the missing prefix.

    knox decodes the token as UTF-8 (a Latin-1 byte in the header raised UnicodeDecodeError, a 500)
    and looks its first characters up in PostgreSQL (a NUL byte made the query fail, a 400). Both
    are credentials that cannot be right, so both get 401 like any other wrong token; so does the token
    of a deactivated user.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in PREFIXES:
            return None  # another scheme's header, or none
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the token after its prefix: Authorization: Bearer <token>."))
        return self.authenticate_credentials(parts[1])

    def authenticate_credentials(self, token: bytes):
        if not TOKEN_SHAPE.fullmatch(token):
            raise AuthenticationFailed(_("Invalid token."))
        return super().authenticate_credentials(token)

    def validate_user(self, auth_token):
        # knox says "User inactive or deleted.": whoever holds a deactivated colleague's token would learn
        # that the account exists and was closed. It is a token that does not work, like any other.
        if not auth_token.user.is_active:
            raise AuthenticationFailed(_("Invalid token."))
        return super().validate_user(auth_token)


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme of the class above, under knox's name: HTTP bearer (see the class)."""

    target_class = TokenAuthentication

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token/, sent as `Authorization: Bearer <token>` "
            "(`Token <token>`, knox's prefix, is read too).",
        }


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (the admin's login, which the dashboard's requests carry)."""


class SessionScheme(SpectacularSessionScheme):
    """The OpenAPI security scheme of the class above: DRF's, under its name (`cookieAuth`)."""

    target_class = SessionAuthentication
