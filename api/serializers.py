"""Base serializer pieces: model rules as the single source of validation, related records by key."""

from __future__ import annotations

import copy
import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.fields import get_error_detail

from core.choices import DatePrecision
from core.dates import PartialDate, format_partial_date, parse_partial_date, precision_field_name
from core.fields import MoneyField as ModelMoneyField
from core.periods import period_bounds


class ValidatedModelSerializer(serializers.ModelSerializer):
    """Runs the model's `full_clean()` (field rules, `clean()`, constraints) before saving.

    The model and its database constraints are the one place rules live; the API only reports
    their verdicts as 400s, per field. A model's money (`core.fields.MoneyField`) is a `MoneyField` here,
    and a date with its precision beside it (`date` + `date_precision`) a `PartialDateField`.
    """

    serializer_field_mapping = {**serializers.ModelSerializer.serializer_field_mapping}

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        if precision_field_name(model_field) in self.Meta.fields:
            field_class = PartialDateField
        return field_class, field_kwargs

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        self._split_partial_dates(attrs)
        model = self.Meta.model
        m2m = {f.name for f in model._meta.many_to_many}
        plain = {key: value for key, value in attrs.items() if key not in m2m}
        if self.instance is None:
            instance = model(**plain)
        else:
            instance = copy.copy(self.instance)
            for key, value in plain.items():
                setattr(instance, key, value)
        try:
            instance.full_clean(exclude=list(m2m))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(get_error_detail(exc)) from exc
        self._check_scope(instance)
        # clean() may normalise values (a credit code is upper-cased): keep what it decided.
        for key in plain:
            attrs[key] = getattr(instance, key)
        return attrs

    def _split_partial_dates(self, attrs: dict[str, Any]) -> None:
        """A date typed at its precision (`"as_of": "2024-03"`) is its first day, and sets its precision
        (`as_of_precision`); a body that states another precision is refused. A full date keeps the
        precision the body states, or the record's (`2024-03-01` may well mean March), and must then
        be the first day of that period."""
        errors = {}
        for name, value in list(attrs.items()):
            if not isinstance(value, PartialDate):
                continue
            precision = f"{name}_precision"
            attrs[name] = value.date
            if precision in self.initial_data:
                stated = attrs.get(precision)
            else:
                stated = getattr(self.instance, precision, None) or DatePrecision.DAY
            if value.precision != DatePrecision.DAY:
                if precision in self.initial_data and stated != value.precision:
                    errors[name] = [f"{value} is a {value.precision}, but {precision} is '{stated}'."]
                attrs[precision] = value.precision
            elif stated != DatePrecision.DAY:
                typed = format_partial_date(value.date, stated)
                if parse_partial_date(typed).date != value.date:
                    errors[name] = [f"{value} does not start a {stated}: at {stated} precision, write {typed}."]
        if errors:
            raise serializers.ValidationError(errors)

    def _check_scope(self, instance: models.Model) -> None:
        """Where the user may leave the record (a regional editor: inside their regions, after as before): the
        project's rule is `settings.API_WRITE_SCOPE`, a function of the user and the record that gives the
        reason for a refusal, or None."""
        request = self.context.get("request")
        if request is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return
        refusal = import_string(settings.API_WRITE_SCOPE)(request.user, instance)
        if refusal:
            raise PermissionDenied(refusal)


class MoneyField(serializers.DecimalField):
    """Money in yuan (or its currency), two decimal places, written as a decimal string or an integer.

    A JSON float is refused: `2000000000.1` has already lost its exact value when the parser read it.
    """

    default_error_messages = {"float": 'Write money as a decimal string, such as "2000000000.00", not a float.'}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, float | bool):
            self.fail("float")
        return super().to_internal_value(data)


ValidatedModelSerializer.serializer_field_mapping[ModelMoneyField] = MoneyField


