"""The OC4IDS export (issue 23, item 3): a project package for the list's filters, valid against the vendored
OC4IDS 0.9.5 schema and codelists with the Open Contracting validator's additional checks, on 50 projects made
by the factories and on the article's data; streamed at a number of queries that does not grow with the projects.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from companies.credit_code import credit_code_check_character, organisation_code_check_character
from core.choices import DatePrecision, Qualifier
from exports.oc4ids import MILESTONE_TYPE, ROLES, STATUS
from exports.validation import additional_checks, codelist, codelist_errors, schema_errors
from projects.models import Participant, Project, Stage
from tests.contract import client_for, error_of, statements
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    FundsInPlaceFactory,
    IndustryFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    RegionFactory,
    StaffUserFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/export/oc4ids/"
MANY = 50
SERIALS = itertools.count(1)


def credit_code(serial: int) -> str:
    body = f"MA{serial:06d}"
    first17 = f"91331100{body}{organisation_code_check_character(body)}"
    return first17 + credit_code_check_character(first17)


def make_projects(count: int) -> list[Project]:
    """Projects with what a real one has: a county or a zone, industries of both schemes, an investor with a
    credit code and one without, a promoting bureau, actual and planned milestones at every precision, cumulative
    funds (one a bound), citations; amounts exact, approximate and bounded."""
    county = RegionFactory()
    zone = ZoneFactory(parent=county)
    bureau = CompanyFactory(kind="government")
    chain, division = IndustryFactory(), IndustryFactory(gbt4754=True)
    qualifiers = itertools.cycle([Qualifier.EXACT, Qualifier.ABOUT, Qualifier.MORE_THAN, Qualifier.EXACT])
    precisions = itertools.cycle(DatePrecision.values)
    projects = []
    for n in range(count):
        project = ProjectFactory(
            region=zone if n % 3 == 0 else county,
            planned_investment=Decimal("1234567890123.45") + n,
            investment_qualifier=next(qualifiers),
            investment_citation=CitationFactory(),
            description=f"Project {n}.",
        )
        project.industries.set([chain, division])
        investor = CompanyFactory(credit_code=credit_code(next(SERIALS)))
        ParticipantFactory(project=project, company=investor, role="lead_investor")
        ParticipantFactory(project=project, role="partner", citation=CitationFactory())
        ParticipantFactory(project=project, company=bureau, role="promoting_agency")
        precision = next(precisions)
        MilestoneFactory(
            project=project, stage=Stage.SIGNED, date=dt.date(2024, 1, 1), date_precision=precision, note="Signed."
        )
        MilestoneFactory(project=project, stage=Stage.IN_PRODUCTION, date=dt.date(2026, 7, 1), is_planned=True)
        FundsInPlaceFactory(project=project, as_of=dt.date(2024, 3, 1), as_of_precision="month")
        FundsInPlaceFactory(
            project=project, as_of=dt.date(2024, 7, 1), amount=Decimal("300000000.00"), qualifier=Qualifier.MORE_THAN
        )
        projects.append(project)
    return projects


def export(client=None, **params):
    response = (client or client_for()).get(EXPORT, params)
    assert response.status_code == 200, response.content
    assert response.streaming
    body = b"".join(response.streaming_content)
    return response, body, json.loads(body)


def assert_valid(package: dict) -> None:
    assert schema_errors(package) == []
    assert codelist_errors(package) == []
    assert additional_checks(package) == {"missing-values": [], "missing-currency": [], "missing-org-refs": []}


def test_fifty_projects_make_a_valid_package():
    make_projects(MANY)

    response, _body, package = export()

    assert response["Content-Type"] == "application/json"
    assert len(package["projects"]) == MANY
    assert package["version"] == "0.9"
    assert_valid(package)


def test_money_is_written_from_its_decimal_digit_for_digit():
    ProjectFactory(planned_investment=Decimal("1234567890123456.07"))

    _response, body, _package = export()

    assert b'"amount":1234567890123456.07,"currency":"CNY"' in body  # a float would write 1234567890123456.0


def test_a_bound_is_never_an_amount_and_its_qualifier_and_precision_stay_in_descriptions():
    project = ProjectFactory(planned_investment=Decimal("1000000000.00"), investment_qualifier=Qualifier.MORE_THAN)
    MilestoneFactory(project=project, stage=Stage.LANDED, date=dt.date(2024, 7, 1), date_precision="month")
    FundsInPlaceFactory(project=project, as_of=dt.date(2024, 1, 1), as_of_precision="quarter", qualifier="at_least")

    (exported,) = export()[2]["projects"]

    assert "amount" not in exported["budget"]
    assert "more than 1,000,000,000.00 CNY" in exported["budget"]["description"]
    (milestone,) = exported["milestones"]
    assert "2024-07" in milestone["description"]
    assert "month" in milestone["description"]
    (observation,) = exported["metrics"][0]["observations"]
    assert "value" not in observation
    assert "at least" in observation["notes"]
    assert "2024-Q1" in observation["notes"]
    assert observation["period"] == {"startDate": "2024-01-01T00:00:00+08:00", "endDate": "2024-03-31T00:00:00+08:00"}


def test_parties_carry_their_credit_code_and_roles_and_the_bureau_is_the_public_authority():
    project = ProjectFactory()
    investor = CompanyFactory(credit_code=credit_code(next(SERIALS)))
    bureau = CompanyFactory(kind="government")
    ParticipantFactory(project=project, company=investor, role="lead_investor")
    ParticipantFactory(project=project, company=investor, role="operator")
    ParticipantFactory(project=project, company=bureau, role="promoting_agency")

    (exported,) = export()[2]["projects"]

    first, second = exported["parties"]
    assert first["id"] == f"CN-USCC-{investor.credit_code}"
    assert first["identifier"] == {"scheme": "CN-USCC", "id": investor.credit_code, "legalName": investor.name}
    assert sorted(first["roles"]) == ["funder", "interestedParty"]
    assert second["roles"] == ["publicAuthority"]
    assert exported["publicAuthority"] == {"id": second["id"], "name": bureau.name}


def test_the_id_is_the_prefix_and_the_key_and_the_publisher_comes_from_the_settings(settings):
    settings.OC4IDS_PREFIX = "oc4ids-ab12cd-"
    settings.OC4IDS_PUBLISHER_NAME = "丽水市投资促进中心"
    settings.OC4IDS_PUBLISHER_URI = "https://tzcj.lishui.gov.cn/"
    project = ProjectFactory()

    package = export()[2]

    assert package["projects"][0]["id"] == f"oc4ids-ab12cd-{project.pk}"
    assert package["publisher"] == {"name": "丽水市投资促进中心", "uri": "https://tzcj.lishui.gov.cn/"}
    assert package["uri"].endswith(EXPORT)


def test_the_list_s_filters_choose_the_projects():
    county = RegionFactory()
    inside = ProjectFactory(region=county, stage=Stage.CONCEIVED)
    ProjectFactory()

    package = export(region=county.code)[2]

    assert [p["identifiers"][0]["id"] for p in package["projects"]] == [inside.slug]
    assert package["uri"].endswith(f"?region={county.code}")


def test_the_national_project_code_is_an_identifier_after_the_slug():
    county = RegionFactory()
    coded = ProjectFactory(region=county, national_code=f"2111-{county.code}-04-01-342068")
    ProjectFactory(region=county)

    package = export(region=county.code)[2]

    identifiers = {p["identifiers"][0]["id"]: p["identifiers"] for p in package["projects"]}
    assert identifiers[coded.slug][1] == {"id": coded.national_code, "scheme": "CN-NATIONAL-PROJECT-CODE"}
    assert [len(ids) for ids in identifiers.values()].count(1) == 1  # no code, no second identifier


def test_an_unknown_parameter_or_a_bad_filter_is_a_json_400():
    response = client_for().get(EXPORT, {"regoin": "331181"})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["regoin"]

    response = client_for().get(EXPORT, {"region": "999999"})
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["region"]

    assert client_for().get(EXPORT, {"format": "csv"}).status_code == 400


def test_the_export_is_read_by_whoever_may_read_the_list(settings):
    ProjectFactory()
    settings.API_ANONYMOUS_READS = False

    assert client_for().get(EXPORT).status_code == client_for().get("/api/v1/projects/").status_code == 401
    viewer = client_for(StaffUserFactory())
    export(viewer)


def test_the_queries_do_not_grow_with_the_projects():
    def count() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            export()
        return statements(queries)

    make_projects(1)
    one = count()
    make_projects(MANY - 1)
    many = count()

    # The projects (a server-side cursor), then one query per prefetch: industries, participants, milestones, funds.
    assert len(many) == len(one) == 5


def test_an_empty_result_is_an_empty_list_of_projects():
    assert export(stage="cancelled")[2]["projects"] == []


def test_every_stage_role_and_milestone_maps_to_a_code_of_the_standard():
    assert set(STATUS) == set(Stage) - {Stage.ON_HOLD}
    assert set(STATUS.values()) <= codelist("projectStatus.csv")
    assert set(MILESTONE_TYPE) == set(Stage)
    assert {kind for kind, _code in MILESTONE_TYPE.values()} <= codelist("milestoneType.csv")
    assert {code for _kind, code in MILESTONE_TYPE.values() if code} <= codelist("milestoneCode.csv")
    assert set(ROLES) == set(Participant.Role)
    assert {*ROLES.values(), "publicAuthority"} <= codelist("partyRole.csv")


def test_a_project_on_hold_keeps_the_status_its_milestones_reached():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.CONSTRUCTION_STARTED)
    Project.objects.filter(pk=project.pk).update(stage=Stage.ON_HOLD, stage_reason="Land not yet approved.")

    (exported,) = export()[2]["projects"]

    assert exported["status"] == "implementation"
    assert "on hold" in exported["description"]
    assert "Land not yet approved." in exported["description"]


def test_the_refusal_speaks_chinese_to_a_chinese_client():
    response = client_for().get(EXPORT, {"regoin": "331181"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    (problem,) = error_of(response)["fields"]["regoin"]
    assert "此导出不接受该参数" in problem["message"]
    assert "region" in problem["message"]
