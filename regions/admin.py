from django.contrib import admin

from core.admin import AliasSearchMixin, TrackerModelAdmin, TreeAdminMixin
from regions.models import Region


@admin.register(Region)
class RegionAdmin(AliasSearchMixin, TreeAdminMixin, TrackerModelAdmin):
    list_display = ("code", "name", "name_zh", "level", "parent", "children_link")
    list_select_related = ("parent",)
    list_filter = ("level",)
    search_fields = ("code", "name", "name_zh")
    autocomplete_fields = ("parent",)
    fields = ("code", "name", "name_zh", "aliases", "level", "parent", "ancestors_display", "path", "children_link")
    readonly_fields = ("ancestors_display", "path", "children_link")
