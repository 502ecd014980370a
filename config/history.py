"""The change history of a record as the API shows it (from django-pghistory's events)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class HistoryEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="pgh_created_at", help_text="When the change was committed.")
    action = serializers.SerializerMethodField(help_text="insert, update or delete.")
    model = serializers.SerializerMethodField(help_text="What kind of record changed, e.g. projects.Participant.")
    object_id = serializers.CharField(source="pgh_obj_id", allow_null=True, help_text="Id of the record changed.")
    user = serializers.SerializerMethodField(help_text="Username of whoever made the change, if known.")
    url = serializers.SerializerMethodField(help_text="The address the change was made through, if any.")
    changes = serializers.SerializerMethodField(
        help_text="For updates: each changed field with its value before and after, as [before, after]."
    )
    snapshot = serializers.JSONField(source="pgh_data", help_text="The record's values after the change.")

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
        return event.pgh_diff or {}
