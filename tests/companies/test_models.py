"""Companies: credit codes checked to the character, parent relations that hold together, rows that are protected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from psycopg.errors import ForeignKeyViolation

from companies.credit_code import credit_code_check_character
from companies.models import Company
from tests.factories import CitationFactory, CompanyFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

# The worked example of GB 32100-2015 (see tests/companies/test_credit_code.py for the arithmetic).
VALID_CODE = "91350100M000100Y43"
WRONG_FINAL_CHECK = "91350100M000100Y44"
# Organisation check character 4 -> 5, final check recomputed so only the GB 11714 check fails.
WRONG_ORGANISATION_CHECK = "91350100M000100Y5" + credit_code_check_character("91350100M000100Y5")


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named when it refused a write."""
    return caught.value.__cause__.diag.constraint_name


def delete_raw(statement: str, pk: int) -> None:
    """Run a DELETE past Django's collector, checking foreign keys at once.

    Django creates foreign keys DEFERRABLE INITIALLY DEFERRED: without SET CONSTRAINTS they would be checked
    at a commit that a test never reaches.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement, [pk])


def test_the_company_factory_makes_a_valid_company_without_a_credit_code() -> None:
    company = CompanyFactory()
    company.full_clean()
    assert company.credit_code is None


# --- Credit codes in full_clean ----------------------------------------------------------------------------------


def test_full_clean_accepts_a_valid_credit_code() -> None:
    company = CompanyFactory.build(credit_code=VALID_CODE)
    company.full_clean()
    assert company.credit_code == VALID_CODE


def test_full_clean_normalises_a_credit_code_written_in_lowercase() -> None:
    company = CompanyFactory.build(credit_code=VALID_CODE.lower())
    company.full_clean()
    assert company.credit_code == VALID_CODE


@pytest.mark.parametrize(
    ("code", "message"),
    [
        pytest.param(
            WRONG_FINAL_CHECK,
            "The final check character (GB 32100) is wrong: expected '3', found '4'.",
            id="final check",
        ),
        pytest.param(
            WRONG_ORGANISATION_CHECK,
            "The organisation code check character (GB 11714) is wrong: expected '4', found '5'.",
            id="organisation check",
        ),
    ],
)
def test_full_clean_refuses_a_credit_code_with_a_bad_check_character_naming_the_check(code: str, message: str) -> None:
    company = CompanyFactory.build(credit_code=code)
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert caught.value.message_dict["credit_code"] == [message]


@pytest.mark.parametrize("code", [WRONG_FINAL_CHECK, WRONG_ORGANISATION_CHECK])
def test_full_clean_accepts_a_bad_check_character_in_a_code_marked_unverified(code: str) -> None:
    company = CompanyFactory.build(credit_code=code, credit_code_unverified=True)
    company.full_clean()
    company.save()
    assert Company.objects.get(pk=company.pk).credit_code == code


@pytest.mark.parametrize(
    "code",
    [pytest.param(VALID_CODE[:17], id="too short"), pytest.param("91350100M000100I43", id="letter I")],
)
def test_marking_a_code_unverified_does_not_excuse_a_wrong_length_or_character(code: str) -> None:
    company = CompanyFactory.build(credit_code=code, credit_code_unverified=True)
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert "credit_code" in caught.value.message_dict


def test_full_clean_refuses_a_credit_code_another_company_has() -> None:
    CompanyFactory(credit_code=VALID_CODE)
    with pytest.raises(ValidationError) as caught:
        CompanyFactory.build(credit_code=VALID_CODE).full_clean()
    assert "credit_code" in caught.value.message_dict


# --- Parent companies ----------------------------------------------------------------------------------------------


def test_full_clean_refuses_a_parent_since_date_without_its_precision() -> None:
    company = CompanyFactory.build(parent=CompanyFactory(), parent_since=dt.date(2024, 7, 1))
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert "A parent-since date needs its precision, and a precision its date." in caught.value.messages


def test_full_clean_accepts_a_parent_since_date_with_its_precision() -> None:
    company = CompanyFactory.build(
        parent=CompanyFactory(), parent_since=dt.date(2024, 7, 1), parent_since_precision="month"
    )
    company.full_clean()


def test_a_company_cannot_be_its_own_ancestor() -> None:
    group = CompanyFactory()
    subsidiary = CompanyFactory(parent=group)
    group.parent = subsidiary
    with pytest.raises(ValidationError) as caught:
        group.full_clean()
    assert caught.value.message_dict["parent"] == ["A company cannot be its own ancestor."]


def test_the_database_refuses_a_company_that_is_its_own_parent() -> None:
    company = CompanyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=company.pk).update(parent=F("id"))
    assert refusal(caught) == "companies_company_not_own_parent"


@pytest.mark.parametrize(
    ("since", "precision"),
    [(dt.date(2024, 7, 15), "month"), (dt.date(2024, 5, 1), "quarter"), (dt.date(2024, 7, 1), "year")],
)
def test_the_database_refuses_a_parent_since_date_that_is_not_the_first_day_of_its_precision(
    since: dt.date, precision: str
) -> None:
    company = CompanyFactory(parent=CompanyFactory())
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=company.pk).update(parent_since=since, parent_since_precision=precision)
    assert refusal(caught) == "companies_company_parent_since_matches_precision"


# --- Check and unique constraints, with validation bypassed ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param({"credit_code": VALID_CODE[:17]}, "companies_company_credit_code_format", id="17 characters"),
        pytest.param({"credit_code": "91350100M000100I43"}, "companies_company_credit_code_format", id="letter I"),
        pytest.param({"credit_code": "91350100M000100O43"}, "companies_company_credit_code_format", id="letter O"),
        pytest.param({"credit_code": VALID_CODE.lower()}, "companies_company_credit_code_format", id="lowercase"),
        pytest.param({"credit_code": "9135-100M000100Y43"}, "companies_company_credit_code_format", id="dash"),
        pytest.param(
            {"parent_since": dt.date(2024, 7, 1), "parent_since_precision": "day"},
            "companies_company_parent_details_need_parent",
            id="parent date without parent",
        ),
        pytest.param({"kind": "cooperative"}, "companies_company_kind_valid", id="unknown kind"),
        pytest.param({"name": " "}, "companies_company_name_not_blank", id="blank name"),
    ],
)
def test_the_database_refuses_a_company_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    company = CompanyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=company.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.bulk_create([CompanyFactory.build(**changes)])
    assert refusal(caught) == constraint


def test_the_database_refuses_a_parent_citation_without_a_parent() -> None:
    company = CompanyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=company.pk).update(parent_citation=CitationFactory())
    assert refusal(caught) == "companies_company_parent_details_need_parent"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"parent_since": dt.date(2024, 7, 1), "parent_since_precision": ""}, id="date without precision"),
        pytest.param({"parent_since": None, "parent_since_precision": "month"}, id="precision without date"),
        pytest.param({"parent_since": dt.date(2024, 7, 1), "parent_since_precision": "week"}, id="unknown precision"),
    ],
)
def test_the_database_refuses_a_parent_since_date_and_precision_that_do_not_go_together(changes: dict) -> None:
    company = CompanyFactory(parent=CompanyFactory())
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=company.pk).update(**changes)
    # A dated relation with no (or an unknown) precision breaks two rules; either may be reported.
    assert refusal(caught) in {
        "companies_company_parent_since_precision",
        "companies_company_parent_since_matches_precision",
    }


def test_the_database_stores_a_bad_check_character_but_not_a_bad_format_even_when_unverified() -> None:
    stored = Company.objects.bulk_create([CompanyFactory.build(credit_code=WRONG_FINAL_CHECK)])
    assert Company.objects.filter(pk=stored[0].pk, credit_code=WRONG_FINAL_CHECK).exists()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.bulk_create([CompanyFactory.build(credit_code="I" * 18, credit_code_unverified=True)])
    assert refusal(caught) == "companies_company_credit_code_format"


@pytest.mark.parametrize("field", ["name", "slug", "credit_code"])
def test_company_names_slugs_and_credit_codes_are_unique(field: str) -> None:
    company = CompanyFactory(credit_code=VALID_CODE)
    other = CompanyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.filter(pk=other.pk).update(**{field: getattr(company, field)})
    assert refusal(caught) == f"companies_company_{field}_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Company.objects.bulk_create([CompanyFactory.build(**{field: getattr(company, field)})])
    assert refusal(caught) == f"companies_company_{field}_key"


def test_many_companies_may_have_no_credit_code() -> None:
    Company.objects.bulk_create([CompanyFactory.build(), CompanyFactory.build()])
    assert Company.objects.filter(credit_code__isnull=True).count() == 2


# --- Protection ----------------------------------------------------------------------------------------------------


def test_a_company_participating_in_a_project_cannot_be_deleted() -> None:
    participant = ParticipantFactory()
    with pytest.raises(ProtectedError):
        participant.company.delete()
    assert Company.objects.filter(pk=participant.company_id).exists()


def test_the_database_refuses_a_raw_delete_of_a_company_participating_in_a_project() -> None:
    participant = ParticipantFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        delete_raw("DELETE FROM companies_company WHERE id = %s", participant.company_id)
    assert isinstance(caught.value.__cause__, ForeignKeyViolation)


def test_a_company_with_subsidiaries_cannot_be_deleted() -> None:
    subsidiary = CompanyFactory(parent=CompanyFactory())
    with pytest.raises(ProtectedError):
        subsidiary.parent.delete()
