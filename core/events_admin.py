"""django-pghistory's raw events page (`Events` in the admin, "Events" beside a record's History button),
in the admin's language.

It stays for bureau administrators and developers who need a change exactly as stored (the JSON snapshot and
diff); a clerk reads a record's History page (core.history). pghistory leaves its titles, column headers and
filter names unmarked, so they are given here; settings.PGHISTORY_ADMIN_CLASS puts this admin in its place.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from pghistory.admin import EventsAdmin
from pghistory.admin.core import (
    BackFilter,
    EventModelFilter,
    LabelFilter,
    MethodFilter,
    ModelFilter,
    ObjFilter,
    _get_model,
    _get_obj,
)
from pghistory.models import Events

METHODS = {"tracks": _("this record"), "references": _("this record and what refers to it")}


class TranslatedLabelFilter(LabelFilter):
    title = _("event label")


class TranslatedEventModelFilter(EventModelFilter):
    title = _("event model")


class TranslatedMethodFilter(MethodFilter):
    title = _("events of")

    def lookups(self, request, model_admin):
        return tuple(METHODS.items())


class TranslatedObjFilter(ObjFilter):
    title = _("record")


class TranslatedModelFilter(ModelFilter):
    title = _("model")


FILTERS = {
    LabelFilter: TranslatedLabelFilter,
    EventModelFilter: TranslatedEventModelFilter,
    MethodFilter: TranslatedMethodFilter,
    ObjFilter: TranslatedObjFilter,
    ModelFilter: TranslatedModelFilter,
    BackFilter: BackFilter,
}


def name_events() -> None:
    """The model's names, which pghistory leaves unmarked ("events" in every language). Only the runtime
    names change: Meta's original options, which migrations compare, stay pghistory's."""
    Events._meta.verbose_name = _("event")
    Events._meta.verbose_name_plural = _("events")


class ChangeEventsAdmin(EventsAdmin):
    change_list_template = "admin/tracker_events_change_list.html"
    # A row's own page would show pghistory's raw columns (pgh_slug, pgh_context, ...) with their English
    # help texts; the list shows what it holds (when, which record, the diff), so rows open nothing.
    list_display_links = None

    def get_list_display(self, request):
        return ("created_at_shown", "model_shown", "object_shown", "diff_shown")

    def get_list_filter(self, request):
        return [FILTERS[list_filter] for list_filter in super().get_list_filter(request)]

    @admin.display(description=_("When"), ordering="pgh_created_at")
    def created_at_shown(self, event):
        return event.pgh_created_at

    @admin.display(description=_("event model"))
    def model_shown(self, event) -> str:
        return event.pgh_obj_model

    @admin.display(description=_("record id"))
    def object_shown(self, event) -> str:
        return event.pgh_obj_id

    @admin.display(description=_("Changes"))
    def diff_shown(self, event):
        return event.pgh_diff

    def changelist_view(self, request, extra_context=None):
        # pghistory's own view words the subtitle in English ("Tracks Project X"): this one says it in
        # the admin's language, and otherwise does the same.
        extra_context = {**(extra_context or {}), "title": capfirst(self.model._meta.verbose_name_plural)}
        obj, model = _get_obj(request.GET.get("obj")), _get_model(request.GET.get("model"))
        if obj:
            obj.refresh_from_db()
            method = METHODS.get(request.GET.get("method", ""))
            extra_context["subtitle"] = f"{capfirst(method)}: {obj}" if method else str(obj)
        elif model:
            extra_context["subtitle"] = str(capfirst(model._meta.verbose_name_plural))
        if "back" in request.GET:
            extra_context["pgh_back"] = request.GET["back"]
        return admin.ModelAdmin.changelist_view(self, request, extra_context=extra_context)
