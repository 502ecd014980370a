from django.contrib import admin
from django.db.models import Count
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import HTTPS_URL_FIELDS, TrackerInline, TrackerModelAdmin
from sources.models import Citation, Source


class CitationInline(TrackerInline):
    model = Citation
    fields = ("locator", "quote")
    extra = 0


@admin.register(Source)
class SourceAdmin(TrackerModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ("title", "publisher", "kind", "published_on", "language", "citation_count")
    list_filter = ("kind", "language")
    search_fields = ("title", "slug", "publisher", "url")
    prepopulated_fields = {"slug": ("title",)}
    fields = ("title", "slug", "kind", "publisher", "url", "published_on", "language", "notes")
    inlines = (CitationInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(citation_count=Count("citations"))

    @admin.display(description=_("citations"), ordering="citation_count")
    def citation_count(self, obj) -> int:
        return obj.citation_count


@admin.register(Citation)
class CitationAdmin(TrackerModelAdmin):
    list_display = ("source", "locator", "quote_excerpt")
    list_select_related = ("source",)
    list_filter = ("source__kind",)
    search_fields = ("quote", "locator", "source__title")
    autocomplete_fields = ("source",)
    fields = ("source", "locator", "quote")

    def get_queryset(self, request):
        # A citation's name includes its source's title, also in autocomplete answers.
        return super().get_queryset(request).select_related("source")

    @admin.display(description=_("quote"), ordering="quote")
    def quote_excerpt(self, obj) -> str:
        return Truncator(obj.quote).chars(100)
