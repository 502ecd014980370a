from django.contrib import admin

from core.admin import AliasSearchMixin, TrackerModelAdmin, TreeAdminMixin
from core.imports import TrackerExportMixin
from industries.models import Industry
from industries.resources import IndustryResource


@admin.register(Industry)
class IndustryAdmin(TrackerExportMixin, AliasSearchMixin, TreeAdminMixin, TrackerModelAdmin):
    resource_classes = (IndustryResource,)
    list_display = ("code", "name", "name_zh", "scheme", "parent", "children_link")
    list_select_related = ("parent",)
    list_filter = ("scheme",)
    search_fields = ("code", "name", "name_zh")
    autocomplete_fields = ("parent",)
    fields = (
        "code",
        "name",
        "name_zh",
        "aliases",
        "scheme",
        "parent",
        "description",
        "ancestors_display",
        "path",
        "children_link",
    )
    readonly_fields = ("ancestors_display", "path", "children_link")
