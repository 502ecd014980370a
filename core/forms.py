"""Form fields for money and dates as data-entry staff write them.

- Money is entered in yuan, as people copy it from a report: `2000000000`, `2,000,000,000.00`,
  `20亿`, `20 亿元` or `5000万元` all mean what they say, exactly (Decimal arithmetic, no float),
  and the form shows the amount in 万元 and 亿元 beside the box.
- Text typed in a box of several lines keeps its line breaks as the API and the imports store them
  (LF): a browser sends every line break as CRLF.
- A date whose precision is recorded beside it (`date` + `date_precision`) may be typed as
  `2024` (a year), `2024-Q3` (a quarter), `2024-07` or `2024年7月` (a month) or in full; the
  precision follows what was typed, and the date is stored as the first day of that period.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.choices import DEFAULT_CURRENCY, DatePrecision
from core.dates import PartialDate, format_partial_date, parse_partial_date, precision_field_name
from core.fields import MoneyField as ModelMoneyField

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CENT = Decimal("0.01")
UNIT_FACTORS = {"": Decimal(1), "元": Decimal(1), "万": WAN, "万元": WAN, "亿": YI, "亿元": YI}
# What a Chinese input method types: full-width digits, comma, full stop and space, read as ASCII ones.
FULL_WIDTH_PUNCTUATION = str.maketrans(
    {**{chr(0xFF10 + digit): str(digit) for digit in range(10)}, "\uff0c": ",", "\uff0e": ".", "\u3000": " "}
)
MONEY_TEXT = re.compile(r"(?P<number>[0-9][0-9,]*(?:\.[0-9]+)?)\s*(?P<unit>亿元|万元|亿|万|元)?")


def money_in_unit(amount: Decimal, factor: Decimal, unit: str, currency: str = DEFAULT_CURRENCY) -> str:
    """`amount` in 亿 or 万 to two places: "20.00 亿元"; marked "≈" when rounding drops digits.

    The 元 of 万元 and 亿元 is the yuan: another currency keeps its code ("20.00 亿 USD").
    """
    exact = amount / factor
    shown = exact.quantize(CENT, rounding=ROUND_HALF_UP)
    label = f"{unit}元" if currency == DEFAULT_CURRENCY else f"{unit} {currency}"
    return f"{'' if shown == exact else '≈ '}{shown:,} {label}"


def money_in_units(amount: Decimal | None, currency: str = DEFAULT_CURRENCY) -> str:
    """`2000000000.00` → "20.00 亿元 · 200,000.00 万元"."""
    if amount is None:
        return ""
    return " · ".join(money_in_unit(amount, factor, unit, currency) for factor, unit in ((YI, "亿"), (WAN, "万")))


def money_with_yi(amount: Decimal | None, currency: str = DEFAULT_CURRENCY) -> str:
    """`2000000000.00` → "2,000,000,000.00 (20.00 亿元)": a list column's yuan with its 亿元."""
    if amount is None:
        return ""
    return f"{amount:,.2f} ({money_in_unit(amount, YI, '亿', currency)})"


class MoneyInput(forms.TextInput):
    """A text box for an amount in yuan, with the amount in 万元 and 亿元 shown beside it.

    The figure beside it is rendered by the server for the value the form was opened with, and
    kept up to date as one types by a small script (static, so the Content-Security-Policy holds).
    """

    template_name = "core/widgets/money.html"

    class Media:
        js = ["core/money.js"]
        css = {"all": ["core/money.css"]}

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", "data-money": "", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:f}"
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        amount = parse_money(value) if isinstance(value, str) else value
        context["widget"]["units"] = money_in_units(amount) if isinstance(amount, Decimal) else ""
        return context


def parse_money(text: str) -> Decimal | None:
    """The amount in yuan that `text` writes, or None when it is not an amount."""
    cleaned = text.strip().lstrip("\u00a5\uffe5").translate(FULL_WIDTH_PUNCTUATION).strip()
    match = MONEY_TEXT.fullmatch(cleaned)
    if match is None:
        return None
    number = match["number"]
    if "," in number and not re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]+)?", number):
        return None  # "2,00,0" is a typo, not a number
    try:
        return Decimal(number.replace(",", "")) * UNIT_FACTORS[match["unit"] or ""]
    except InvalidOperation:
        return None


class MoneyField(forms.DecimalField):
    """An amount in yuan (or the record's currency), typed with or without 万/亿 and separators."""

    widget = MoneyInput
    default_error_messages = {
        "invalid": _("Enter an amount in yuan, such as 2000000000, 2,000,000,000.00, 20亿 or 5000万元."),
        "fraction": _("An amount has at most two decimal places in yuan (%(value)s)."),
    }

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            amount = value
        else:
            amount = parse_money(str(value))
            if amount is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        if amount != amount.quantize(CENT):
            # 1.23456万 is 12345.6 yuan, fine; 1.234567万 is not a whole number of fen.
            raise ValidationError(self.error_messages["fraction"], code="fraction", params={"value": f"{amount:f}"})
        return amount.quantize(CENT)

    def widget_attrs(self, widget):
        # DecimalField would add type=number and step, which refuse "20亿" in the browser.
        attrs = forms.Field.widget_attrs(self, widget)
        if self.max_digits is not None:
            attrs.setdefault("maxlength", str(self.max_digits + 20))
        return attrs


