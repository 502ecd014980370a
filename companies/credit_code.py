"""Validation of the Chinese Unified Social Credit Code (统一社会信用代码).

The Unified Social Credit Code (USCC) is defined by GB 32100-2015, "Coding rule of the unified
social credit identifier for legal entities and other organizations". It is 18 characters long and
is made of five parts (positions are 1-based)::

    position  1       registration authority code (登记管理部门代码), e.g. 9 = market regulation
    position  2       organisation type code (机构类别代码), e.g. 1 = enterprise
    positions 3-8     administrative division code of the registering authority (GB/T 2260)
    positions 9-17    organisation code (主体标识码), assigned per GB 11714-1997:
                        positions 9-16 are the 8-character body,
                        position 17 is the GB 11714 check character
    position  18      check character for the whole code (GB 32100, an ISO/IEC 7064 style MOD 31)

Every position uses the GB 32100 character set ``0123456789ABCDEFGHJKLMNPQRTUWXY``: the ten digits
and the 21 capital letters that remain once I, O, Z, S and V are left out.

Final check character (GB 32100-2015)
    Each of the first 17 characters takes its index in the character set above as its value
    (``A`` = 10, ``H`` = 17, ``J`` = 18, ..., ``Y`` = 30). The weights for positions 1 to 17 are
    ``3 ** (i - 1) mod 31``: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28.
    The check value is ``31 - (weighted sum mod 31)``, where 31 is written as 0; the check character
    is the character of the set whose value that is.

Organisation code check character (GB 11714-1997)
    Positions 9-16 of the credit code are the body of the organisation code. GB 11714 gives letters
    their value in the *full* Latin alphabet (``A`` = 10, ..., ``I`` = 18, ..., ``Z`` = 35), so a
    letter is worth a different amount here than in the final check (``M`` is 22 here, 21 there).
    The weights are 3, 7, 9, 10, 5, 8, 4, 2 and the check value is ``11 - (weighted sum mod 11)``;
    10 is written as ``X`` and 11 as ``0``.

Checks run in this order, and the first failing one is reported: length (18 characters), character
set, organisation code check character (positions 9-17), final check character (position 18).

Only the structure is checked: a code that passes may still not have been issued. A few codes issued
in pilot regions before the standard took effect are known not to satisfy the checksums.

This module only uses the standard library so that it can be used outside Django as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_LENGTH",
    "CREDIT_CODE_WEIGHTS",
    "MESSAGES",
    "ORGANISATION_CODE_ALPHABET",
    "ORGANISATION_CODE_WEIGHTS",
    "CreditCodeError",
    "credit_code_check_character",
    "organisation_code_check_character",
    "validate_credit_code",
]

CREDIT_CODE_LENGTH: Final[int] = 18
CREDIT_CODE_ALPHABET: Final[str] = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS: Final[tuple[int, ...]] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_MODULUS: Final[int] = 31

ORGANISATION_CODE_ALPHABET: Final[str] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORGANISATION_CODE_WEIGHTS: Final[tuple[int, ...]] = (3, 7, 9, 10, 5, 8, 4, 2)
ORGANISATION_CODE_MODULUS: Final[int] = 11
ORGANISATION_CHECK_TEN: Final[str] = "X"
ORGANISATION_CHECK_ELEVEN: Final[str] = "0"

# 0-based bounds of the organisation code (positions 9-17) inside a credit code.
_ORGANISATION_START: Final[int] = 8
_ORGANISATION_CHECK_INDEX: Final[int] = 16
_FINAL_CHECK_INDEX: Final[int] = 17

# Error codes, as exposed on CreditCodeError.code.
LENGTH: Final[str] = "length"
CHARSET: Final[str] = "charset"
ORGANISATION_CHECK: Final[str] = "organisation_check"
CHECK_CHARACTER: Final[str] = "check_character"

#: User-facing messages, keyed by error code. ``str.format`` placeholders are filled from the
#: ``params`` of the error. Kept in one place so that they can be translated later.
MESSAGES: Final[Mapping[str, str]] = {
    LENGTH: "The credit code must be 18 characters long; this one has {length}.",
    CHARSET: (
        "The credit code contains the character '{character}' at position {position}, which is not allowed. "
        "Only the digits 0-9 and the capital letters A-Z except I, O, S, V and Z may be used."
    ),
    ORGANISATION_CHECK: (
        "The organisation code check character (GB 11714) is wrong: expected '{expected}', found '{found}'."
    ),
    CHECK_CHARACTER: "The final check character (GB 32100) is wrong: expected '{expected}', found '{found}'.",
}

# Messages for programming errors in calls to the check character helpers (not shown to users).
_HELPER_LENGTH_MESSAGE: Final[str] = "Expected {expected} characters, got {length}."
_HELPER_CHARSET_MESSAGE: Final[str] = "Character {character!r} at position {position} is not in {alphabet!r}."


class CreditCodeError(ValueError):
    """A credit code failed validation.

    ``code`` names the check that failed ("length", "charset", "organisation_check" or
    "check_character"), ``params`` holds the values used in the message and ``message`` is the
    English message built from :data:`MESSAGES`.
    """

    code: str
    params: dict[str, str | int]
    message: str

    def __init__(self, code: str, **params: str | int) -> None:
        self.code = code
        self.params = params
        self.message = MESSAGES[code].format(**params)
        super().__init__(self.message)


def _weighted_sum(value: str, alphabet: str, weights: Sequence[int]) -> int:
    """Return the sum of each character's value in ``alphabet`` times its weight.

    Raises ``ValueError`` if ``value`` does not have one character per weight or contains a
    character outside ``alphabet``.
    """
    if len(value) != len(weights):
        raise ValueError(_HELPER_LENGTH_MESSAGE.format(expected=len(weights), length=len(value)))
    total = 0
    for position, (character, weight) in enumerate(zip(value, weights, strict=True), start=1):
        index = alphabet.find(character)
        if index < 0:
            raise ValueError(_HELPER_CHARSET_MESSAGE.format(character=character, position=position, alphabet=alphabet))
        total += index * weight
    return total


def organisation_code_check_character(first8: str) -> str:
    """Return the GB 11714-1997 check character for an 8-character organisation code body.

    ``first8`` must be 8 characters from ``0-9`` and ``A-Z`` (capitals). The result is ``0``-``9``
    or ``X``. Raises ``ValueError`` for any other input.
    """
    total = _weighted_sum(first8, ORGANISATION_CODE_ALPHABET, ORGANISATION_CODE_WEIGHTS)
    check = ORGANISATION_CODE_MODULUS - total % ORGANISATION_CODE_MODULUS
    if check == 10:
        return ORGANISATION_CHECK_TEN
    if check == 11:
        return ORGANISATION_CHECK_ELEVEN
    return str(check)


def credit_code_check_character(first17: str) -> str:
    """Return the GB 32100-2015 check character (position 18) for the first 17 characters of a code.

    ``first17`` must be 17 characters from :data:`CREDIT_CODE_ALPHABET`. Raises ``ValueError`` for
    any other input.
    """
    total = _weighted_sum(first17, CREDIT_CODE_ALPHABET, CREDIT_CODE_WEIGHTS)
    check = CREDIT_CODE_MODULUS - total % CREDIT_CODE_MODULUS
    if check == CREDIT_CODE_MODULUS:
        check = 0
    return CREDIT_CODE_ALPHABET[check]


def validate_credit_code(value: str) -> str:
    """Normalise and validate a Unified Social Credit Code.

    Surrounding whitespace is removed and letters are upper-cased. Returns the normalised code, or
    raises :class:`CreditCodeError` naming the first check that failed.
    """
    code = value.strip().upper()

    if len(code) != CREDIT_CODE_LENGTH:
        raise CreditCodeError(LENGTH, length=len(code))

    for position, character in enumerate(code, start=1):
        if character not in CREDIT_CODE_ALPHABET:
            raise CreditCodeError(CHARSET, character=character, position=position)

    expected = organisation_code_check_character(code[_ORGANISATION_START:_ORGANISATION_CHECK_INDEX])
    found = code[_ORGANISATION_CHECK_INDEX]
    if found != expected:
        raise CreditCodeError(ORGANISATION_CHECK, expected=expected, found=found)

    expected = credit_code_check_character(code[:_FINAL_CHECK_INDEX])
    found = code[_FINAL_CHECK_INDEX]
    if found != expected:
        raise CreditCodeError(CHECK_CHARACTER, expected=expected, found=found)

    return code
