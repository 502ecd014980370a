"""Constraint builders used by several models, so each rule is written once."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.choices import BOUND_QUALIFIERS, DatePrecision, Qualifier


def date_precision_constraint(prefix: str, date_field: str, precision_field: str) -> models.CheckConstraint:
    """A date of month, quarter or year precision is stored as the first day of that period."""
    day = Q(**{f"{date_field}__day": 1})
    return models.CheckConstraint(
        condition=Q(**{f"{date_field}__isnull": True})
        | Q(**{precision_field: DatePrecision.DAY})
        | (Q(**{precision_field: DatePrecision.MONTH}) & day)
        | (Q(**{precision_field: DatePrecision.QUARTER}) & day & Q(**{f"{date_field}__month__in": [1, 4, 7, 10]}))
        | (Q(**{precision_field: DatePrecision.YEAR}) & day & Q(**{f"{date_field}__month": 1})),
        name=f"{prefix}_{date_field}_matches_precision",
        violation_error_message=_(
            "A date of month, quarter or year precision is stored as the first day of that month, quarter or year."
        ),
    )


def qualifier_constraint(prefix: str, value_field: str, qualifier_field: str = "qualifier") -> models.CheckConstraint:
    """A value has a qualifier and a qualifier has a value; both come from the vocabulary."""
    return models.CheckConstraint(
        condition=Q(**{f"{value_field}__isnull": True, qualifier_field: ""})
        | Q(**{f"{value_field}__isnull": False, f"{qualifier_field}__in": Qualifier.values}),
        name=f"{prefix}_{value_field}_qualified",
        violation_error_message=_(
            "A figure states its qualifier (exactly, about, more than, ...), and only a figure does."
        ),
    )


def non_negative_constraint(prefix: str, field: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__gte": 0}),
        name=f"{prefix}_{field}_non_negative",
        violation_error_message=_("An amount of money cannot be negative."),
    )


__all__ = ["BOUND_QUALIFIERS", "date_precision_constraint", "non_negative_constraint", "qualifier_constraint"]