class PartialDateInput(forms.TextInput):
    """A text box for a date at its precision; a script sets the precision list beside it as one types."""

    class Media:
        js = ["core/partial-date.js"]

    def __init__(self, attrs=None):
        super().__init__({"data-partial-date": "", "autocomplete": "off", **(attrs or {})})


class PartialDateField(forms.Field):
    """A date typed at the precision it is known to: a year, a quarter, a month or a day."""

    widget = PartialDateInput
    default_error_messages = {
        "invalid": _("Enter a date as 2024-07-15, a month as 2024-07, a quarter as 2024-Q3 or a year as 2024."),
    }

    def to_python(self, value):
        if isinstance(value, PartialDate) or value in self.empty_values:
            return value or None
        if isinstance(value, datetime.date):
            return PartialDate(value, DatePrecision.DAY)
        parsed = parse_partial_date(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "placeholder": "2024-07", "size": "10"}

    def has_changed(self, initial, data) -> bool:
        # Both sides as dates at their precision: the stored date (2024-07-01) against the typed text
        # (2024-07) always differed, and the admin saved every untouched inline row, raising its
        # version and writing an empty history event.
        if self.disabled:
            return False
        try:
            return self.to_python(initial) != self.to_python(data)
        except ValidationError:
            return True


class MultilineTextField(forms.CharField):
    """Text from a box of several lines (a textarea), its line breaks stored as LF.

    A browser submits each line break of a textarea as CRLF, whatever it was shown with. Kept as sent,
    a note written through the API or an import ("a\nb") compared as changed with the same note posted
    back ("a\r\nb"): the admin rewrote every untouched inline row with a note of two lines, raising its
    version and writing a history event whose only change was the line breaks.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value


def multiline_text_field(formfield: forms.CharField) -> MultilineTextField:
    """`formfield` (a model TextField's form field, with its widget) as a MultilineTextField."""
    return MultilineTextField(
        max_length=formfield.max_length,
        min_length=formfield.min_length,
        strip=formfield.strip,
        empty_value=formfield.empty_value,
        required=formfield.required,
        widget=formfield.widget,
        label=formfield.label,
        initial=formfield.initial,
        help_text=formfield.help_text,
        disabled=formfield.disabled,
    )


def is_money_field(field: models.Field) -> bool:
    """An amount of money: a `core.fields.MoneyField`."""
    return isinstance(field, ModelMoneyField)


class PeopleFormatsMixin:
    """A model form that takes money and dates as people write them (see the module docstring).

    Replaces the form fields of the model's money fields, of its dates that have a precision beside
    them and of its text typed in a box of several lines; on clean, a date typed as a month sets the
    precision to month, and so on.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.partial_dates: dict[str, str] = {}
        opts = self._meta.model._meta
        for name, formfield in list(self.fields.items()):
            try:
                field = opts.get_field(name)
            except FieldDoesNotExist:  # form-only fields such as opened_version
                continue
            if type(formfield) is forms.CharField and isinstance(formfield.widget, forms.Textarea):
                self.fields[name] = multiline_text_field(formfield)
            if is_money_field(field) and isinstance(formfield, forms.DecimalField):
                self.fields[name] = MoneyField(
                    required=formfield.required,
                    label=formfield.label,
                    help_text=formfield.help_text,
                    max_digits=field.max_digits,
                    decimal_places=field.decimal_places,
                    disabled=formfield.disabled,
                )
            precision = precision_field_name(field)
            if precision and precision in self.fields and isinstance(formfield, forms.DateField):
                self.partial_dates[name] = precision
                self.fields[name] = PartialDateField(
                    required=formfield.required,
                    label=formfield.label,
                    help_text=_("Type what is known: 2024-07-15, 2024-07 (a month), 2024-Q3 or 2024."),
                    disabled=formfield.disabled,
                )
                if self.instance.pk:  # shown when unbound; compared with what comes back when bound
                    self.initial[name] = format_partial_date(
                        getattr(self.instance, name), getattr(self.instance, precision)
                    )

    def clean(self):
        cleaned = super().clean()
        for name, precision in self.partial_dates.items():
            value = cleaned.get(name)
            if not isinstance(value, PartialDate):
                continue
            cleaned[name] = value.date
            if value.precision != DatePrecision.DAY:
                # What was typed says how much is known; the precision list can only agree.
                cleaned[precision] = value.precision
            elif cleaned.get(precision) and cleaned[precision] != DatePrecision.DAY:
                # A full date with a coarser precision chosen: keep the period, if the date starts it.
                typed = format_partial_date(value.date, cleaned[precision])
                if parse_partial_date(typed).date != value.date:
                    self.add_error(
                        name,
                        ValidationError(
                            _("A date of %(precision)s precision is typed as %(example)s."),
                            code="precision",
                            params={
                                "precision": DatePrecision(cleaned[precision]).label,
                                "example": typed,
                            },
                        ),
                    )
        return cleaned


class PeopleFormatsModelForm(PeopleFormatsMixin, forms.ModelForm):
    """A plain model form with the money and date formats above (for admin inlines)."""
