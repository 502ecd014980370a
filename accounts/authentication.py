"""Token authentication (django-rest-knox's, refusing with 401 a token that cannot be one) and session
authentication (DRF's)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

# knox tokens are hex digits behind an optional ASCII prefix; anything else is not a token.
TOKEN_SHAPE = re.compile(rb"[\x21-\x7e]{1,256}")


class TokenAuthentication(auth.TokenAuthentication):
    """`Authorization: Token <token>`, with the token checked for shape before knox reads it.

    knox decodes the token as UTF-8 (a Latin-1 byte in the header raised UnicodeDecodeError, a 500)
    and looks its first characters up in PostgreSQL (a NUL byte made the query fail, a 400). Both
    are credentials that cannot be right, so both get 401 like any other wrong token; so does the token
    of a deactivated user.
    """

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
    """The OpenAPI security scheme of the class above: knox's own, under its name."""

    target_class = TokenAuthentication


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (the admin's login, which the dashboard's requests carry)."""


class SessionScheme(SpectacularSessionScheme):
    """The OpenAPI security scheme of the class above: DRF's, under its name (`cookieAuth`)."""

    target_class = SessionAuthentication
