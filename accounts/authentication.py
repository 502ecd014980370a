"""Token authentication (django-rest-knox's, refusing with 401 a token that cannot be one) and session
authentication (DRF's, without building an empty session's anonymous user)."""

from __future__ import annotations

import re

from django.conf import settings
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
    """DRF's session authentication (the admin's login, which the dashboard's requests carry), without a session
    for a request that has no session cookie.

    Such a request's session is empty and its user anonymous, and DRF's class finds that out by building the
    user: Django's lazy user, the session store and a failed lookup in it, about 5% of a project detail's
    instructions (callgrind), on every request of a client that authenticates with a token or not at all.
    The session is marked as read, as that lookup would have marked it, so that the answer still says it
    varies on the Cookie header (a session cookie would change it).
    """

    def authenticate(self, request):
        django_request = request._request
        session = getattr(django_request, "session", None)
        if session is not None and settings.SESSION_COOKIE_NAME not in django_request.COOKIES:
            session.accessed = True
            return None
        return super().authenticate(request)


class SessionScheme(SpectacularSessionScheme):
    """The OpenAPI security scheme of the class above: DRF's, under its name (`cookieAuth`)."""

    target_class = SessionAuthentication
