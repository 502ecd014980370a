"""Filter pieces shared by the collections: search, tree subtrees, records by key, strict booleans.

Every filter refuses what it cannot read: an unknown code, id or slug, or a boolean other than
true/false gives a 400 naming the parameter, never a silently ignored filter.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters import fields as filter_fields
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.search import MAX_SEARCH_LENGTH, search_filter


def _document_as_string(filter_: django_filters.Filter) -> None:
    """Describe a filter taking a key as a string parameter, keeping its help text.

    drf-spectacular reads no description from a filter whose type is overridden, so the override
    carries it; without one a code or slug filter would be documented as an untitled integer.
    """
    schema = {"type": "string"}
    if filter_.extra.get("help_text"):
        schema["description"] = filter_.extra["help_text"]
    set_override(filter_, "field", schema)


class SearchFilterSet(django_filters.FilterSet):
    """Adds `search`: English and Chinese names and aliases (and codes, from their start).

    `search_prefix_fields` are unique code columns written in capitals; `search_unindexed_prefix_fields`
    other codes, only tried for terms with a digit (see `core.search.search_filter`).
    """

    search_prefix_fields: tuple[str, ...] = ()
    search_unindexed_prefix_fields: tuple[str, ...] = ()

    search = django_filters.CharFilter(
        method="filter_search",
        validators=[MaxLengthValidator(MAX_SEARCH_LENGTH)],
        help_text=_("Text found in the English or Chinese name or an alias (Kolen finds Kelun, 龙泉 finds Longquan)."),
    )

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_filter(
            queryset, value, *self.search_prefix_fields, unindexed_code_fields=self.search_unindexed_prefix_fields
        )


@extend_schema_field(OpenApiTypes.STR)
class SubtreeFilter(django_filters.ModelChoiceFilter):
    """A tree node given by its code, matching it and everything below it through `path`."""

    def __init__(self, *args, path_field: str, through=None, owner: str = "", **kwargs) -> None:
        self.path_field = path_field
        # For a many-to-many relation: match through the link table with EXISTS, so rows never repeat.
        self.through = through
        self.owner = owner
        kwargs.setdefault("error_messages", {"invalid_choice": _("Nothing has the code %(value)s.")})
        super().__init__(*args, to_field_name="code", **kwargs)
        _document_as_string(self)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if value in (None, ""):
            return qs
        if self.through is not None:
            target = self.field.queryset.model._meta.model_name
            links = self.through.objects.filter(
                **{f"{self.owner}_id": OuterRef("pk"), f"{target}__{self.path_field}__descendant_of": value.path}
            )
            return qs.filter(Exists(links))
        return qs.filter(**{f"{self.path_field}__descendant_of": value.path})


def region_subtree_filter(path_field: str, **kwargs) -> SubtreeFilter:
    from regions.models import Region

    return SubtreeFilter(queryset=Region.objects.all(), path_field=path_field, **kwargs)


def industry_subtree_filter(path_field: str, **kwargs) -> SubtreeFilter:
    from industries.models import Industry

    return SubtreeFilter(queryset=Industry.objects.all(), path_field=path_field, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeFilter(django_filters.ModelChoiceFilter):
    """A record given by its code (a region or an industry), matched exactly."""

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


class KeyChoiceField(filter_fields.ModelChoiceField):
    """A record written as its numeric id or its slug; the id wins, as in the record's own address."""

    default_error_messages = {"invalid_choice": _("No %(model)s has the id or slug %(value)s.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        key = str(value).strip()
        ProhibitNullCharactersValidator()(key)  # PostgreSQL cannot compare a NUL: refuse it on the parameter
        if key.isascii() and key.isdigit() and len(key) <= 18:
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
