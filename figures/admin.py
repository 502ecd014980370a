from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import DistinctRowsFormSet, TrackerInline, TrackerModelAdmin
from figures.models import Figure

FIGURE_FIELDS = (
    "metric",
    "label",
    "period",
    "value",
    "unit",
    "qualifier",
    "is_estimated",
    "is_derived",
    "formula",
    "citation",
)


class FigureFormSet(DistinctRowsFormSet):
    distinct_fields = ("metric", "period", "label")
    distinct_message = _("Two figures give the same metric for the same period; tell them apart by their label.")


class FigureInline(TrackerInline):
    """Figures a source states about the project the page shows; `companies.admin` reuses it with
    `fk_name = "company"` for the figures about a company."""

    model = Figure
    fk_name = "project"
    formset = FigureFormSet
    fields = FIGURE_FIELDS
    history_title_fields = ("metric", "period", "label")
    autocomplete_fields = ("citation",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "company")


@admin.register(Figure)
class FigureAdmin(TrackerModelAdmin):
    list_display = ("subject", "metric", "label", "period", "value", "unit", "qualifier", "is_estimated", "is_derived")
    list_select_related = ("project", "company")
    list_filter = ("metric", "unit", "qualifier", "is_estimated", "is_derived")
    search_fields = (
        "project__name",
        "project__name_zh",
        "project__slug",
        "company__name",
        "company__name_zh",
        "label",
        "period",
    )
    autocomplete_fields = ("project", "company", "citation")
    fields = ("project", "company", *FIGURE_FIELDS[:3], "period_start", "period_end", *FIGURE_FIELDS[3:])
    readonly_fields = ("period_start", "period_end")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "company")

    @admin.display(description=_("project or company"))
    def subject(self, obj) -> str:
        return str(obj.project or obj.company)
