"""A project's commitments and their actuals, under /projects/{project}/ (issue 23, item 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from accounts.models import RegionAssignment
from accounts.roles import GROUP_NAMES, Role
from commitments.models import Commitment, CommitmentObservation
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import (
    CitationFactory,
    CommitmentFactory,
    CommitmentObservationFactory,
    CountyFactory,
    MilestoneFactory,
    ProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


class ProjectCommitmentContract(CRUDContract):
    @pytest.fixture(autouse=True)
    def _project(self, db):
        self.project = ProjectFactory()

    def url_kwargs(self):
        return {"project": self.project.slug}


class TestCommitmentAPI(ProjectCommitmentContract):
    basename = "project-commitment"
    factory = CommitmentFactory
    update_data = {"target": "35.0000", "remedy": "The firm pays the difference in tax."}
    invalid_data = {"unit": "wan_yuan_per_mu"}
    invalid_field = "unit"

    def make(self):
        return self.factory(project=self.project)

    def create_data(self):
        return {
            "kind": "tax_per_mu",
            "comparator": "at_least",
            "target": "30",
            "unit": "wan_yuan_per_mu_year",
            "land_area": "50",
            "due_on": "2024-01-01",
            "citation": CitationFactory().pk,
        }


class TestCommitmentObservationAPI(ProjectCommitmentContract):
    basename = "project-commitment-observation"
    factory = CommitmentObservationFactory
    update_data = {"value": "1500.0000"}
    invalid_data = {"period": "2024-H1"}
    invalid_field = "period"

    @pytest.fixture(autouse=True)
    def _commitment(self, _project):
        self.commitment = CommitmentFactory(project=self.project)

    def make(self):
        return self.factory(commitment=self.commitment)

    def snapshot(self):
        return list(CommitmentObservation.objects.order_by("pk").values())

    def create_data(self):
        return {
            "commitment": self.commitment.pk,
            "period": "2025",
            "value": "1200",
            "unit": "wan_yuan",
            "citation": CitationFactory().pk,
        }


def editor():
    """A bureau administrator (staff_user makes one of a user given write permissions)."""
    return client_for(staff_user(CommitmentObservation, "add", "change", "delete"))


def commitments_url(project) -> str:
    return f"/api/v1/projects/{project.slug}/commitments/"


def a_commitment(**changes):
    return {
        "kind": "tax_per_mu",
        "comparator": "at_least",
        "target": "30",
        "unit": "wan_yuan_per_mu_year",
        "land_area": "50",
        "due_on": "2024-01-01",
        "citation": CitationFactory().pk,
        **changes,
    }


def test_a_unit_that_does_not_fit_the_kind_is_a_400_saying_which_unit_fits():
    project = ProjectFactory()

    response = editor().post(commitments_url(project), a_commitment(unit="wan_yuan_per_mu"), format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"]
    (problem, *_rest) = error["fields"]["unit"]
    assert "10,000 yuan per mu per year" in problem["message"]
    assert not Commitment.objects.exists()


def test_the_database_refuses_a_wrong_unit_too():
    commitment = CommitmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(unit="wan_yuan")


def test_a_commitment_without_its_citation_is_a_400():
    project = ProjectFactory()
    body = a_commitment()
    del body["citation"]

    response = editor().post(commitments_url(project), body, format="json")

    assert response.status_code == 400
    assert "citation" in error_of(response)["fields"]


def test_a_null_citation_is_a_400_too():
    response = editor().post(commitments_url(ProjectFactory()), a_commitment(citation=None), format="json")

    assert response.status_code == 400
    assert "citation" in error_of(response)["fields"]


def test_a_per_mu_commitment_needs_its_land_area_and_the_area_is_more_than_0():
    project = ProjectFactory()

    missing = editor().post(commitments_url(project), a_commitment(land_area=None), format="json")
    zero = editor().post(commitments_url(project), a_commitment(land_area="0"), format="json")

    assert "land_area" in error_of(missing)["fields"]
    assert zero.status_code == 400


def test_a_target_written_as_a_json_float_is_refused_or_kept_exact():
    response = editor().post(commitments_url(ProjectFactory()), a_commitment(target="30.1"), format="json")

    assert response.status_code == 201
    assert response.json()["target"] == "30.1000"


def test_a_due_date_given_as_months_after_a_milestone_is_resolved_from_the_actual_milestone():
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="in_production", date=dt.date(2024, 3, 15), is_planned=False)
    MilestoneFactory(project=project, stage="in_production", date=dt.date(2023, 1, 1), is_planned=True)
    body = a_commitment(due_on=None, due_offset_months=12, due_milestone="in_production")

    response = editor().post(commitments_url(project), body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["due_date"] == "2025-03-15"
    assert response.json()["due_on"] is None


def test_an_offset_due_date_is_null_while_the_milestone_has_not_happened():
    project = ProjectFactory()
    body = a_commitment(due_on=None, due_offset_months=6, due_milestone="at_capacity")

    response = editor().post(commitments_url(project), body, format="json")

    assert response.status_code == 201
    assert response.json()["due_date"] is None


def test_a_commitment_gives_a_due_date_or_an_offset_but_not_both():
    project = ProjectFactory()

    both = editor().post(
        commitments_url(project), a_commitment(due_offset_months=6, due_milestone="signed"), format="json"
    )
    neither = editor().post(commitments_url(project), a_commitment(due_on=None), format="json")

    assert "due_on" in error_of(both)["fields"]
    assert "due_on" in error_of(neither)["fields"]


def test_a_dated_commitment_has_no_target_and_is_kept_by_date():
    project = ProjectFactory()
    body = a_commitment(kind="produce_by", comparator="by_date", target=None, unit="", land_area=None)

    assert editor().post(commitments_url(project), body, format="json").status_code == 201
    wrong = editor().post(commitments_url(project), {**body, "comparator": "at_least"}, format="json")
    assert "comparator" in error_of(wrong)["fields"]


def test_an_observation_of_another_project_s_commitment_is_refused():
    project, other = ProjectFactory(), CommitmentFactory()
    body = {"commitment": other.pk, "period": "2024", "value": "1200", "unit": "wan_yuan"}
    body["citation"] = CitationFactory().pk

    response = editor().post(f"/api/v1/projects/{project.slug}/commitment-observations/", body, format="json")

    assert response.status_code == 400
    assert "commitment" in error_of(response)["fields"]


def test_an_observation_in_a_unit_that_fits_neither_target_nor_total_is_refused():
    commitment = CommitmentFactory()
    body = {"commitment": commitment.pk, "period": "2024", "value": "12", "unit": "persons"}
    body["citation"] = CitationFactory().pk

    url = f"/api/v1/projects/{commitment.project.slug}/commitment-observations/"
    response = editor().post(url, body, format="json")

    assert response.status_code == 400
    assert "unit" in error_of(response)["fields"]


def test_a_yearly_kind_takes_a_year_not_a_quarter_and_a_period_once():
    commitment = CommitmentFactory()
    CommitmentObservationFactory(commitment=commitment, period="2024")
    url = f"/api/v1/projects/{commitment.project.slug}/commitment-observations/"
    body = {"commitment": commitment.pk, "value": "12", "unit": "wan_yuan", "citation": CitationFactory().pk}

    quarter = editor().post(url, {**body, "period": "2025-Q1"}, format="json")
    again = editor().post(url, {**body, "period": "2024"}, format="json")

    assert "period" in error_of(quarter)["fields"]
    assert again.status_code == 400


def test_a_project_with_commitments_is_not_deleted_from_under_them():
    commitment = CommitmentFactory()
    client = client_for(staff_user(type(commitment.project), "delete"))

    response = client.delete(f"/api/v1/projects/{commitment.project.slug}/", headers={"if-match": "*"})

    assert response.status_code == 409


def regional_editor_of(region):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.REGIONAL_EDITOR]))
    RegionAssignment.objects.create(user=user, region=region)
    return client_for(user)


def test_a_regional_editor_writes_the_commitments_of_projects_in_their_regions_only():
    mine, theirs = ProjectFactory(region=CountyFactory()), ProjectFactory(region=CountyFactory())
    client = regional_editor_of(mine.region)

    allowed = client.post(commitments_url(mine), a_commitment(), format="json")
    refused = client.post(commitments_url(theirs), a_commitment(), format="json")
    observation = CommitmentObservationFactory(commitment=CommitmentFactory(project=theirs))
    url = f"/api/v1/projects/{theirs.slug}/commitment-observations/{observation.pk}/"
    change = client.patch(url, {"value": "1.0000"}, format="json", headers={"if-match": "*"})

    assert allowed.status_code == 201
    assert refused.status_code == 403
    assert change.status_code == 403
    assert Commitment.objects.filter(project=theirs).count() == 1


def test_a_change_names_the_version_it_changes():
    commitment = CommitmentFactory()
    url = f"{commitments_url(commitment.project)}{commitment.pk}/"
    client = editor()
    etag = client.get(url)["ETag"]

    missing = client.patch(url, {"target": "31"}, format="json")
    changed = client.patch(url, {"target": "31"}, format="json", headers={"if-match": etag})
    stale = client.patch(url, {"target": "32"}, format="json", headers={"if-match": etag})

    assert (missing.status_code, changed.status_code, stale.status_code) == (428, 200, 412)
