"""Admin building blocks shared by the apps: alias search, tree columns and titled filters."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Func, TextField, Value
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# Joins a row's aliases for searching. A newline cannot come from the search box, so a search
# term never matches across the end of one alias and the start of the next.
ALIAS_SEPARATOR = "\n"
ALIAS_SEARCH_NAME = "aliases_text"

# A web address typed without its scheme is taken as https (Django 6's default, chosen now).
HTTPS_URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class AliasSearchMixin:
    """Admin search that also matches any of a row's `aliases` (a PostgreSQL text array).

    The aliases are joined into one text with `array_to_string` as a query alias and searched
    like any other search field, so the rule stays Django's: every word of the search must match
    some field, case-insensitively. "Liantou District" thus finds Liandu through its alias
    "Liantou District", and "Kolen" finds Kelun. It is one query, with no join.
    """

    alias_field = "aliases"

    def get_search_fields(self, request):
        return (*super().get_search_fields(request), ALIAS_SEARCH_NAME)

    def get_search_results(self, request, queryset, search_term):
        if search_term:
            queryset = queryset.alias(
                **{
                    ALIAS_SEARCH_NAME: Func(
                        F(self.alias_field),
                        Value(ALIAS_SEPARATOR),
                        function="array_to_string",
                        output_field=TextField(),
                    )
                }
            )
        return super().get_search_results(request, queryset, search_term)


class TreeAdminMixin:
    """Columns and read-only fields for a tree model (`core.models.TreeModel` with `children`).

    Each row's number of children is counted in the changelist query itself and links to the
    changelist filtered to those children, so a long list costs no query per row.
    """

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(children_count=Count("children"))

    @admin.display(description=_("children"), ordering="children_count")
    def children_link(self, obj) -> str:
        if obj is None or not obj.pk:
            return "-"
        count = getattr(obj, "children_count", None)
        if count is None:
            count = obj.children.count()
        if not count:
            return "0"
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return format_html('<a href="{}?parent__id__exact={}">{}</a>', url, obj.pk, count)

    @admin.display(description=_("place in the tree"))
    def ancestors_display(self, obj) -> str:
        if obj is None or not obj.pk:
            return "-"
        return " \u203a ".join(str(ancestor) for ancestor in obj.ancestors()) or "-"


def titled_choices_filter(title):
    """A choices filter for a field reached through a relation, with a title of its own.

    `("region__level", titled_choices_filter(_("region level")))` reads better in the sidebar
    than the bare "level" Django would take from the related field.
    """

    class TitledChoicesFieldListFilter(admin.ChoicesFieldListFilter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return TitledChoicesFieldListFilter


def kept_forms(formset) -> list:
    """The forms of a validated formset whose rows will be saved: filled in, not marked for deletion."""
    return [form for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


class DistinctRowsFormSet(BaseInlineFormSet):
    """An inline formset whose rows must differ in `distinct_fields`.

    Django checks the rows of a formset against each other only for unconditional unique
    constraints. A conditional one (unique per project when the project is set) would otherwise
    reach the database and fail the whole save with an error page instead of a form error.
    """

    distinct_fields: tuple[str, ...] = ()
    distinct_message = _("Two rows are the same.")

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen = set()
        for form in kept_forms(self):
            key = tuple(form.cleaned_data.get(field) for field in self.distinct_fields)
            if key in seen:
                raise ValidationError(self.distinct_message, code="duplicate_rows")
            seen.add(key)
