"""Vocabularies shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Qualifier(models.TextChoices):
    """How a stated figure relates to the true value: a bound stays a bound."""

    EXACT = "exact", _("exactly")
    ABOUT = "about", _("about")
    MORE_THAN = "more_than", _("more than")
    AT_LEAST = "at_least", _("at least")
    LESS_THAN = "less_than", _("less than")


BOUND_QUALIFIERS = (Qualifier.MORE_THAN, Qualifier.AT_LEAST, Qualifier.LESS_THAN)


class DatePrecision(models.TextChoices):
    """How much of a date is known: "July 2024" is a month, stored as 2024-07-01."""

    DAY = "day", _("day")
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")
    YEAR = "year", _("year")


# ISO 4217 codes the bureaus report in; money is always Decimal in the unit of its currency.
CURRENCY_CHOICES = [("CNY", "CNY"), ("USD", "USD"), ("EUR", "EUR"), ("HKD", "HKD")]
DEFAULT_CURRENCY = "CNY"


class Unit(models.TextChoices):
    """What a figure or an indicator counts in."""

    YUAN = "yuan", _("yuan (CNY)")
    PERCENT = "percent", _("percent")
    PERCENTAGE_POINTS = "percentage_points", _("percentage points")
    COUNT = "count", _("count")
