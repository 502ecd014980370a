"""Filter pieces shared by the collections: search, tree subtrees, records by key, strict booleans.

Every filter refuses what it cannot read: an unknown code, id or slug, or a boolean other than
true/false gives a 400 naming the parameter, never a silently ignored filter.

A JSON list page is one SQL statement (issue 7), so its filters do not look up the records they
name (a region's code, a company's slug) first: the row statement reads them in place, through a
subquery (`UnresolvedKey`). An unknown key matches no row, so whether the keys exist is asked only
when the rows come back empty, and then answered with the same 400 as an up-front lookup. Other
callers (a summary, which needs the region itself; a CSV export, whose 200 is sent before its rows
are read) get the records looked up while the parameters are cleaned, as before.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db.models import Case, Exists, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.query import ModelIterable
from django.forms.utils import ErrorDict, ErrorList
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.search import MAX_SEARCH_LENGTH, document_search, search_filter


def _document_as_string(filter_: django_filters.Filter) -> None:
    """Describe a filter taking a key as a string parameter, keeping its help text.

    drf-spectacular reads no description from a filter whose type is overridden, so the override
    carries it; without one a code or slug filter would be documented as an untitled integer.
    """
    schema = {"type": "string"}
    if filter_.extra.get("help_text"):
        schema["description"] = filter_.extra["help_text"]
    set_override(filter_, "field", schema)


class UnresolvedKey(Subquery):
    """A record a list parameter names, not looked up: the subquery of its id, for the row statement.

    `records` is the lookup, ordered so that the record a lookup would have picked comes first;
    `error` is what an up-front lookup would have said had it found nothing.
    """

    def __init__(self, records: QuerySet, error: ValidationError, key: str = "") -> None:
        self.records = records
        self.error = error
        self.key = key  # as the client wrote it
        super().__init__(records.values("pk")[:1])

    def column(self, name: str) -> Subquery:
        """Another column of the record (a tree node's `path`), as a subquery."""
        return Subquery(self.records.values(name)[:1])

    def exists(self) -> bool:
        return self.records.exists()


class DeferrableLookup:
    """A form field naming a record that can leave the lookup to the row statement (see `UnresolvedKey`).

    `defer_lookup` is set per form by `SearchFilterSet`; off, the field looks the record up as before.
    """

    defer_lookup = False

    def unresolved(self, records: QuerySet, message: str, params: dict[str, Any]) -> UnresolvedKey:
        return UnresolvedKey(records, ValidationError(message, code="invalid_choice", params=params), params["value"])


class CodeChoiceField(DeferrableLookup, filter_fields.ModelChoiceField):
    """A record given by its code: looked up while cleaning, or left to the row statement."""

    def to_python(self, value):
        if not self.defer_lookup or value in self.empty_values:
            return super().to_python(value)
        self.validate_no_null_characters(value)
        records = self.queryset.filter(**{self.to_field_name: value}).order_by()
        return self.unresolved(records, self.error_messages["invalid_choice"], {"value": value})


def _reads_a_json_page(request: Any) -> bool:
    """A list answered as JSON (or the browsable API): its rows are read before the answer is sent."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    renderer = getattr(request, "accepted_renderer", None)
    return getattr(view, "action", None) == "list" and getattr(renderer, "format", None) != "csv"


class TrackerFilterBackend(DjangoFilterBackend):
    """django-filter's backend, which leaves the filter set out when no query parameter can be one of its filters.

    Building a filter set deep-copies every declared filter and cleans a form: about 2 ms of CPU on
    every unfiltered project page (the first page of a list is the most requested), to change nothing.
    A parameter counts when its name starts with a filter's name, so that range filters' suffixed
    parameters (`..._min`, `..._after`) count too; a false match only costs the time saved here.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _names_a_filter(request.query_params, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_a_filter(params, filterset_class: type[django_filters.FilterSet]) -> bool:
    names = tuple(filterset_class.base_filters)
    return any(key.startswith(names) for key in params)


class _CheckedWhenEmpty(ModelIterable):
    """Rows as `ModelIterable` yields them; when there are none, `when_empty` runs (and may raise)."""

    when_empty: Callable[[], None]

    def __iter__(self):
        empty = True
        for row in super().__iter__():
            empty = False
            yield row
        if empty:
            type(self).when_empty()


def _fresh_copy(filter_: django_filters.Filter) -> django_filters.Filter:
    """A filter for one filter set: its own attributes (`parent`, `model`, the field built from `extra`), the
    rest (choices, querysets, help text) shared with the class's filter, which nothing writes to."""
    clone = copy.copy(filter_)
    clone.extra = filter_.extra.copy()
    clone.__dict__.pop("_field", None)
    if clone.method is not None:
        clone.method = clone.method  # a method filter calls it through an object bound to its own filter
    return clone


class _FiltersCopiedShallowly(dict):
    """A filter set's `base_filters`, which django-filter deep-copies for every filter set it builds.

    A deep copy clones every queryset, choice list and translated string the filters hold: 3.5 ms of CPU
    per filtered project list (tier M long tail, 9.2 ms in all), for objects no request changes.
    """

    def __deepcopy__(self, memo: dict) -> dict:
        return {name: _fresh_copy(filter_) for name, filter_ in self.items()}


def _own_field(field: forms.Field) -> forms.Field:
    """A form field for one form: its own object, widget and error messages, as Django's deep copy gives it, but the
    choices, querysets and validators shared with the class's field, which nothing writes to."""
    clone = copy.copy(field)
    clone.widget = copy.copy(field.widget)
    clone.widget.attrs = field.widget.attrs.copy()
    clone.error_messages = field.error_messages.copy()
    clone.validators = field.validators[:]
    return clone


class _FieldsCopiedShallowly(dict):
    """A filter form class's `base_fields`, which every form deep-copies when it is built.

    A deep copy clones each field's choices, queryset and translated strings: 1.2 ms of CPU per filtered project
    list (tier M long tail, cProfile), for objects no request changes (`_own_field`)."""

    def __deepcopy__(self, memo: dict) -> dict:
        return {name: _own_field(field) for name, field in self.items()}


class SearchFilterSet(django_filters.FilterSet):
    """Adds `search`: English and Chinese names and aliases (and codes, from their start).

    `search_prefix_fields` are unique code columns written in capitals; `search_unindexed_prefix_fields`
    other codes, only tried for terms with a digit (see `core.search.search_filter`).
    """

    search_prefix_fields: tuple[str, ...] = ()
    search_unindexed_prefix_fields: tuple[str, ...] = ()
    # The model of the documents holding the names a record is found by, its own and those around it (a
    # project's: projects.SearchDocument): searched instead of the record's own names (core.search.document_search).
    search_documents: type[Model] | None = None

    search = django_filters.CharFilter(
        method="filter_search",
        validators=[MaxLengthValidator(MAX_SEARCH_LENGTH)],
        help_text=_("Text found in the English or Chinese name or an alias (Kolen finds Kelun, 龙泉 finds Longquan)."),
    )

    @classmethod
    def get_filters(cls) -> dict[str, django_filters.Filter]:
        return _FiltersCopiedShallowly(super().get_filters())

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None) -> None:
        super().__init__(data, queryset, request=request, prefix=prefix)
        # Only a JSON page reads its rows before answering, so only it can ask about its keys afterwards.
        self.defers_lookups = _reads_a_json_page(request)

    def get_form_class(self) -> type[forms.Form]:
        # A form's fields come from the class's filters alone (no filter here takes its choices from the
        # request), so the form class is built once per filter set class rather than for every list
        # (a field per filter: 2 ms of CPU per filtered project list). Each form still copies its fields.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = _FieldsCopiedShallowly(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class

    @property
    def form(self) -> forms.Form:
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if isinstance(field, DeferrableLookup):
                    field.defer_lookup = self.defers_lookups
        return self._form

    def is_valid(self) -> bool:
        if super().is_valid():
            return True
        deferred = [field for field in self.form.fields.values() if getattr(field, "defer_lookup", False)]
        if deferred:
            # Another parameter is refused anyway: look the records up now, so that the 400 names every
            # bad parameter, in the same order, as when nothing is deferred.
            for field in deferred:
                field.defer_lookup = False
            self.form.full_clean()
        return False

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        unresolved = {name: value for name, value in self.form.cleaned_data.items() if isinstance(value, UnresolvedKey)}
        if not unresolved:
            return queryset

        def refuse_unknown_keys() -> None:
            errors = ErrorDict(
                {name: ErrorList([value.error]) for name, value in unresolved.items() if not value.exists()}
            )
            if errors:
                raise translate_validation(errors)

        # Whatever the list then adds (ordering, the page's slice) keeps the iterable class of its rows.
        queryset._iterable_class = type(
            "CheckedRows", (_CheckedWhenEmpty,), {"when_empty": staticmethod(refuse_unknown_keys)}
        )
        return queryset

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if self.search_documents is not None:
            return document_search(queryset, value, self.search_documents)
        return search_filter(
            queryset, value, *self.search_prefix_fields, unindexed_code_fields=self.search_unindexed_prefix_fields
        )


@extend_schema_field(OpenApiTypes.STR)
class SubtreeFilter(django_filters.ModelChoiceFilter):
    """A tree node given by its code, matching it and everything below it through `path`.

    With `codes_field`, the records carry the codes of their nodes and of every node above them (an
    array the database keeps, GIN-indexed): the filter is then a containment test of the code as
    written, on the record's own row, with no join and no lookup of the node.
    """

    field_class = CodeChoiceField

    def __init__(
        self, *args, path_field: str = "", codes_field: str = "", through=None, owner: str = "", **kwargs
    ) -> None:
        self.path_field = path_field
        self.codes_field = codes_field
        # For a many-to-many relation: match through the link table with EXISTS, so rows never repeat.
        self.through = through
        self.owner = owner
        kwargs.setdefault("error_messages", {"invalid_choice": _("Nothing has the code %(value)s.")})
        super().__init__(*args, to_field_name="code", **kwargs)
        _document_as_string(self)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        if self.codes_field:
            code = value.code if isinstance(value, Model) else value.key
            return qs.filter(**{f"{self.codes_field}__contains": [code]})
        path = value.path if isinstance(value, Model) else value.column("path")
        if self.through is not None:
            target = self.field.queryset.model._meta.model_name
            links = self.through.objects.filter(
                **{f"{self.owner}_id": OuterRef("pk"), f"{target}__{self.path_field}__descendant_of": path}
            )
            return qs.filter(Exists(links))
        return qs.filter(**{f"{self.path_field}__descendant_of": path})


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    """A record given by its code (a region or an industry), matched exactly."""

    field_class = CodeChoiceField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("Nothing has the code %(value)s.")})
        super().__init__(*args, to_field_name="code", **kwargs)
        _document_as_string(self)


