"""A project's participants, milestones, funds in place, figures and follow-ups, under /projects/{project}/."""

from __future__ import annotations

import pytest

from figures.models import Figure
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from tests.contract import CRUDContract, client_for, error_of, staff_user
from tests.factories import (
    CompanyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)


class ProjectChildContract(CRUDContract):
    """The CRUD contract for records that belong to one project, named by its slug in the URL."""

    @pytest.fixture(autouse=True)
    def _project(self, db):
        self.project = ProjectFactory()

    def url_kwargs(self):
        return {"project": self.project.slug}

    def make(self):
        return self.factory(project=self.project)


class TestParticipantAPI(ProjectChildContract):
    basename = "project-participant"
    factory = ParticipantFactory
    update_data = {"role": "partner", "note": "Supplies the packaging line."}
    invalid_data = {"role": "financier"}
    invalid_field = "role"

    def create_data(self):
        return {"company": CompanyFactory().slug, "role": "investor", "share": "40.00"}


class TestMilestoneAPI(ProjectChildContract):
    basename = "project-milestone"
    factory = MilestoneFactory
    update_data = {"note": "Signed at the Lishui investment fair."}
    invalid_data = {"date_precision": "week"}
    invalid_field = "date_precision"

    def create_data(self):
        return {"stage": "signed", "date": "2024-07-01", "date_precision": "month"}


class TestFundsInPlaceAPI(ProjectChildContract):
    basename = "project-funds-in-place"
    factory = FundsInPlaceFactory
    update_data = {"amount": "350000000.00"}
    invalid_data = {"amount": "-5.00"}
    invalid_field = "amount"

    def create_data(self):
        return {"as_of": "2024-06-30", "amount": "300000000.00", "qualifier": "exact"}


class TestFigureAPI(ProjectChildContract):
    basename = "project-figure"
    factory = FigureFactory
    update_data = {"value": "160000000.0000", "qualifier": "more_than"}
    invalid_data = {"period": "2024-H3"}
    invalid_field = "period"

    def create_data(self):
        return {"metric": "revenue", "label": "H1 revenue", "period": "2024-H1", "value": "150000000", "unit": "yuan"}


class TestFollowUpAPI(ProjectChildContract):
    basename = "project-follow-up"
    factory = FollowUpFactory
    update_data = {"next_step": "Sign the land-use agreement."}
    invalid_data = {"happened_on": "last Tuesday"}
    invalid_field = "happened_on"
    anonymous_reads = False  # the bureau's working notes (API_ANONYMOUS_FOLLOW_UPS)

    def create_data(self):
        return {"happened_on": "2024-07-02", "action": "Met the investor.", "next_step_due": "2024-07-20"}


@pytest.fixture
def project():
    return ProjectFactory()


def editor_of(model):
    """A staff client that may add records of `model`."""
    return client_for(staff_user(model, "add"))


@pytest.mark.django_db
def test_a_participant_added_to_a_project_shows_in_its_detail(project):
    company = CompanyFactory()
    payload = {"company": company.slug, "role": "lead_investor"}
    response = editor_of(Participant).post(f"/api/v1/projects/{project.slug}/participants/", payload, format="json")
    assert response.status_code == 201, response.json()
    detail = client_for().get(f"/api/v1/projects/{project.pk}/").json()
    assert [row["company"]["slug"] for row in detail["participants"]] == [company.slug]
    assert detail["lead_investor"]["slug"] == company.slug


@pytest.mark.django_db
def test_a_second_lead_investor_is_refused_with_a_json_error(project):
    ParticipantFactory(project=project, role="lead_investor")
    payload = {"company": CompanyFactory().slug, "role": "lead_investor"}
    response = editor_of(Participant).post(f"/api/v1/projects/{project.slug}/participants/", payload, format="json")
    assert response.status_code in (400, 409)
    assert "at most one lead investor" in str(error_of(response))
    assert project.participants.count() == 1


@pytest.mark.django_db
def test_an_actual_milestone_moves_the_project_to_its_stage_and_a_planned_one_does_not(project):
    editor, url = editor_of(Milestone), f"/api/v1/projects/{project.slug}/milestones/"
    landed = {"stage": "landed", "date": "2024-07-01", "date_precision": "month"}
    assert editor.post(url, landed, format="json").status_code == 201
    planned = {"stage": "in_production", "date": "2026-01-01", "date_precision": "year", "is_planned": True}
    assert editor.post(url, planned, format="json").status_code == 201
    assert client_for().get(f"/api/v1/projects/{project.slug}/").json()["stage"] == "landed"
    project.refresh_from_db()
    assert project.stage == Project.Stage.LANDED


