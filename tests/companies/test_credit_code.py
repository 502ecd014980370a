"""Tests for the Unified Social Credit Code validator (GB 32100-2015 with the GB 11714-1997 organisation check)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from companies.credit_code import (
    CreditCodeError,
    credit_code_check_character,
    organisation_code_check_character,
    validate_credit_code,
)

# --- An independent reference implementation, written differently from the module on purpose ---------------------
#
# GB 32100: weights are 3 ** (i - 1) mod 31 and "31 - (sum mod 31), 31 -> 0" is the same as "-sum mod 31".
# GB 11714: int(c, 36) gives 0-9 for digits and 10-35 for A-Z, and "11 - (sum mod 11)" with 10 -> X, 11 -> 0
# is the same as indexing "0123456789X" with "-sum mod 11".

GB32100_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def reference_final_check(first17: str) -> str:
    total = sum(GB32100_CHARACTERS.index(character) * pow(3, i, 31) for i, character in enumerate(first17))
    return GB32100_CHARACTERS[-total % 31]


def reference_organisation_check(body: str) -> str:
    total = sum(int(character, 36) * weight for character, weight in zip(body, GB11714_WEIGHTS, strict=True))
    return "0123456789X"[-total % 11]


def make_code(body: str, head: str = "91110108") -> str:
    """Build a valid code from the first 8 characters (`head`) and the 8-character organisation code body."""
    first17 = head + body + reference_organisation_check(body)
    return first17 + reference_final_check(first17)


def first_made_code_where(condition: Callable[[str], bool]) -> str:
    for number in range(100_000):
        code = make_code(f"{number:08d}")
        if condition(code):
            return code
    raise AssertionError("no code satisfies the condition")  # pragma: no cover


def with_character(code: str, position: int, character: str) -> str:
    """Return `code` with the character at 1-based `position` replaced."""
    return code[: position - 1] + character + code[position:]


def with_final_check_recomputed(code: str) -> str:
    return code[:17] + reference_final_check(code[:17])


# --- Published codes, checked by hand ----------------------------------------------------------------------------
#
# GB 11714 letter values: A=10 ... I=18, J=19 ... M=22 ... Y=34. GB 32100 letter values skip I, O, S, V, Z:
# A=10 ... H=17, J=18 ... M=21, N=22, P=23, Q=24, R=25, T=26, U=27, W=28, X=29, Y=30.
# GB 32100 weights: 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28.  GB 11714 weights: 3 7 9 10 5 8 4 2.
#
# 91350100M000100Y43 -- the worked example of GB 32100-2015 (the standard shows it with a wrong last character, Z,
#   and computes 3), also quoted in the util-helpers documentation.
#   organisation M000100Y: 22*3 + 1*5 + 34*2 = 139; 139 mod 11 = 7; 11 - 7 = 4 -> '4'
#   final: 9*1 + 1*3 + 3*9 + 5*27 + 1*26 + 21*20 + 1*8 + 30*30 + 4*28 = 1640; 1640 mod 31 = 28; 31 - 28 = 3 -> '3'
# 91110000600037341L -- python-stdnum documentation example.
#   organisation 60003734: 6*3 + 3*5 + 7*8 + 3*4 + 4*2 = 109; 109 mod 11 = 10; 11 - 10 = 1 -> '1'
#   final: 9 + 3 + 9 + 27 + 6*20 + 3*8 + 7*24 + 3*10 + 4*30 + 1*28 = 538; 538 mod 31 = 11; 31 - 11 = 20 -> 'L'
# 91110108551385082Q -- Xiaomi, uscc-utils README example.
#   organisation 55138508: 15 + 35 + 9 + 30 + 40 + 40 + 0 + 16 = 185; 185 mod 11 = 9; 11 - 9 = 2 -> '2'
#   final: 9 + 3 + 9 + 27 + 0 + 26 + 0 + 136 + 100 + 145 + 25 + 39 + 64 + 120 + 0 + 240 + 56 = 999;
#          999 mod 31 = 7; 31 - 7 = 24 -> 'Q'
# 9144030071526726XG -- Tencent (Shenzhen), a real code whose organisation check character is X.
#   organisation 71526726: 21 + 7 + 45 + 20 + 30 + 56 + 8 + 12 = 199; 199 mod 11 = 1; 11 - 1 = 10 -> 'X'
#   final: 9 + 3 + 36 + 108 + 0 + 78 + 0 + 0 + 140 + 29 + 125 + 26 + 48 + 168 + 20 + 180 + 29*28 = 1782;
#          1782 mod 31 = 15; 31 - 15 = 16 -> 'G'
# 91330100799655058B -- Alibaba (China).
#   organisation 79965505: 21 + 63 + 81 + 60 + 25 + 40 + 0 + 10 = 300; 300 mod 11 = 3; 11 - 3 = 8 -> '8'
#   final: 9 + 3 + 27 + 81 + 0 + 26 + 0 + 0 + 140 + 261 + 225 + 78 + 40 + 120 + 0 + 150 + 224 = 1384;
#          1384 mod 31 = 20; 31 - 20 = 11 -> 'B'

PUBLISHED_CODES = [
    "91350100M000100Y43",
    "91110000600037341L",
    "91110108551385082Q",
    "9144030071526726XG",
    "91330100799655058B",
]
XIAOMI = "91110108551385082Q"
TENCENT = "9144030071526726XG"

FORBIDDEN_LETTERS = "IOZSV"


def refusal_of(value: str) -> CreditCodeError:
    with pytest.raises(CreditCodeError) as caught:
        validate_credit_code(value)
    return caught.value


# --- Valid codes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_a_published_valid_code_is_accepted_and_returned_unchanged(code: str) -> None:
    assert validate_credit_code(code) == code


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_the_reference_implementation_agrees_with_the_published_codes(code: str) -> None:
    assert reference_organisation_check(code[8:16]) == code[16]
    assert reference_final_check(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("91110108551385082q", "91110108551385082Q"),
        ("9144030071526726xg", "9144030071526726XG"),
        ("91350100m000100y43", "91350100M000100Y43"),
        ("  91110108551385082Q  ", "91110108551385082Q"),
        ("\t9144030071526726xg\n", "9144030071526726XG"),
    ],
)
def test_a_valid_code_in_lowercase_or_with_surrounding_whitespace_is_accepted_and_normalised(
    raw: str, normalised: str
) -> None:
    assert validate_credit_code(raw) == normalised


def test_many_codes_built_by_the_reference_implementation_are_accepted() -> None:
    rng = random.Random(32100)
    for _ in range(500):
        head = rng.choice("159Y") + rng.choice("123") + "".join(rng.choices("0123456789", k=6))
        body = "".join(rng.choices(GB32100_CHARACTERS, k=8))
        code = make_code(body, head=head)
        assert validate_credit_code(code) == code


# --- Length --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        XIAOMI[:17],
        XIAOMI + "0",
        XIAOMI[:8] + " " + XIAOMI[8:],
        "9111010855138508",
    ],
)
def test_a_code_that_is_not_18_characters_long_is_refused_naming_the_length_check(value: str) -> None:
    error = refusal_of(value)
    assert error.code == "length"
    length = len(value.strip())
    assert str(error) == f"The credit code must be 18 characters long; this one has {length}."


def test_the_length_is_checked_before_the_character_set() -> None:
    assert refusal_of("IOZSV").code == "length"


# --- Character set -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("letter", FORBIDDEN_LETTERS + FORBIDDEN_LETTERS.lower())
@pytest.mark.parametrize("position", [1, 2, 5, 9, 16, 17, 18])
def test_a_code_containing_i_o_z_s_or_v_is_refused_naming_the_character_set_check(letter: str, position: int) -> None:
    error = refusal_of(with_character(XIAOMI, position, letter))
    assert error.code == "charset"
    assert error.params == {"character": letter.upper(), "position": position}
    assert f"'{letter.upper()}' at position {position}" in str(error)


@pytest.mark.parametrize("character", ["-", "*", " ", "\u0660", "\uff21", "\u00e9"])
def test_a_code_containing_punctuation_or_a_non_ascii_character_is_refused_naming_the_character_set_check(
    character: str,
) -> None:
    error = refusal_of(with_character(TENCENT, 10, character))
    assert error.code == "charset"
    assert error.params["position"] == 10


def test_the_first_forbidden_character_is_the_one_reported() -> None:
    error = refusal_of(with_character(with_character(XIAOMI, 12, "S"), 4, "O"))
    assert error.params == {"character": "O", "position": 4}


def test_the_character_set_is_checked_before_either_check_character() -> None:
    # A forbidden letter in the body leaves both check characters wrong as well.
    assert refusal_of(with_character(XIAOMI, 9, "Z")).code == "charset"


# --- Organisation code check character (GB 11714, position 17) -----------------------------------------------------


def test_a_code_with_a_wrong_organisation_check_character_is_refused_naming_that_check() -> None:
    # Position 17 changed from X to 5, and the final check character recomputed so that only GB 11714 fails.
    value = with_final_check_recomputed(with_character(TENCENT, 17, "5"))
    error = refusal_of(value)
    assert error.code == "organisation_check"
    assert str(error) == "The organisation code check character (GB 11714) is wrong: expected 'X', found '5'."
    assert error.message == str(error)
    assert error.params == {"expected": "X", "found": "5"}


@pytest.mark.parametrize("wrong", [c for c in GB32100_CHARACTERS if c != "2"])
def test_every_other_organisation_check_character_is_refused(wrong: str) -> None:
    error = refusal_of(with_final_check_recomputed(with_character(XIAOMI, 17, wrong)))
    assert error.code == "organisation_check"
    assert error.params == {"expected": "2", "found": wrong}


def test_the_organisation_check_is_reported_before_the_final_check() -> None:
    # Both check characters wrong: 9144030071526726XG -> ...5 at position 17 and the old G kept at 18.
    value = with_character(TENCENT, 17, "5")
    assert reference_final_check(value[:17]) != value[17]
    assert refusal_of(value).code == "organisation_check"


def test_letters_in_the_organisation_code_take_their_gb_11714_values_not_their_gb_32100_values() -> None:
    # Body 0000000J: GB 11714 values J as 19 -> 19*2 = 38; 38 mod 11 = 5; 11 - 5 = 6 -> '6'.
    # Using the GB 32100 value of J (18) would give 36; 36 mod 11 = 3; 11 - 3 = 8 -> '8', which must be refused.
    right = make_code("0000000J")
    assert right[16] == "6"
    assert validate_credit_code(right) == right
    error = refusal_of(with_final_check_recomputed(with_character(right, 17, "8")))
    assert error.params == {"expected": "6", "found": "8"}


# --- Final check character (GB 32100, position 18) -----------------------------------------------------------------


@pytest.mark.parametrize("wrong", [c for c in GB32100_CHARACTERS if c != "Q"])
def test_a_code_with_a_wrong_final_check_character_is_refused_naming_that_check(wrong: str) -> None:
    error = refusal_of(with_character(XIAOMI, 18, wrong))
    assert error.code == "check_character"
    assert str(error) == f"The final check character (GB 32100) is wrong: expected 'Q', found '{wrong}'."


def test_a_typo_in_the_administrative_division_code_is_caught_by_the_final_check() -> None:
    error = refusal_of(with_character(XIAOMI, 7, "1"))  # 110108 -> 110118
    assert error.code == "check_character"


def test_two_swapped_neighbouring_characters_are_caught() -> None:
    swapped = XIAOMI[:3] + XIAOMI[4] + XIAOMI[3] + XIAOMI[5:]  # 9111 0108 -> 9110 1108
    assert swapped != XIAOMI
    assert refusal_of(swapped).code == "check_character"


# --- Edge values of the check characters ---------------------------------------------------------------------------


def test_an_organisation_check_value_of_ten_is_written_x_and_accepted() -> None:
    code = first_made_code_where(lambda code: code[16] == "X")
    assert validate_credit_code(code) == code
    assert validate_credit_code(TENCENT) == TENCENT


def test_a_1_or_0_in_place_of_an_organisation_check_x_is_refused() -> None:
    for wrong in "10":
        error = refusal_of(with_final_check_recomputed(with_character(TENCENT, 17, wrong)))
        assert error.params == {"expected": "X", "found": wrong}


def test_an_organisation_check_value_of_eleven_is_written_0_and_accepted() -> None:
    # Body 00000000: sum 0, 11 - 0 = 11 -> '0'.
    code = make_code("00000000")
    assert code[16] == "0"
    assert validate_credit_code(code) == code
    error = refusal_of(with_final_check_recomputed(with_character(code, 17, "X")))
    assert error.params == {"expected": "0", "found": "X"}


def test_a_final_check_value_of_thirty_one_is_written_0_and_accepted() -> None:
    code = first_made_code_where(lambda code: code[17] == "0")
    assert validate_credit_code(code) == code
    error = refusal_of(with_character(code, 18, "Y"))
    assert error.params == {"expected": "0", "found": "Y"}


def test_a_final_check_value_of_thirty_is_written_y_and_accepted() -> None:
    code = first_made_code_where(lambda code: code[17] == "Y")
    assert validate_credit_code(code) == code


def test_a_final_check_character_may_be_x_which_is_unrelated_to_the_organisation_x() -> None:
    code = first_made_code_where(lambda code: code[17] == "X" and code[16] != "X")
    assert validate_credit_code(code) == code


# --- The check character helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [(code[:17], code[17]) for code in PUBLISHED_CODES],
)
def test_the_final_check_character_of_a_published_code_is_computed(first17: str, expected: str) -> None:
    assert credit_code_check_character(first17) == expected


@pytest.mark.parametrize(
    ("first8", "expected"),
    [(code[8:16], code[16]) for code in PUBLISHED_CODES] + [("00000000", "0"), ("0000000J", "6")],
)
def test_the_organisation_check_character_of_a_published_code_is_computed(first8: str, expected: str) -> None:
    assert organisation_code_check_character(first8) == expected


def test_both_helpers_agree_with_the_reference_implementation_on_many_inputs() -> None:
    rng = random.Random(11714)
    for _ in range(2000):
        first17 = "".join(rng.choices(GB32100_CHARACTERS, k=17))
        assert credit_code_check_character(first17) == reference_final_check(first17)
        # GB 11714 on its own allows every capital letter, I, O, S, V and Z included.
        first8 = "".join(rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=8))
        assert organisation_code_check_character(first8) == reference_organisation_check(first8)


@pytest.mark.parametrize(
    ("helper", "value"),
    [
        (credit_code_check_character, XIAOMI[:16]),
        (credit_code_check_character, XIAOMI),
        (credit_code_check_character, "I" * 17),
        (credit_code_check_character, TENCENT[:17].lower()),
        (organisation_code_check_character, "1234567"),
        (organisation_code_check_character, "123456789"),
        (organisation_code_check_character, "1234567-"),
    ],
)
def test_the_helpers_refuse_input_of_the_wrong_length_or_alphabet_with_a_value_error(
    helper: Callable[[str], str], value: str
) -> None:
    with pytest.raises(ValueError, match=r"^(Expected \d+ characters|Character .* is not in)"):
        helper(value)


# --- The error type ------------------------------------------------------------------------------------------------


def test_a_credit_code_error_is_a_value_error_so_generic_handlers_catch_it() -> None:
    with pytest.raises(ValueError, match="must be 18 characters long"):
        validate_credit_code("not a credit code")
