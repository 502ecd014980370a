"""Admin building blocks shared by the apps: alias and document search, tree columns and titled filters."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, Func, TextField, Value
from django.forms.models import BaseInlineFormSet, _get_foreign_key
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from accounts.scope import editable_projects, editable_regions, may_write, scope_description
from core.dates import format_partial_date
from core.forms import PeopleFormatsMixin, PeopleFormatsModelForm, is_money_field, money_with_yi
from core.history import Part, event_models, history_events, readable_history
from core.search import document_search

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


class DocumentSearchMixin:
    """Admin search through a search document the database keeps (a project's: its names and those of its
    regions, industries and participants, core.search.document_search), through its index.

    Django's rule stays: every word of the search must be found (quotes keep words together). `search_fields`
    names the document, so that Django shows the search box and lets other forms autocomplete the model.
    """

    # The documents' model, as in api.filters: each admin says its own (a project's: projects.SearchDocument).
    search_documents: type[models.Model]

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, "")
        for word in smart_split(search_term):
            if word[:1] in {'"', "'"} and word[-1:] == word[:1]:
                word = unescape_string_literal(word)
            queryset = document_search(queryset, word, self.search_documents)
        return queryset, may_have_duplicates


class TreeAdminMixin:
    """Columns and read-only fields for a tree model (`core.models.TreeModel` with `children`).

    Each row's number of children is counted in the changelist query itself and links to the
    changelist filtered to those children, so a long list costs no query per row.
    """

    def get_queryset(self, request):
        # A GROUP BY query drops Meta.ordering: state it again so pages stay stable.
        queryset = super().get_queryset(request).annotate(children_count=Count("children"))
        return queryset.order_by(*self.model._meta.ordering)

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


def partial_date_column(name: str, description):
    """A list column showing a date at its precision (`<name>_precision`) as it is typed: `2024-07`,
    not the first day it is stored as (`2024-07-01`, which reads as a known day); sorted by the date."""

    @admin.display(description=description, ordering=name)
    def column(self, obj) -> str:
        return format_partial_date(getattr(obj, name), getattr(obj, f"{name}_precision"))

    return column


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


class GuardedModelForm(PeopleFormatsMixin, forms.ModelForm):
    """Remembers the version a record had when its form was opened, and whose form it is.

    Money and dates are typed as people write them (`core.forms`): 20亿, 2024-07.
    """

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    request = None  # set per request by TrackerModelAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A change form posted without the version it was opened at cannot be checked: refused.
            version = self.fields["opened_version"]
            version.required = True
            version.error_messages["required"] = _("This form does not say when it was opened; open the record again.")
            # Bound too: the version posted back is then no change of the form (has_changed), as it is none
            # of the record's.
            version.initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        if self.instance.pk and opened is not None:
            model = type(self.instance)
            current = model._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if current is not None and current != opened:
                raise ValidationError(
                    _(
                        "Someone else changed this record after you opened it. Your changes were not saved: "
                        "open it again to see the current values, then redo your edit."
                    ),
                    code="stale",
                )
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        user = getattr(self.request, "user", None)
        if user is not None and not may_write(user, self.instance):
            self.add_error(
                None,
                ValidationError(
                    _("This would place the record outside your regions (%(regions)s).")
                    % {"regions": scope_description(user)},
                    code="out_of_scope",
                ),
            )


class TrackerInline(admin.TabularInline):
    """A table of a record's dependent rows, taking money and dates as people write them.

    In the record's history a row is named by the values of `history_title_fields` (by default, its
    first two fields): "Signed, 2024-07" for a milestone.
    """

    form = PeopleFormatsModelForm
    history_title_fields: tuple[str, ...] = ()

    def history_part(self, parent_model: type[models.Model]) -> Part:
        fk = _get_foreign_key(parent_model, self.model, fk_name=self.fk_name)
        title = self.history_title_fields or tuple(name for name in (self.fields or ()) if name != fk.name)[:2]
        return Part(model=self.model, fk_name=fk.name, title_fields=title)


class TrackerModelAdmin(admin.ModelAdmin):
    """The base of every domain admin: no lost edits, and each editor writes only their regions.

    - A change form remembers the record's `version` when it was opened; saving it after someone
      else changed the record is refused with a message instead of silently overwriting them.
    - A regional editor sees every record but may change or delete only those located in their
      regions (others open read-only), may pick only their regions in region fields, and cannot
      save a record into another region.
    """

    form = GuardedModelForm
    region_fields: tuple[str, ...] = ("region", "headquarters", "parent")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        # The hidden version rides along in the first fieldset.
        first_name, first_options = fieldsets[0]
        fields = list(first_options.get("fields", ()))
        if "opened_version" not in fields:
            fieldsets[0] = (first_name, {**first_options, "fields": [*fields, "opened_version"]})
        return fieldsets

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_write(request.user, obj))

    def save_model(self, request, obj, form, change) -> None:
        # A record saved as it was opened is not written: an UPDATE would raise its version (every
        # other client's ETag would go stale for nothing) and add an event to its history. Its
        # inlines and many-to-many fields are still saved, each only if it changed.
        if change and not form.has_changed():
            return
        super().save_model(request, obj, form, change)

    # The history page: how many events one page shows, and what names a record without a name field.
    history_per_page = 50
    history_title_fields: tuple[str, ...] = ()

    def history_view(self, request, object_id, extra_context=None):
        """The record's history as a clerk reads it (`core.history`), with that of the rows its inlines
        show: who changed what, when, each field by its label, before and after."""
        if not event_models(self.model):
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        parts = [
            inline.history_part(self.model)
            for inline in self.get_inline_instances(request, obj)
            if isinstance(inline, TrackerInline) and event_models(inline.model)
        ]
        paginator = self.get_paginator(request, history_events(obj, parts), self.history_per_page)
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(record)s") % {"record": obj},
            "subtitle": None,
            "entries": readable_history(obj, parts, list(page), self.history_title_fields),
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "parts": [part.model._meta.verbose_name_plural for part in parts],
            "module_name": str(self.opts.verbose_name_plural),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/tracker_history.html", context)

    def get_list_display(self, request):
        # An amount in a list reads in yuan and in 亿元, as the bureaus speak of it.
        columns = super().get_list_display(request)
        return [self._money_column(name) if isinstance(name, str) else name for name in columns]

    def _money_column(self, name: str):
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return name
        if not is_money_field(field):
            return name

        @admin.display(description=field.verbose_name, ordering=name, empty_value=self.get_empty_value_display())
        def column(obj) -> str | None:
            return money_with_yi(getattr(obj, name), obj.currency) or None

        column.__name__ = f"{name}_with_yi"
        return column

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Say why a record opens read-only, rather than leaving an editor to guess.
        if obj is not None and obj.pk and not may_write(request.user, obj) and super().has_change_permission(request):
            context["subtitle"] = _("Read only: this record lies outside your regions (%(regions)s).") % {
                "regions": scope_description(request.user)
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_write(request.user, obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None:
            field.queryset = self.choosable(request.user, db_field.name, field.queryset)
        return field

    def choosable(self, user, field_name: str, queryset: models.QuerySet) -> models.QuerySet:
        """What `user` may pick in `field_name`: in a field that places the record (its region, or
        the project it belongs to), only what lies in their regions."""
        label = queryset.model._meta.label
        if label == "regions.Region" and field_name in self.region_fields:
            return editable_regions(user, queryset)
        if label == "projects.Project" and field_name == "project":
            return editable_projects(user, queryset)
        return queryset

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # The autocomplete of a field that places a record offers what the form would accept.
        source = self._autocomplete_source(request)
        if source is not None:
            queryset = source.choosable(request.user, request.GET["field_name"], queryset)
        return queryset, may_have_duplicates

    def _autocomplete_source(self, request) -> TrackerModelAdmin | None:
        """The admin of the form whose field is being autocompleted, when it is one of ours."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "autocomplete":
            return None
        try:
            model = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
        except (LookupError, ValueError):
            return None
        source = self.admin_site._registry.get(model)
        return source if isinstance(source, TrackerModelAdmin) else None
