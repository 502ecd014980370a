from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.models import RegionAssignment


class RegionAssignmentInline(admin.TabularInline):
    model = RegionAssignment
    autocomplete_fields = ("region",)
    extra = 0


@admin.register(RegionAssignment)
class RegionAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "region", "created_at")
    list_select_related = ("user", "region")
    search_fields = ("user__username", "region__code", "region__name", "region__name_zh")
    autocomplete_fields = ("user", "region")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class TrackerUserAdmin(UserAdmin):
    """Users, with the regions each regional editor answers for."""

    inlines = [*UserAdmin.inlines, RegionAssignmentInline]