class CodesFilter(django_filters.ModelMultipleChoiceFilter):
    """One or more records of a relation given by their codes (repeat the parameter), matched exactly.

    The lookup goes through the code (`indicator__code`): django-filter compares the relation itself
    with the `to_field_name` value, which Django would read as an id.
    """

    def __init__(self, *args, field_name: str, **kwargs) -> None:
        kwargs.setdefault("error_messages", {"invalid_choice": _("Nothing has the code %(value)s.")})
        super().__init__(*args, field_name=f"{field_name}__code", to_field_name="code", **kwargs)
        _document_as_string(self)


class KeyChoiceField(DeferrableLookup, filter_fields.ModelChoiceField):
    """A record written as its numeric id or its slug; the id wins, as in the record's own address."""

    default_error_messages = {"invalid_choice": _("No %(model)s has the id or slug %(value)s.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = str(value).strip()
        ProhibitNullCharactersValidator()(key)  # PostgreSQL cannot compare a NUL: refuse it on the parameter
        is_id = key.isascii() and key.isdigit() and len(key) <= 18
        if self.defer_lookup:
            params = {"value": key, "model": self.queryset.model._meta.verbose_name}
            if not is_id:
                records = self.queryset.filter(slug=key).order_by()
                return self.unresolved(records, self.error_messages["invalid_choice"], params)
            # The record with that id, else the one with that slug: the id sorts first.
            records = self.queryset.filter(Q(pk=int(key)) | Q(slug=key)).order_by(
                Case(When(pk=int(key), then=Value(0)), default=Value(1), output_field=IntegerField())
            )
            return self.unresolved(records, self.error_messages["invalid_choice"], params)
        if is_id:
            found = self.queryset.filter(pk=int(key)).first()
            if found is not None:
                return found
        found = self.queryset.filter(slug=key).first()
        if found is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": key, "model": self.queryset.model._meta.verbose_name},
            )
        return found


@extend_schema_field(OpenApiTypes.STR)
class KeyFilter(django_filters.ModelChoiceFilter):
    """A company or project given by its id or slug; an unknown one is a 400, not an empty page."""

    field_class = KeyChoiceField

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _document_as_string(self)


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0, any case); anything else is an error rather than no filter at all."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Write true or false.")}
    TRUE = frozenset({"true", "1"})
    FALSE = frozenset({"false", "0"})

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value) -> None:
        return


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField
