"""Cross-cutting API pieces: permissions, pagination, the error envelope."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings

from api import outage


class DatabaseUnavailable(exceptions.APIException):
    """The database is down or dropped the connection (api.outage): 503, with when to retry."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The database is unavailable; try again shortly.")
    default_code = "database_unavailable"

    def __init__(self) -> None:
        super().__init__()
        self.wait = outage.retry_after()  # DRF's handler sends `wait` as Retry-After


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state of the record.")
    default_code = "conflict"


def _describe_protected(exc: ProtectedError | RestrictedError) -> str:
    blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or []
    names = sorted({str(obj._meta.verbose_name_plural) for obj in blockers})
    return gettext("This record is still referenced by %(names)s; delete or reassign those first.") % {
        "names": ", ".join(names) or gettext("other records")
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """One error shape for every failure.

    `{"error": {"code": ..., "message": ..., "fields": {field: [{"code", "message"}]}}}`:
    a machine-readable code, a human message, and one entry per offending field for 400s.
    Django's own exceptions are mapped first so that model validation and PROTECT give 400/409,
    never 500.
    """
    if isinstance(exc, outage.OUTAGE_ERRORS):
        if context.get("request") is not None:
            outage.report(context["request"], exc)
        exc = DatabaseUnavailable()
    elif isinstance(exc, ProtectedError | RestrictedError):  # before IntegrityError: they subclass it
        exc = Conflict(_describe_protected(exc))
    elif isinstance(exc, IntegrityError | DataError):
        exc = _database_refusal(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = _unknown_format(context) or exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    # Imported here: rest_framework.views reads DEFAULT_PERMISSION_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = {"error": error_body(exc)}
    return response


def _unknown_format(context: dict[str, Any]) -> exceptions.ValidationError | None:
    """DRF answers `?format=` naming no renderer with a 404; it is a bad parameter like any other.

    Content negotiation runs before the view looks anything up, so a 404 on a request whose
    format no renderer of the view writes comes from the format, never from a missing record.
    """
    request, view = context.get("request"), context.get("view")
    name = api_settings.URL_FORMAT_OVERRIDE
    value = request.query_params.get(name) if request is not None and name else None
    if not value or view is None:
        return None
    formats = [renderer.format for renderer in view.get_renderers()]
    if value in formats:
        return None
    message = gettext("Choose one of: %(formats)s.") % {"formats": ", ".join(formats)}
    return exceptions.ValidationError({name: [exceptions.ErrorDetail(message, code="invalid_choice")]})


class DatabaseRefused(exceptions.ValidationError):
    """The database refused a write that validation let through (a race, or a rule only it checks)."""


def _constraint_messages() -> dict[str, str]:
    messages = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            messages[constraint.name] = str(constraint.violation_error_message or constraint.name)
    return messages


def _database_refusal(exc: IntegrityError | DataError) -> exceptions.APIException:
    """The answer to a write the database refused after validation let it through.

    The message is ours: a model constraint's own message, or one per kind of refusal. PostgreSQL's text
    and the names of its tables and constraints stay in the log (django.request logs the 409 or 400).
    """
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    sqlstate = getattr(cause, "sqlstate", "") or ""
    ours = _constraint_messages().get(name)
    if sqlstate == "23505":  # unique_violation: someone else took this key between validation and the write
        return Conflict(
            {
                "code": "unique",
                "message": ours
                or gettext("Another record already has this key (perhaps saved a moment ago); choose another."),
            }
        )
    if sqlstate == "23503":  # foreign_key_violation: a record it refers to was deleted meanwhile, or the reverse
        return Conflict(
            gettext("A record this one refers to, or that refers to it, changed meanwhile; read it again and retry.")
        )
    message = ours or gettext("The database refused it.")
    detail = {"non_field_errors": [exceptions.ErrorDetail(message, code=name if ours else "database")]}
    return DatabaseRefused(detail)


def error_body(exc: exceptions.APIException) -> dict[str, Any]:
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        body: dict[str, Any] = {
            "code": "invalid",
            "message": gettext("The request is invalid; see the errors per field."),
        }
        body["fields"] = fields
        return body
    detail = exc.detail
    if isinstance(detail, dict) and "message" in detail:
        return {key: _text(value) for key, value in detail.items()}
    codes = exc.get_codes()
    return {"code": codes if isinstance(codes, str) else exc.default_code, "message": _text(detail)}


def _field_errors(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    """Flatten DRF's nested error detail into `{"field.sub": [{"code", "message"}]}`."""
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            key = "non_field_errors" if key == NON_FIELD_ERRORS else key  # model clean() and constraints say __all__
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, errors in _field_errors(value, name).items():
                out.setdefault(field, []).extend(errors)
    elif isinstance(detail, list):
        if all(isinstance(item, (exceptions.ErrorDetail, str)) for item in detail):
            key = prefix or "non_field_errors"
            out[key] = [{"code": getattr(item, "code", "invalid"), "message": _text(item)} for item in detail]
        else:
            for index, item in enumerate(detail):
                for field, errors in _field_errors(item, f"{prefix}[{index}]").items():
                    out.setdefault(field, []).extend(errors)
    else:
        key = prefix or "non_field_errors"
        out[key] = [{"code": getattr(detail, "code", "invalid"), "message": _text(detail)}]
    return out


def _text(value: Any) -> str:
    """A message that JSON can carry: messages echo input, and a lone surrogate ("\\ud800") would crash the renderer."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")