class PartialDateField(serializers.DateField):
    """A date known to a precision, written as people write it: `2024-03-15` (a day), `2024-03` (a
    month), `2024-Q1` (a quarter) or `2024` (a year), the Chinese forms (`2024年3月`) too.

    Read back as the first day of the period (`2024-03-01`), its precision in the field beside it
    (`core.dates`); the serializer (`ValidatedModelSerializer`) stores the typed precision there.
    """

    default_error_messages = {
        "invalid": "Write a date as 2024-03-15, a month as 2024-03, a quarter as 2024-Q1 or a year as 2024.",
    }

    def to_internal_value(self, value):
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return PartialDate(value, DatePrecision.DAY)
        if not isinstance(value, str) or "\x00" in value:
            self.fail("invalid")
        parsed = parse_partial_date(value)
        if parsed is None:
            self.fail("invalid")
        return parsed


class PartialDateFieldSchema(OpenApiSerializerFieldExtension):
    """A `PartialDateField` in the OpenAPI document: typed at a precision in requests, a date in answers."""

    target_class = PartialDateField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {
                "type": "string",
                "format": "date",
                "description": "The first day of the day, month, quarter or year the precision beside it gives.",
            }
        return {
            "type": "string",
            "description": "A day (2024-03-15), a month (2024-03), a quarter (2024-Q1) or a year (2024); "
            "a month, quarter or year sets the precision beside it and is stored as its first day.",
        }


def validate_period(value: str) -> None:
    """Refuse a malformed period on its own field: the model's check constraint alone names no field."""
    try:
        period_bounds(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc), code="period") from exc


class CurrentProjectDefault:
    """The project named in the URL of a project's sub-resource (`/projects/{project}/figures/`): what the
    view's `get_project()` answers. A hidden field's default, so that the model's rules see the project."""

    requires_context = True

    def __call__(self, serializer_field):
        return serializer_field.context["view"].get_project()


class KeyRelatedField(serializers.RelatedField):
    """A related record written as its key (a region's code, a company's id or slug) and read
    back as a short summary (`summary_serializer`), so list rows need no second request."""

    default_error_messages = {
        "does_not_exist": _("No {model} has the key {value!r}."),
        "invalid": _("Give the key of a {model} as a string or number."),
    }

    def __init__(self, *, summary_serializer: type[serializers.Serializer], lookup: tuple[str, ...], **kwargs):
        self.summary_serializer = summary_serializer
        self.lookup = lookup
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    def to_internal_value(self, data: Any) -> models.Model:
        queryset = self.get_queryset()
        name = queryset.model._meta.verbose_name
        if isinstance(data, dict):
            data = next((data[field] for field in self.lookup if field in data), data.get("id"))
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid", model=name)
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL cannot compare it: no record has it
            self.fail("does_not_exist", model=name, value=data)
        for field in self.lookup:
            if field == "pk" and not str(data).isdigit():
                continue
            try:
                return queryset.get(**{field: data})
            except (ObjectDoesNotExist, ValueError, TypeError):
                continue
        self.fail("does_not_exist", model=name, value=data)

    def get_choices(self, cutoff: int | None = None) -> dict[str, str]:
        # The browsable API's form offers records by key; their summaries (dicts) cannot be keys.
        queryset = self.get_queryset()
        if queryset is None:
            return {}
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {str(getattr(item, self.lookup[0])): self.display_value(item) for item in queryset}

    @cached_property
    def _summary(self) -> serializers.Serializer:
        # One summary serializer per field, reused for every row of a page: a ModelSerializer builds
        # its fields from the model on first use, which cost about 0.6 ms per row and field.
        return self.summary_serializer(context=self.context)

    def to_representation(self, value: models.Model) -> dict[str, Any]:
        return self._summary.to_representation(value)


class SlugKeyRelatedField(serializers.SlugRelatedField):
    """A related record written and read as one of its keys (an industry code, a username).

    A key with a NUL byte is reported as unknown on its field; PostgreSQL cannot even compare it.
    """

    def to_internal_value(self, data: Any) -> models.Model:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)
