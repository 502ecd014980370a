"""OpenAPI: every operation documents the errors it can return, in the one error shape."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

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
                "constraint": serializers.CharField(required=False, help_text="For 409s: the rule that was hit."),
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
    404: _example("Not found", 404, {"error": {"code": "not_found", "message": "No Project matches the given query."}}),
    409: _example(
        "Still referenced",
        409,
        {
            "error": {
                "code": "conflict",
                "message": ("This record is still referenced by investment projects; delete or reassign those first."),
            }
        },
    ),
}
DESCRIPTIONS = {
    400: "Invalid input or query parameter; `error.fields` names each offending one.",
    403: "Not signed in, or lacking the permission for this change.",
    404: "No record has this key.",
    409: "Conflicts with existing data: a duplicate key, or a record still referenced by others.",
}


def error_response(status: int) -> OpenApiResponse:
    return OpenApiResponse(response=ERROR, description=DESCRIPTIONS[status], examples=[EXAMPLES[status]])


class TrackerAutoSchema(AutoSchema):
    """Adds the error responses of each kind of operation, tags by collection, and summaries."""

    def _errors_for(self) -> list[int]:
        method = self.method.upper()
        is_list = self._is_list_view()
        statuses: list[int] = []
        if method == "GET" and is_list:
            statuses.append(400)
        if method in ("POST", "PUT", "PATCH"):
            statuses.append(400)
        if method not in ("GET", "HEAD", "OPTIONS"):
            statuses.append(403)
        if not is_list or "{" in self.path.rsplit("/", 2)[-2] or "{project}" in self.path:
            statuses.append(404)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            statuses.append(409)
        return sorted(set(statuses))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self._errors_for():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(error_response(status), str(status), direction)
        return responses

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

    target_class = "config.serializers.KeyRelatedField"

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            schema = {"type": "string", "description": str(field.help_text or "Key of the related record.")}
        else:
            schema = auto_schema.resolve_serializer(field.summary_serializer, direction).ref
        if field.allow_null:
            schema = {"allOf": [schema], "nullable": True} if "$ref" in schema else {**schema, "nullable": True}
        return schema
