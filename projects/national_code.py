"""The national project code (项目代码) of a fixed-asset investment project, as far as its rules are published.

Every fixed-asset investment project in China gets a code from the national investment project online approval
and supervision platform (全国投资项目在线审批监管平台) before its first approval, filing or permit; it stays
the project's identifier through construction. Its form, as this module checks it:

    2111-522323-04-01-342068
    TTTT-RRRRRR-DD-PP-SSSSSS    24 characters, five segments joined by hyphens

- TTTT, the time code: since the coding rules of 发改投资[2020]1439号 (in force from 1 November 2020, the
  provinces switching over by the end of 2020) and GB/T 40058-2021, the year and month the code was given
  (YYMM: 2111 is November 2021). Codes of the platform's first scheme (2015-2020) carry the year instead
  (2019-330102-47-01-012345). Both are in use, so the segment is accepted when either reading holds: a
  year-month from January 2020 (`FIRST_YEAR_MONTH`) to the current month, or a year of the first scheme
  (`FIRST_SCHEME_YEARS`). A year-month in the future is refused.
- RRRRRR, the region: the GB/T 2260 code of the division the project is in. It must be a region the tracker
  knows, on the project's own branch (the project's region, one above it, or one below it): checked by
  `Project.clean()`, which can see the regions.
- DD, the central business-guidance department (中央业务指导部门代码; the industry in the first scheme), and
  PP, the project type (项目类型代码): two digits each. Their tables were not confirmed from a published
  source, so only their form is checked.
- SSSSSS: since 2020, five random digits and one check character (随机码, 校验码); in the first scheme a
  six-digit serial. The rule that computes the check character could not be confirmed from a published
  source (the standard's text is sold, and no published page states the rule), so it is not verified: any
  sixth digit is accepted. Every published code ends in a digit; a letter there is refused.

Sources: the NDRC's answers on GB/T 40058-2021, published with it (24 characters: a 4-digit time code, the
6-digit region code, a 2-digit central business-guidance department code, a 2-digit project type code, 5 random
digits and 1 check character, in 5 segments); the Hubei DRC's notice of 18 January 2021 on switching to the new
codes (the segments joined by short hyphens, 24 characters in all); 发改投资[2020]1439号 (the 固定资产投资项目
代码管理规范, in force from 1 November 2020); published codes such as 2111-522323-04-01-342068 (November 2021,
Pu'an County, Guizhou). The issue's reading (year-month, region, department, type, serial, check character)
agrees with these. docs/api.md, "National project code", says the same for the API's readers.

A code is stored with its hyphens; full-width digits and hyphens (as a Chinese input method types them) and
the twenty digits without hyphens are rewritten to that form (`normalise`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

# The database's CHECK constraint (projects_project_national_code_format) holds the form; the rest is validation.
FORMAT = r"^[0-9]{4}-[1-9][0-9]{5}-[0-9]{2}-[0-9]{2}-[0-9]{6}$"
LENGTH = 24
FIRST_YEAR_MONTH = (2020, 1)
FIRST_SCHEME_YEARS = range(2015, 2021)

_FORMAT = re.compile(FORMAT)
_DIGITS_ONLY = re.compile(r"^[0-9]{20}$")
_SEGMENTS = (4, 6, 2, 2, 6)


@dataclass(frozen=True)
class NationalCode:
    """A code cut into its segments."""

    time: str
    region: str
    department: str
    project_type: str
    serial: str


def normalise(value: str) -> str:
    """The code as stored: full-width characters as ASCII (NFKC), no surrounding space, the hyphens put in
    when the twenty digits come without them."""
    code = unicodedata.normalize("NFKC", value).strip()
    if _DIGITS_ONLY.match(code):
        parts, start = [], 0
        for width in _SEGMENTS:
            parts.append(code[start : start + width])
            start += width
        code = "-".join(parts)
    return code


def parse(code: str) -> NationalCode | None:
    """The segments of a code of the right form, or None."""
    if not _FORMAT.match(code):
        return None
    return NationalCode(*code.split("-"))


def format_problem(code: str) -> str | None:
    """Why the code's form is wrong (segments, lengths, characters), or None."""
    if parse(code):
        return None
    return _(
        "A national project code has 24 characters in five segments joined by hyphens: a 4-digit year-month "
        "(YYMM), the 6-digit GB/T 2260 region code, 2-digit department, 2-digit type, 6 digits "
        "(e.g. 2111-522323-04-01-342068); %(code)s is not of this form."
    ) % {"code": code}


def time_problem(time_code: str, today: dt.date) -> str | None:
    """Why the time segment is neither a year-month up to this month nor a year of the first scheme, or None."""
    year, month = 2000 + int(time_code[:2]), int(time_code[2:])
    if int(time_code) in FIRST_SCHEME_YEARS:
        return None
    if 1 <= month <= 12 and (year, month) >= FIRST_YEAR_MONTH:
        if (year, month) > (today.year, today.month):
            return _("The code's year-month %(code)s (%(year)d-%(month)02d) is in the future.") % {
                "code": time_code,
                "year": year,
                "month": month,
            }
        return None
    return _(
        "The code's first segment %(code)s is neither a year-month since January 2020 (YYMM: 2001 and later) "
        "nor a year of the platform's first scheme (2015 to 2020)."
    ) % {"code": time_code}