@pytest.mark.django_db
def test_a_figure_comes_back_with_the_first_and_last_day_of_its_period(project):
    payload = {
        "metric": "revenue",
        "period": "2024-H1",
        "value": "1000000000",
        "unit": "yuan",
        "qualifier": "more_than",
    }
    response = editor_of(Figure).post(f"/api/v1/projects/{project.slug}/figures/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["period_start"], response.json()["period_end"]) == ("2024-01-01", "2024-06-30")
    assert Figure.objects.get().period_end.isoformat() == "2024-06-30"


@pytest.mark.django_db
def test_funds_in_place_are_added_as_money_and_must_not_shrink_over_time(project):
    editor, url = editor_of(FundsInPlace), f"/api/v1/projects/{project.slug}/funds-in-place/"
    response = editor.post(url, {"as_of": "2024-06-30", "amount": "250000000"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["amount"], response.json()["currency"]) == ("250000000.00", "CNY")
    shrunk = editor.post(url, {"as_of": "2024-09-30", "amount": "100000000.00"}, format="json")
    assert shrunk.status_code == 400
    assert "cumulative" in error_of(shrunk)["fields"]["amount"][0]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "as_of", "precision"),
    [("2024-03", "2024-03-01", "month"), ("2024", "2024-01-01", "year"), ("2024-Q2", "2024-04-01", "quarter")],
)
def test_funds_in_place_dated_as_a_month_or_a_year_are_stored_at_that_precision(project, typed, as_of, precision):
    editor, url = editor_of(FundsInPlace), f"/api/v1/projects/{project.slug}/funds-in-place/"
    response = editor.post(url, {"as_of": typed, "amount": "300000000.00"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["as_of"], response.json()["as_of_precision"]) == (as_of, precision)
    read = client_for().get(f"{url}{response.json()['id']}/").json()
    assert (read["as_of"], read["as_of_precision"]) == (as_of, precision)
    detail = client_for().get(f"/api/v1/projects/{project.slug}/").json()
    assert [(row["as_of"], row["as_of_precision"]) for row in detail["funds_in_place"]] == [(as_of, precision)]
    assert str(FundsInPlace.objects.get()) == f"{project}: 300000000.00 CNY by {typed}"


@pytest.mark.django_db
def test_funds_in_place_stated_as_the_first_day_and_its_precision_are_accepted_too(project):
    url = f"/api/v1/projects/{project.slug}/funds-in-place/"
    payload = {"as_of": "2024-03-01", "as_of_precision": "month", "amount": "300000000.00"}
    response = editor_of(FundsInPlace).post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["as_of"], response.json()["as_of_precision"]) == ("2024-03-01", "month")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"as_of": "2024-13"}, id="no month 13"),
        pytest.param({"as_of": "2024-Q5"}, id="no fifth quarter"),
        pytest.param({"as_of": "March 2024"}, id="words"),
        pytest.param({"as_of": "2024-02-30"}, id="no such day"),
        pytest.param({"as_of": 2024}, id="a number"),
        pytest.param({"as_of": "2024-03", "as_of_precision": "day"}, id="a month said to be a day"),
        pytest.param({"as_of": "2024-03-15", "as_of_precision": "month"}, id="a day said to be a month"),
    ],
)
def test_a_bad_partial_date_for_funds_in_place_is_a_json_400_on_its_field(project, payload):
    url = f"/api/v1/projects/{project.slug}/funds-in-place/"
    response = editor_of(FundsInPlace).post(url, {**payload, "amount": "300000000.00"}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "as_of" in error_of(response)["fields"]
    assert not FundsInPlace.objects.exists()


@pytest.mark.django_db
def test_funds_in_place_by_a_month_bound_a_figure_dated_after_that_month(project):
    editor, url = editor_of(FundsInPlace), f"/api/v1/projects/{project.slug}/funds-in-place/"
    assert editor.post(url, {"as_of": "2024-03", "amount": "300000000"}, format="json").status_code == 201
    shrunk = editor.post(url, {"as_of": "2024-04-01", "amount": "200000000"}, format="json")
    assert shrunk.status_code == 400
    assert error_of(shrunk)["fields"]["amount"][0]["message"] == (
        "Funds in place are cumulative: 300000000.00 had already arrived by 2024-03."
    )
    inside = editor.post(url, {"as_of": "2024-03-15", "amount": "200000000"}, format="json")
    assert inside.status_code == 201, inside.json()


@pytest.mark.django_db
def test_changing_funds_in_place_to_a_year_sets_its_precision(project):
    funds = FundsInPlaceFactory(project=project, as_of="2024-03-01", as_of_precision="month")
    url = f"/api/v1/projects/{project.slug}/funds-in-place/{funds.pk}/"
    editor = client_for(staff_user(FundsInPlace, "change"))
    etag = editor.get(url)["ETag"]
    response = editor.patch(url, {"as_of": "2024"}, format="json", headers={"If-Match": etag})
    assert response.status_code == 200, response.json()
    assert (response.json()["as_of"], response.json()["as_of_precision"]) == ("2024-01-01", "year")


@pytest.mark.django_db
def test_a_milestone_may_be_dated_as_a_month_too(project):
    url = f"/api/v1/projects/{project.slug}/milestones/"
    response = editor_of(Milestone).post(url, {"stage": "landed", "date": "2024-07"}, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["date"], response.json()["date_precision"]) == ("2024-07-01", "month")
    assert str(Milestone.objects.get()).endswith(" 2024-07")


@pytest.mark.django_db
def test_a_follow_up_is_signed_by_the_requesting_user_whatever_the_payload_says(project):
    officer, someone_else = staff_user(FollowUp, "add"), FollowUpFactory().author
    payload = {"happened_on": "2024-07-02", "action": "Visited the site.", "author": someone_else.username}
    response = client_for(officer).post(f"/api/v1/projects/{project.slug}/follow-ups/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["author"] == officer.username
    assert FollowUp.objects.get(pk=response.json()["id"]).author == officer


SUBRESOURCES = {
    "participants": Participant,
    "milestones": Milestone,
    "funds-in-place": FundsInPlace,
    "figures": Figure,
    "follow-ups": FollowUp,
}


@pytest.mark.django_db
@pytest.mark.parametrize("project_key", ["no-such-project", "999999999"])
@pytest.mark.parametrize(("collection", "model"), SUBRESOURCES.items(), ids=SUBRESOURCES.keys())
def test_an_unknown_project_in_the_url_is_a_json_404(project_key, collection, model):
    url = f"/api/v1/projects/{project_key}/{collection}/"
    for response in [client_for(StaffUserFactory()).get(url), editor_of(model).post(url, {}, format="json")]:
        assert response.status_code == 404
        assert error_of(response)["code"] == "not_found"
