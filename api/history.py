"""The change history of a record as the API shows it (from django-pghistory's events)."""

from __future__ import annotations

import json
from typing import Any

import pghistory.core
from django.db import models
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


def event_models(model: type[models.Model]) -> list[type[models.Model]]:
    """The row-level event models (one snapshot per row change) that track `model`."""
    return [
        event_model
        for event_model in pghistory.core.event_models(tracks_model=model)
        if hasattr(event_model, "pgh_obj")
    ]


def with_exact_values(events: QuerySet) -> QuerySet:
    """The events with their snapshot and changes also as JSON text.

    Django reads a JSON column with `json.loads`, which turns a decimal into a float: a planned
    investment of 123456789012345678.91 yuan would read as 1.2345678901234568e+17, and a change of a
    cent would show the same value before and after. Read from the text, a decimal keeps every digit.
    """
    return events.annotate(
        exact_snapshot=Cast("pgh_data", output_field=TextField()),
        exact_changes=Cast("pgh_diff", output_field=TextField()),
    )


def exact_json(text: str | None, parsed: Any) -> Any:
    """JSON from its text, each decimal number as a string exactly as stored ("2000000000.00");
    falls back to Django's reading when the text was not selected."""
    if text is None:
        return parsed
    return json.loads(text, parse_float=str)


class HistoryEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        source="pgh_created_at", help_text="When the change was made (the start of the transaction that made it)."
    )
    action = serializers.SerializerMethodField(help_text="insert, update or delete.")
    model = serializers.SerializerMethodField(help_text="What kind of record changed, e.g. projects.Participant.")
    object_id = serializers.CharField(source="pgh_obj_id", allow_null=True, help_text="Id of the record changed.")
    user = serializers.SerializerMethodField(help_text="Username of whoever made the change, if known.")
    url = serializers.SerializerMethodField(help_text="The address the change was made through, if any.")
    changes = serializers.SerializerMethodField(
        help_text=(
            "For updates: each changed field with its value before and after, as [before, after]. "
            "Decimal numbers are strings, exact as stored."
        )
    )
    snapshot = serializers.SerializerMethodField(
        help_text="The record's values after the change (before it, for a delete). Decimal numbers are strings."
    )

    def get_action(self, event) -> str:
        return str(event.pgh_label)

    def get_model(self, event) -> str:
        return str(event.pgh_model).removesuffix("Event")

    def get_user(self, event) -> str | None:
        user_id = (event.pgh_context or {}).get("user")
        return self.context.get("usernames", {}).get(user_id)

    def get_url(self, event) -> str | None:
        return (event.pgh_context or {}).get("url")

    @extend_schema_field(
        serializers.DictField(child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2))
    )
    def get_changes(self, event) -> dict[str, Any]:
        return exact_json(getattr(event, "exact_changes", None), event.pgh_diff) or {}

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_snapshot(self, event) -> dict[str, Any]:
        return exact_json(getattr(event, "exact_snapshot", None), event.pgh_data)
