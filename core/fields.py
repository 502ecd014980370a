"""PostgreSQL's `ltree` as a Django field, for materialized-path hierarchies (regions, industries)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import DatePrecision


class LtreeField(models.TextField):
    """A dot-separated path of row ids (`1.4.27`), maintained by a database trigger.

    Subtree and ancestor questions become one indexed query each (`path <@ x`, `path @> x`)
    instead of recursion in Python.
    """

    description = "PostgreSQL ltree path"

    def db_type(self, connection) -> str:
        return "ltree"

    def rel_db_type(self, connection) -> str:
        return "ltree"


@LtreeField.register_lookup
class DescendantOf(models.Lookup):
    """`path__descendant_of=other_path`: the row is `other_path` or below it."""

    lookup_name = "descendant_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} <@ {rhs}::ltree", [*lhs_params, *rhs_params]


@LtreeField.register_lookup
class AncestorOf(models.Lookup):
    """`path__ancestor_of=other_path`: the row is `other_path` or above it."""

    lookup_name = "ancestor_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} @> {rhs}::ltree", [*lhs_params, *rhs_params]


class MoneyField(models.DecimalField):
    """An amount of money in the currency its record states: numeric(20, 2), exact, never a float.

    Declared once here; what reads money takes it from this type: the API's serializers (a decimal
    string that refuses JSON floats), the admin's forms (亿/万 entry with the amount shown in both units)
    and the spreadsheet import (exact decimal text).
    """

    description = "Money: a decimal with two places"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


def date_precision_field(**kwargs) -> models.CharField:
    """How much of the date beside it is known (`core.dates`): named `<date field>_precision`, so the
    admin's forms and the API's serializers find it and read the date as typed (`2024-07`, `2024`).

    A date stored with it is the first day of its period (`core.constraints.date_precision_constraint`).
    """
    kwargs.setdefault("verbose_name", _("date precision"))
    kwargs.setdefault("default", DatePrecision.DAY)
    return models.CharField(max_length=8, choices=DatePrecision.choices, **kwargs)
