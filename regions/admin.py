from django.contrib import admin

from core.admin import AliasSearchMixin, TrackerModelAdmin, TreeAdminMixin
from core.imports import TrackerExportMixin
from regions.models import Region
from regions.resources import RegionResource


@admin.register(Region)
class RegionAdmin(TrackerExportMixin, AliasSearchMixin, TreeAdminMixin, TrackerModelAdmin):
    resource_classes = (RegionResource,)
    list_display = ("code", "name", "name_zh", "level", "parent", "children_link")
    list_select_related = ("parent",)
    list_filter = ("level",)
    search_fields = ("code", "name", "name_zh")
    autocomplete_fields = ("parent",)
    fields = ("code", "name", "name_zh", "aliases", "level", "parent", "ancestors_display", "path", "children_link")
    readonly_fields = ("ancestors_display", "path", "children_link")
