"""Commitments in the admin: each with its actuals inline. They have admins of their own rather than inlines on
the project's page, which already carries five (and whose history and import code list them)."""

from django.contrib import admin

from commitments.models import Commitment, CommitmentObservation
from core.admin import TrackerInline, TrackerModelAdmin


class CommitmentObservationInline(TrackerInline):
    model = CommitmentObservation
    fields = ("period", "value", "unit", "note", "citation")
    history_title_fields = ("period", "value")
    autocomplete_fields = ("citation",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commitment__project")


@admin.register(Commitment)
class CommitmentAdmin(TrackerModelAdmin):
    list_display = ("project", "kind", "comparator", "target", "unit", "land_area", "due_on", "due_milestone")
    list_select_related = ("project",)
    list_filter = ("kind", "comparator", "unit")
    search_fields = ("project__name", "project__name_zh", "project__slug", "remedy")
    autocomplete_fields = ("project", "citation")
    fields = (
        "project",
        "kind",
        "comparator",
        "target",
        "unit",
        "land_area",
        "due_on",
        "due_offset_months",
        "due_milestone",
        "remedy",
        "citation",
    )
    inlines = [CommitmentObservationInline]
    history_title_fields = ("kind",)


@admin.register(CommitmentObservation)
class CommitmentObservationAdmin(TrackerModelAdmin):
    list_display = ("commitment", "period", "value", "unit")
    list_select_related = ("commitment__project",)
    list_filter = ("unit", "commitment__kind")
    search_fields = ("commitment__project__name", "commitment__project__name_zh", "period")
    autocomplete_fields = ("commitment", "citation")
    fields = ("commitment", "period", "value", "unit", "note", "citation")
