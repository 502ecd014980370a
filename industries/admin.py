from django.contrib import admin

from core.admin import AliasSearchMixin, TrackerModelAdmin, TreeAdminMixin
from industries.models import Industry


@admin.register(Industry)
class IndustryAdmin(AliasSearchMixin, TreeAdminMixin, TrackerModelAdmin):
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
