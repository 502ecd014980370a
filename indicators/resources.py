"""Indicators and their observations out of the admin as CSV or XLSX rows (see `core.imports`)."""

from import_export import resources

from core.imports import decimal_field, key_field
from indicators.models import Indicator, Observation
from regions.models import Region


class IndicatorResource(resources.ModelResource):
    class Meta:
        model = Indicator
        fields = ("code", "name", "name_zh", "unit", "description")


class ObservationResource(resources.ModelResource):
    """One row per observation: the region by code, the indicator by code, the value as exact text."""

    region = key_field("region", Region, "code")
    indicator = key_field("indicator", Indicator, "code")
    value = decimal_field("value")

    class Meta:
        model = Observation
        fields = ("region", "indicator", "period", "value", "qualifier", "rank_text", "is_derived", "formula")

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("region", "indicator")
