"""A project's detail in one query (issue 7): the records attached to it come folded into the row as JSON,
and the answer is exactly the one the prefetched relations gave, value for value and in the same order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from api.projection import projection_of
from figures.models import Figure
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from projects.serializers import ProjectDetailSerializer, ProjectSerializer
from tests.factories import (
    CitationFactory,
    CompanyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)

# The article's records, loaded once for the module (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("article")]


@pytest.fixture
def reader() -> APIClient:
    """A signed-in reader: the detail with its follow-up log."""
    client = APIClient()
    client.force_authenticate(StaffUserFactory())
    return client


def prefetched(pk: int) -> Project:
    """The project as the detail read it before issue 7: every relation prefetched, nothing folded."""
    return (
        projection_of(ProjectSerializer)
        .queryset()
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.select_related("company", "citation__source").order_by("role", "id"),
            ),
            Prefetch(
                "milestones", queryset=Milestone.objects.select_related("citation__source").order_by("date", "id")
            ),
            Prefetch("funds_in_place", queryset=FundsInPlace.objects.select_related("citation__source")),
            Prefetch("figures", queryset=Figure.objects.select_related("citation__source")),
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("author")),
            Prefetch("component_projects", queryset=Project.objects.order_by("name", "id")),
        )
        .get(pk=pk)
    )


def rendered(project: Project) -> bytes:
    return JSONRenderer().render(ProjectDetailSerializer(project).data)


def everything_attached() -> Project:
    """A programme with two of each record, and the values that are easy to get wrong: decimals with trailing
    zeros, a negative percentage, timestamps with and without microseconds, nulls, a follow-up without author."""
    programme = ProjectFactory(kind=Project.Kind.PROGRAMME, planned_investment=Decimal("12.30"))
    citation = CitationFactory(quote='“引号” and a quote with "escapes" and a \\ backslash')
    ParticipantFactory(project=programme, share=Decimal("12.50"), citation=citation, note="第一")
    ParticipantFactory(project=programme, role=Participant.Role.LEAD_INVESTOR, company=CompanyFactory(name_zh="科伦"))
    MilestoneFactory(project=programme, stage=Project.Stage.SIGNED, date=dt.date(2024, 7, 1), citation=citation)
    MilestoneFactory(project=programme, stage=Project.Stage.LANDED, is_planned=True, date=dt.date(2025, 1, 31))
    FundsInPlaceFactory(project=programme, amount=Decimal("0.10"), citation=citation)
    FundsInPlaceFactory(project=programme, amount=Decimal("250000000.00"))
    FigureFactory(project=programme, value=Decimal("-3.2500"), unit=Figure.Unit.PERCENT, metric="growth")
    FigureFactory(project=programme, label="second", value=Decimal("99999999999999999999.9999"), citation=citation)
    FollowUpFactory(project=programme, author=StaffUserFactory(), next_step_due=None)
    FollowUpFactory(project=programme, author=None, happened_on=dt.date(2024, 8, 1), next_step_due=None)
    ProjectFactory(programme=programme, name="B component", name_zh="乙")
    ProjectFactory(programme=programme, name="A component")
    # A timestamp on the whole second (no microseconds) and one far from UTC's date.
    Participant.objects.filter(project=programme).update(created_at=dt.datetime(2024, 8, 1, 1, 30, tzinfo=dt.UTC))
    FollowUp.objects.filter(project=programme).update(
        updated_at=dt.datetime(2024, 12, 31, 23, 59, 59, 1, tzinfo=dt.UTC)
    )
    return programme


def test_the_detail_is_one_query(reader) -> None:
    programme = everything_attached()
    with CaptureQueriesContext(connection) as queries:
        response = reader.get(f"/api/v1/projects/{programme.slug}/")
    assert response.status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, statements
    assert len(response.json()["follow_ups"]) == 2


def test_every_seeded_project_reads_as_with_prefetched_relations() -> None:
    projects = list(Project.objects.order_by("id"))
    assert len(projects) >= 7
    for project in projects:
        folded = projection_of(ProjectDetailSerializer).queryset().get(pk=project.pk)
        assert rendered(folded) == rendered(prefetched(project.pk)), project.slug


def test_a_project_with_everything_attached_reads_as_with_prefetched_relations(reader) -> None:
    programme = everything_attached()
    folded = projection_of(ProjectDetailSerializer).queryset().get(pk=programme.pk)
    assert rendered(folded) == rendered(prefetched(programme.pk))
    # And the API serves exactly that.
    answer = reader.get(f"/api/v1/projects/{programme.pk}/")
    assert answer.content == rendered(prefetched(programme.pk))


def test_the_api_serves_every_seeded_project_as_the_serializers_write_it(reader) -> None:
    """A JSON detail is written by PostgreSQL (projects.selectors.project_detail_json): byte for byte the
    serializers' answer, timestamps in the request's time zone included."""
    for project in Project.objects.order_by("id"):
        answer = reader.get(f"/api/v1/projects/{project.slug}/")
        assert answer.content == rendered(prefetched(project.pk)), project.slug


def test_in_utc_the_timestamps_are_written_as_the_serializers_write_them(reader, settings) -> None:
    programme = everything_attached()
    settings.TIME_ZONE = "UTC"
    answer = reader.get(f"/api/v1/projects/{programme.pk}/")
    assert answer.content == rendered(prefetched(programme.pk))
    assert answer.json()["follow_ups"][0]["updated_at"] == "2024-12-31T23:59:59.000001Z"


def test_the_json_detail_is_written_by_postgresql_and_the_browsable_one_by_the_serializers(reader) -> None:
    programme = everything_attached()
    with CaptureQueriesContext(connection) as queries:
        answer = reader.get(f"/api/v1/projects/{programme.pk}/")
    (statement,) = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert "array_to_json" in statement
    assert answer.json()["participants"][0]["share"] == "12.50"

    page = reader.get(f"/api/v1/projects/{programme.pk}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "12.50" in page.content.decode()


def test_a_reader_who_is_not_signed_in_gets_no_follow_up_log(api_client) -> None:
    programme = everything_attached()
    answer = api_client.get(f"/api/v1/projects/{programme.pk}/").json()
    assert answer["follow_ups"] is None
    assert len(answer["milestones"]) == 2
