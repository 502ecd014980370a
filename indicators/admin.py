from django.contrib import admin

from core.admin import TrackerModelAdmin
from core.imports import TrackerExportMixin
from indicators.models import Indicator, Observation
from indicators.resources import IndicatorResource, ObservationResource


@admin.register(Indicator)
class IndicatorAdmin(TrackerExportMixin, TrackerModelAdmin):
    resource_classes = (IndicatorResource,)
    list_display = ("code", "name", "name_zh", "unit")
    list_filter = ("unit",)
    search_fields = ("code", "name", "name_zh")
    fields = ("code", "name", "name_zh", "unit", "description")


@admin.register(Observation)
class ObservationAdmin(TrackerExportMixin, TrackerModelAdmin):
    resource_classes = (ObservationResource,)
    list_display = ("region", "indicator", "period", "value", "qualifier", "is_derived")
    list_select_related = ("region", "indicator")
    list_filter = ("indicator", "period", "is_derived", "qualifier")
    search_fields = ("region__name", "region__name_zh", "region__code", "indicator__name", "indicator__name_zh")
    autocomplete_fields = ("region", "indicator", "citation")
    fields = (
        "region",
        "indicator",
        "period",
        "period_start",
        "period_end",
        "value",
        "qualifier",
        "rank_text",
        "is_derived",
        "formula",
        "citation",
    )
    readonly_fields = ("period_start", "period_end")

    def get_queryset(self, request):
        # An observation's name shows its indicator and region.
        return super().get_queryset(request).select_related("region", "indicator")
