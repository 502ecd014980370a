"""OpenAPI: every operation documents the errors it can return, in the one error shape."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.settings import api_settings

from api.asof import PARAMETER as AS_OF
from api.asof import AsOfMixin

_FIELD_ERROR = inline_serializer(
    "FieldError",
    fields={
        "code": serializers.CharField(help_text="Machine-readable reason, e.g. invalid_choice, unique, required."),
        "message": serializers.CharField(help_text="Human-readable message."),
    },
)

ERROR = inline_serializer(
    "Error",
    fields={
        "error": inline_serializer(
            "ErrorDetail",
            fields={
                "code": serializers.CharField(help_text="invalid, not_found, conflict, permission_denied, ..."),
                "message": serializers.CharField(help_text="What went wrong, for people."),
                "fields": serializers.DictField(
                    child=_FIELD_ERROR.__class__(many=True),
                    required=False,
                    help_text="For 400s: the errors of each offending field or query parameter.",
                ),
            },
        )
    },
)


def _example(name: str, status: int, body: dict) -> OpenApiExample:
    return OpenApiExample(name, value=body, status_codes=[str(status)], response_only=True)


EXAMPLES = {
    400: _example(
        "Invalid input",
        400,
        {
            "error": {
                "code": "invalid",
                "message": "The request is invalid; see the errors per field.",
                "fields": {"region": [{"code": "invalid_choice", "message": "Nothing has the code 339999."}]},
            }
        },
    ),
    403: _example(
        "Not allowed",
        403,
        {"error": {"code": "not_authenticated", "message": "Authentication credentials were not provided."}},
    ),
    404: _example("Not found", 404, {"error": {"code": "not_found", "message": "Not found."}}),
    401: _example(
        "No valid credentials",
        401,
        {"error": {"code": "authentication_failed", "message": "Invalid token."}},
    ),
    405: _example(
        "Not a record", 405, {"error": {"code": "method_not_allowed", "message": 'Method "PATCH" not allowed.'}}
    ),
    412: _example(
        "Stale If-Match",
        412,
        {
            "error": {
                "code": "precondition_failed",
                "message": (
                    "The record changed since you read it (its ETag no longer matches If-Match); read it again."
                ),
            }
        },
    ),
    428: _example(
        "No If-Match",
        428,
        {
            "error": {
                "code": "precondition_required",
                "message": (
                    "Send an If-Match header with the record's ETag: read the record (GET) and copy its ETag "
                    'header, such as If-Match: "3". If-Match: * writes whatever the record holds now.'
                ),
            }
        },
    ),
    413: _example(
        "Body too large", 413, {"error": {"code": "too_large", "message": "The request body is over 1048576 bytes."}}
    ),
    415: _example(
        "Unreadable body",
        415,
        {"error": {"code": "unsupported_media_type", "message": 'Unsupported media type "text/plain" in request.'}},
    ),
    429: _example(
        "Throttled",
        429,
        {"error": {"code": "throttled", "message": "Request was throttled. Expected available in 12 seconds."}},
    ),
    409: _example(
        "Still referenced",
        409,
        {
            "error": {
                "code": "conflict",
                "message": "This record is still referenced by investment projects; delete or reassign those first.",
            }
        },
    ),
}
DESCRIPTIONS = {
    400: "Invalid input or query parameter; `error.fields` names each offending one.",
    403: "Not signed in, or lacking the permission for this change.",
    404: "No record has this key, or the page or cursor asked for does not exist.",
    409: "Conflicts with existing data: a duplicate key (perhaps taken by a concurrent write), or a record still "
    "referenced by others.",
    401: "Credentials were sent but are not valid (an unknown, expired or revoked token), or a write came without "
    "any; the `WWW-Authenticate` header names the scheme (`Token`).",
    405: "The key is the name of an endpoint of the collection (`/projects/summary/`), which only reads.",
    412: "`If-Match` no longer matches the record's ETag: someone changed it since you read it. Nothing was changed.",
    428: "No `If-Match` header: a write names the version it changes (the `ETag` of a read), so that it cannot "
    "overwrite a change it never saw. Nothing was changed.",
    413: "The request body is larger than the server accepts.",
    415: "The body is not in a media type the operation reads (`Content-Type`: JSON, a form or multipart), or "
    "has none.",
    429: "Too many requests from this client; retry after the number of seconds in `Retry-After`.",
}
# Errors are JSON whatever the client asked for (see TrackerViewSet.finalize_response).
ERROR_MEDIA_TYPES = ["application/json"]
WRITE_METHODS = ("POST", "PUT", "PATCH")
CSV = "text/csv"
CSV_DESCRIPTIONS = {
    True: (
        "With `?format=csv` or `Accept: text/csv`: every row matching the filters, in the same order, "
        "unpaginated and streamed; a header row, nested records as `parent.field` columns, lists joined "
        "with `;`, money as plain decimal strings, UTF-8."
    ),
    False: "With `?format=csv` or `Accept: text/csv`: the same data as CSV, a header row and one line per record.",
}
_LOOKUP_NAMES = {"pk": "id", "id": "id", "slug": "slug", "code": "code"}


def _is_page(value) -> bool:
    return isinstance(value, dict) and {"count", "next", "previous", "results"} <= value.keys()


def error_response(status: int) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR, description=DESCRIPTIONS[status], examples=[EXAMPLES[status]])


class TrackerAutoSchema(AutoSchema):
    """Adds the error responses of each kind of operation, tags by collection, and summaries.

    Which errors an operation can return follows from its shape:
    - 400: writes, and reads that validate query parameters (filters, `group_by`, a page or cursor,
      or only `format`);
    - 403: writes and deletes (anonymous or without the model permission);
    - 404: anything with a key in its path (a record, or the project of a sub-resource), and
      paginated lists (a page or cursor past the end);
    - 409: writes and deletes (a duplicate key lost to a concurrent write, a record still referenced);
    - 412 and 428: changes and deletes of one record (a stale `If-Match`, or none);
    - 405: changes and deletes of one record of a collection with its own endpoints (`/projects/summary/`,
      which a key of that name reaches);
    - 413 and 415: writes (a body too large, or in a media type no parser reads).
    """

    def _errors_for(self) -> list[int]:
        method = self.method.upper()
        statuses: set[int] = set()
        if method in WRITE_METHODS:
            statuses.add(400)
        if method == "GET" and (self._validates_query() or self._is_paginated_list() or self._get_format_parameters()):
            statuses.add(400)
        if method not in ("GET", "HEAD", "OPTIONS"):
            statuses.update((403, 409))
        if "{" in self.path or self._is_paginated_list():
            statuses.add(404)
        if self.get_auth():  # operations open to credentials: a bad token is a 401 everywhere
            statuses.add(401)
        if self._is_versioned_write() and self._list_action_paths():
            statuses.add(405)
        if self._is_versioned_write():
            statuses.add(412)
            if settings.API_REQUIRE_IF_MATCH:
                statuses.add(428)
        if method in WRITE_METHODS:
            statuses.update((413, 415))
        statuses.add(429)
        return sorted(statuses)

    def _action(self) -> str | None:
        """The action of a TrackerViewSet (whose records carry versions), None for other views."""
        from api.viewsets import TrackerViewSet  # here: the viewsets import the settings that name this module

        return self.view.action if isinstance(self.view, TrackerViewSet) else None

    def _is_versioned_write(self) -> bool:
        """A change or delete of one record, which compares its `If-Match` with the record's version."""
        return self._action() in ("update", "partial_update", "destroy") and "{key}" in self.path

    def _list_action_paths(self) -> list[str]:
        """The collection-level actions beside the records (`summary`): `/projects/summary/` is not a record."""
        return [action.url_path for action in self.view.get_extra_actions() if not action.detail]

    def _has_etag(self) -> bool:
        """A read of one record, a create or a change: the answer carries the record's `ETag`."""
        return self._action() in ("retrieve", "create", "update", "partial_update")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_versioned_write():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=settings.API_REQUIRE_IF_MATCH,
                    description=(
                        'The record\'s `ETag` as read (e.g. `"3"`): if someone changed it since, the answer is 412 '
                        "and nothing changes. `*` writes whatever version it has now."
                        + (" Without the header: 428." if settings.API_REQUIRE_IF_MATCH else "")
                    ),
                )
            )
        if self._action() == "retrieve":
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="An `ETag` read before: if the record still has it, the answer is 304 without a body.",
                )
            )
        if self._offers_as_of():
            parameters.append(
                OpenApiParameter(
                    AS_OF,
                    OpenApiTypes.STR,
                    OpenApiParameter.QUERY,
                    description=(
                        "The answer as the service knew it at that moment, rebuilt from the change history: a date "
                        "(`2025-03-31`, the end of that day in the service's time zone) or a date and time "
                        "(ISO 8601). Not in the future; JSON only."
                    ),
                )
            )
        if self._has_etag():
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    response=["200", "201", "304"],
                    description='The record\'s version as a strong entity tag, e.g. `"3"`: send it back in `If-Match`.',
                )
            )
        return parameters

    def _offers_as_of(self) -> bool:
        """A read that `?as_of=` can answer as of a past moment (api.asof)."""
        return self.method.upper() == "GET" and isinstance(self.view, AsOfMixin) and self.view.as_of_documented()

    def _validates_query(self) -> bool:
        if getattr(self.view, "filterset_class", None) and self.get_filter_backends():
            return True
        return any(
            isinstance(parameter, OpenApiParameter) and parameter.required and parameter.location == "query"
            for parameter in self.get_override_parameters()
        )

    def _is_paginated_list(self) -> bool:
        return self.method.upper() == "GET" and self._is_list_view() and self._get_paginator() is not None

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self._action() == "retrieve":
            headers = self._get_response_headers_for_code("304", direction)
            responses["304"] = {
                "description": "Not modified: the record still has the `ETag` sent in `If-None-Match`; no body.",
                **({"headers": headers} if headers else {}),
            }
        for status in self._errors_for():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    error_response(status), str(status), ERROR_MEDIA_TYPES, direction
                )
        return responses

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        if CSV in content:
            if self.method.upper() == "GET" and str(status_code).startswith("2"):
                # CSV is a text table, not the JSON shape: a client reads it as a string.
                content[CSV] = {"schema": {"type": "string", "description": CSV_DESCRIPTIONS[self._is_list_view()]}}
            else:
                del content[CSV]
        return response

    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        for example in examples.values():
            # drf-spectacular wraps a list's example row in a made-up page; an example written as a
            # whole page (a real answer, with its count) is used as it is.
            value = example.get("value")
            results = value.get("results") if isinstance(value, dict) else None
            if isinstance(results, list) and len(results) == 1 and _is_page(results[0]):
                example["value"] = results[0]
        return examples

    def _get_format_parameters(self):
        if self.method.upper() != "GET":
            return []  # writes answer JSON; the format only chooses how reads are written
        parameters = super()._get_format_parameters()
        for parameter in parameters:
            parameter["description"] = (
                "json (the default) or csv; `Accept: text/csv` also gives CSV. Errors are always JSON; "
                "any other format answers 400."
            )
        return parameters

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        if not self._is_list_view():
            # An aggregate (the projects summary) takes the list's filters; its rows have their own order.
            ordering_param = api_settings.ORDERING_PARAM
            parameters = [parameter for parameter in parameters if parameter["name"] != ordering_param]
        filterset_class = getattr(self.view, "filterset_class", None)
        filters = filterset_class.base_filters if filterset_class else {}
        for parameter in parameters:
            # django-filter's help_text is dropped for filters typed with @extend_schema_field.
            filter_field = filters.get(parameter["name"])
            if not parameter.get("description") and filter_field is not None:
                text = filter_field.extra.get("help_text") or filter_field.label
                if text:
                    parameter["description"] = str(text)
        return parameters

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            parameter["schema"], parameter["description"] = self._path_parameter(parameter["name"])
        return parameters

    def _path_parameter(self, name: str) -> tuple[dict, str]:
        """Keys are strings (a code, or an id or slug), except where only a numeric id is accepted."""
        project_kwarg = getattr(self.view, "project_kwarg", None)
        if name == project_kwarg:
            return {"type": "string"}, "Id or slug of the project."
        lookups = getattr(self.view, "lookup_fields", ("pk",))
        model = get_view_model(self.view, emit_warnings=False)
        noun = str(model._meta.verbose_name) if model is not None else "record"
        names = " or ".join(dict.fromkeys(_LOOKUP_NAMES.get(lookup, lookup) for lookup in lookups))
        description = f"{names.capitalize()} of the {noun}."
        if tuple(lookups) == ("pk",):
            return {"type": "integer"}, description
        return {"type": "string"}, description

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and isinstance(serializer, serializers.ModelSerializer) and schema.get("properties"):
            # A record is always answered with every field (null or empty when unset), whatever a write
            # may leave out: a generated client can then read each field without guessing.
            schema["required"] = sorted(schema["properties"])
        return schema

    def get_tags(self) -> list[str]:
        parts = [p for p in self.path.split("/") if p and not p.startswith("{")]
        # /api/v1/projects/{project}/milestones/ is tagged "projects"
        return [parts[2]] if len(parts) > 2 else super().get_tags()

    def get_description(self) -> str:
        description = super().get_description()
        if description:
            return description
        view_doc = (self.view.__class__.__doc__ or "").strip()
        return view_doc


class KeyRelatedFieldExtension(OpenApiSerializerFieldExtension):
    """Requests send the related record's key; responses carry its summary."""

    target_class = "api.serializers.KeyRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            schema = {"type": "string", "description": str(field.help_text or "Key of the related record.")}
        else:
            schema = auto_schema.resolve_serializer(field.summary_serializer, direction).ref
        if field.allow_null:
            schema = {"allOf": [schema], "nullable": True} if "$ref" in schema else {**schema, "nullable": True}
        return schema
