from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from companies.models import Company
from companies.resources import CompanyResource
from core.admin import HTTPS_URL_FIELDS, AliasSearchMixin, TrackerModelAdmin, titled_choices_filter
from core.imports import TrackerImportExportMixin
from figures.admin import FigureInline


class CompanyFigureInline(FigureInline):
    """Figures a source states about the company itself (revenue, market share, ...)."""

    fk_name = "company"


@admin.register(Company)
class CompanyAdmin(TrackerImportExportMixin, AliasSearchMixin, TrackerModelAdmin):
    resource_classes = (CompanyResource,)
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ("name", "name_zh", "kind", "headquarters", "credit_code", "stock_code", "parent")
    list_select_related = ("headquarters", "parent")
    list_filter = (
        "kind",
        "credit_code_unverified",
        ("headquarters__level", titled_choices_filter(_("headquarters level"))),
    )
    search_fields = ("name", "name_zh", "credit_code", "stock_code")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("headquarters", "parent", "parent_citation", "industries")
    fieldsets = (
        (None, {"fields": ("name", "name_zh", "aliases", "slug", "kind", "headquarters", "industries")}),
        (_("Registration"), {"fields": ("credit_code", "credit_code_unverified", "stock_code", "website")}),
        (_("Parent company"), {"fields": ("parent", "parent_since", "parent_since_precision", "parent_citation")}),
        (None, {"fields": ("description",)}),
    )
    inlines = (CompanyFigureInline,)
