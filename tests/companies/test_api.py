"""Companies over the API: the CRUD contract, credit codes checked and normalised, aliases found, participants kept."""

from __future__ import annotations

import pytest

from companies.credit_code import credit_code_check_character, organisation_code_check_character
from companies.models import Company
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import CompanyFactory, CountyFactory, IndustryFactory, ParticipantFactory


def credit_code(body: str = "MA2HXY7Q", head: str = "91331181") -> str:
    """A credit code whose two check characters are right."""
    first17 = head + body + organisation_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def with_wrong_final_check(code: str) -> str:
    return code[:-1] + ("1" if code[-1] != "1" else "2")


class TestCompanyAPI(CRUDContract):
    basename = "company"
    factory = CompanyFactory
    update_data = {"name": "Zhejiang Renamed Company", "aliases": ["Renamed"]}
    invalid_data = {"kind": "secret_society"}
    invalid_field = "kind"

    def create_data(self):
        return {
            "name": "Zhejiang Guojing Pharmaceutical Co., Ltd.",
            "slug": "zhejiang-guojing-pharmaceutical",
            "kind": "enterprise",
            "credit_code": credit_code(),
            "headquarters": CountyFactory().code,
            "industries": [IndustryFactory().code],
        }


@pytest.fixture
def editor():
    return client_for(staff_user(Company, "add", "delete"))


def company_payload(**fields):
    return {"name": "Lishui Example Co., Ltd.", "slug": "lishui-example", "kind": "enterprise", **fields}


@pytest.mark.django_db
def test_a_credit_code_with_a_wrong_check_character_is_refused_naming_the_check(editor):
    code = with_wrong_final_check(credit_code())
    response = editor.post("/api/v1/companies/", company_payload(credit_code=code), format="json")
    assert response.status_code == 400
    [error] = error_of(response)["fields"]["credit_code"]
    assert error["code"] == "check_character"
    assert "final check character (GB 32100)" in error["message"]
    assert not Company.objects.exists()


@pytest.mark.django_db
def test_a_credit_code_marked_unverified_is_stored_as_printed(editor):
    code = with_wrong_final_check(credit_code())
    response = editor.post(
        "/api/v1/companies/", company_payload(credit_code=code, credit_code_unverified=True), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["credit_code"] == code
    assert Company.objects.get().credit_code == code


@pytest.mark.django_db
def test_a_lowercase_credit_code_is_stored_in_capitals(editor):
    response = editor.post("/api/v1/companies/", company_payload(credit_code=credit_code().lower()), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["credit_code"] == credit_code()
    assert Company.objects.get().credit_code == credit_code()


@pytest.mark.django_db
def test_searching_for_kolen_finds_kelun_by_its_alias():
    kelun = CompanyFactory(name="Sichuan Kelun Pharmaceutical Co., Ltd.", aliases=["Kolen", "科伦"])
    CompanyFactory(name="Zhejiang Guojing Pharmaceutical Co., Ltd.")
    rows = client_for().get("/api/v1/companies/", {"search": "Kolen"}).json()["results"]
    assert [row["slug"] for row in rows] == [kelun.slug]


@pytest.mark.django_db
def test_a_company_taking_part_in_a_project_cannot_be_deleted(editor):
    participant = ParticipantFactory()
    response = editor.delete(f"/api/v1/companies/{participant.company.slug}/", headers={"if-match": "*"})
    assert response.status_code == 409
    assert "participants" in error_of(response)["message"]
    assert Company.objects.filter(pk=participant.company.pk).exists()
