"""The national project code (项目代码) and the investment statistics (纳统), issue 23 item 2: the code's form,
year-month and region are checked, it is unique (in validation and in the database), and `fai_eligible` and the
待入库 filter say which projects the statistics should take in."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import Qualifier
from projects.models import Project, Stage
from tests.contract import SAVEPOINT, client_for, error_of, staff_user
from tests.factories import CityFactory, CountyFactory, DistrictFactory, MilestoneFactory, ProjectFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def year_month(months_from_now: int = 0) -> str:
    """The code's time segment (YYMM) of this month, or of a month before or after it."""
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 + months_from_now
    return f"{index // 12 % 100:02d}{index % 12 + 1:02d}"


def full_width(text: str) -> str:
    """The text in full-width digits and hyphens, as a Chinese input method types them."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


def code(region: str, time: str = "2111", serial: str = "342068") -> str:
    return f"{time}-{region}-04-01-{serial}"


@pytest.fixture
def lishui():
    """Lishui City with Longquan (a county-level city) and Liandu District beside it, and a zone in Liandu."""
    city = CityFactory(code="331100", name="Lishui City", parent__code="330000")
    longquan = CountyFactory(code="331181", name="Longquan City", parent=city)
    liandu = DistrictFactory(code="331102", name="Liandu District", parent=city)
    zone = ZoneFactory(code="331102-BQ", name="Baiqiao Block", parent=liandu)
    return {"city": city, "longquan": longquan, "liandu": liandu, "zone": zone}


@pytest.fixture
def editor():
    return client_for(staff_user(Project, "add", "change"))


def post(client, region, **fields):
    payload = {"name": "Health food project", "region": region.code, **fields}
    return client.post("/api/v1/projects/", payload, format="json")


def field_error(response, field="national_code") -> str:
    assert response.status_code == 400, response.content[:500]
    return error_of(response)["fields"][field][0]["message"]


#
# The code
#


def test_a_valid_code_of_the_projects_region_is_accepted_and_read_back(editor, lishui):
    response = post(editor, lishui["longquan"], national_code=code("331181"))

    assert response.status_code == 201, response.json()
    assert response.json()["national_code"] == "2111-331181-04-01-342068"
    assert Project.objects.get().national_code == "2111-331181-04-01-342068"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2019-331181-47-01-012345", "2019-331181-47-01-012345"),  # the platform's first scheme: the year
        ("211133118104013420 68".replace(" ", ""), "2111-331181-04-01-342068"),  # without hyphens
        (full_width("2111-331181-04-01-342068"), "2111-331181-04-01-342068"),  # as a Chinese input method types it
    ],
    ids=["first-scheme-year", "no-hyphens", "full-width"],
)
def test_codes_as_real_ones_are_written_are_accepted_and_stored_with_hyphens(editor, lishui, typed, stored):
    response = post(editor, lishui["longquan"], national_code=typed)

    assert response.status_code == 201, response.json()
    assert Project.objects.get().national_code == stored


def test_a_code_of_this_month_is_accepted(editor, lishui):
    response = post(editor, lishui["longquan"], national_code=code("331181", time=year_month()))

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    "typed",
    [
        "2111-331181-04-01-34206",  # a digit short
        "2111-331181-04-01-3420689",  # a digit long
        "2111-331181-0401-342068",  # a segment missing
        "211-1331181-04-01-342068",  # segments cut in the wrong places
        "2111-331181-04-01-34206X",  # a letter where every published code has a digit
        "2111-031181-04-01-342068",  # no GB/T 2260 code starts with 0
        "abcd-331181-04-01-342068",
    ],
)
def test_a_code_with_wrong_segments_is_refused_on_its_field(editor, lishui, typed):
    response = post(editor, lishui["longquan"], national_code=typed)

    # The model's message, or the field's own for a code too long to read (at most 24 characters).
    assert "24 characters" in field_error(response)
    assert not Project.objects.exists()


def test_a_code_from_a_future_month_is_refused(editor, lishui):
    response = post(editor, lishui["longquan"], national_code=code("331181", time=year_month(1)))

    assert "is in the future" in field_error(response)


@pytest.mark.parametrize("time", ["2113", "2100", "1905", "2013", "2021"])
def test_a_time_segment_that_is_neither_a_year_month_nor_a_first_scheme_year_is_refused(editor, lishui, time):
    response = post(editor, lishui["longquan"], national_code=code("331181", time=time))

    assert "neither a year-month" in field_error(response)


def test_a_code_naming_a_region_nobody_knows_is_refused(editor, lishui):
    response = post(editor, lishui["longquan"], national_code=code("331199"))

    assert "No region has the code 331199" in field_error(response)


@pytest.mark.parametrize(
    ("project_region", "code_region"),
    [("longquan", "331100"), ("zone", "331102"), ("zone", "331100"), ("city", "331181")],
    ids=["city-above", "district-above-zone", "city-above-zone", "county-below-city"],
)
def test_a_code_naming_a_region_above_or_below_the_projects_own_is_accepted(
    editor, lishui, project_region, code_region
):
    response = post(editor, lishui[project_region], national_code=code(code_region))

    assert response.status_code == 201, response.json()


def test_a_code_naming_a_region_off_the_projects_branch_is_refused(editor, lishui):
    response = post(editor, lishui["longquan"], national_code=code("331102"))

    assert "not on the branch" in field_error(response)


def test_moving_a_project_off_its_codes_branch_is_refused(editor, lishui):
    project = ProjectFactory(region=lishui["longquan"], national_code=code("331181"))

    url = f"/api/v1/projects/{project.pk}/"
    response = editor.patch(url, {"region": "331102"}, format="json", HTTP_IF_MATCH=editor.get(url)["ETag"])

    assert "not on the branch" in field_error(response)


def test_a_code_another_project_has_is_refused_on_its_field(editor, lishui):
    ProjectFactory(region=lishui["longquan"], national_code=code("331181"))

    response = post(editor, lishui["longquan"], national_code=code("331181"))

    assert field_error(response) == "Another project already has this national project code."
    assert Project.objects.count() == 1


def test_the_database_keeps_the_code_unique_when_two_writes_pass_validation_together(editor, lishui, monkeypatch):
    ProjectFactory(region=lishui["longquan"], national_code=code("331181"))
    # The other write commits between this one's validation and its insert: validation saw no duplicate.
    monkeypatch.setattr(Project, "validate_constraints", lambda self, exclude=None, using=None: None)

    response = post(editor, lishui["longquan"], national_code=code("331181"))

    # A key taken meanwhile is a conflict (api.errors): the constraint's own message, never a 500.
    assert response.status_code == 409, response.content[:500]
    assert error_of(response) == {
        "code": "unique",
        "message": "Another project already has this national project code.",
    }
    assert Project.objects.count() == 1


@pytest.mark.parametrize("typed", ["", "2111-331181", "2111-331181-04-01-34206X", "2111-331181-04-01-34206 "])
def test_the_database_refuses_a_malformed_code_that_bypasses_validation(lishui, typed):
    project = ProjectFactory(region=lishui["longquan"])

    with pytest.raises(IntegrityError, match="projects_project_national_code_format"), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(national_code=typed)
    with (
        pytest.raises(IntegrityError, match="projects_project_national_code_format"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE projects_project SET national_code = %s WHERE id = %s", [typed, project.pk])


def test_an_empty_code_is_unknown_and_any_number_of_projects_may_lack_one(editor, lishui):
    ProjectFactory(region=lishui["longquan"], national_code=None)

    response = post(editor, lishui["longquan"], national_code="")

    assert response.status_code == 201, response.json()
    assert response.json()["national_code"] is None
    assert list(Project.objects.values_list("national_code", flat=True)) == [None, None]


def test_the_list_finds_a_project_by_its_code_as_typed(lishui):
    project = ProjectFactory(region=lishui["longquan"], national_code=code("331181"))
    ProjectFactory(region=lishui["longquan"], national_code=code("331181", serial="342069"))

    rows = client_for().get("/api/v1/projects/?national_code=211133118104013420 68".replace(" ", "")).json()

    assert [row["id"] for row in rows["results"]] == [project.pk]


#
# The investment statistics (纳统)
#


def started(project: Project, stage: str = Stage.CONSTRUCTION_STARTED, planned: bool = False) -> Project:
    MilestoneFactory(project=project, stage=stage, date=dt.date(2025, 3, 1), is_planned=planned)
    return project


def eligible(project: Project) -> bool:
    return client_for().get(f"/api/v1/projects/{project.pk}/").json()["fai_eligible"]


@pytest.mark.parametrize(
    ("amount", "qualifier", "expected"),
    [
        ("5000000.00", Qualifier.EXACT, True),
        ("4999999.99", Qualifier.EXACT, False),
        ("5000000.00", Qualifier.ABOUT, True),
        ("5000000.00", Qualifier.MORE_THAN, True),  # a lower bound at the threshold proves it
        ("5000000.00", Qualifier.AT_LEAST, True),
        ("4000000.00", Qualifier.MORE_THAN, False),  # a lower bound below it proves nothing
        ("8000000.00", Qualifier.LESS_THAN, False),  # an upper bound never proves it
    ],
)
def test_a_started_project_is_eligible_when_its_plan_shows_at_least_five_million_yuan(
    lishui, amount, qualifier, expected
):
    project = ProjectFactory(
        region=lishui["longquan"], planned_investment=Decimal(amount), investment_qualifier=qualifier
    )

    assert eligible(started(project)) is expected


def test_a_project_without_an_amount_or_in_another_currency_is_not_eligible(lishui):
    no_amount = ProjectFactory(region=lishui["longquan"], planned_investment=None, investment_qualifier="")
    dollars = ProjectFactory(region=lishui["longquan"], planned_investment=Decimal("9000000.00"), currency="USD")

    assert [eligible(started(no_amount)), eligible(started(dollars))] == [False, False]


def test_a_project_that_has_not_started_is_not_eligible_however_large(lishui):
    signed = ProjectFactory(region=lishui["longquan"], planned_investment=Decimal("2000000000.00"))
    started(signed, stage=Stage.SIGNED)
    planned_start = started(ProjectFactory(region=lishui["longquan"]), planned=True)

    assert [eligible(signed), eligible(planned_start)] == [False, False]


def test_a_project_in_production_has_started_even_without_a_recorded_start(lishui):
    project = started(ProjectFactory(region=lishui["longquan"]), stage=Stage.IN_PRODUCTION)

    assert eligible(project) is True


def test_a_registration_day_in_the_future_is_refused(editor, lishui):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = post(editor, lishui["longquan"], fai_registered_at=tomorrow.isoformat())

    assert "future day" in field_error(response, "fai_registered_at")


@pytest.fixture
def statistics(lishui):
    """One project of each kind: eligible and entered, eligible and pending (two), too small, not started."""
    county = lishui["longquan"]
    return {
        "entered": started(ProjectFactory(region=county, fai_registered_at=dt.date(2025, 4, 30))),
        "pending": started(ProjectFactory(region=county)),
        "pending_too": started(ProjectFactory(region=county), stage=Stage.AT_CAPACITY),
        "small": started(ProjectFactory(region=county, planned_investment=Decimal("4999999.99"))),
        "not_started": ProjectFactory(region=county),
    }


def listed(query: str) -> set[int]:
    response = client_for().get(f"/api/v1/projects/?{query}&page_size=100")
    assert response.status_code == 200, response.content[:500]
    return {row["id"] for row in response.json()["results"]}


def ids(projects: dict[str, Project], *names: str) -> set[int]:
    return {projects[name].pk for name in names}


def test_the_pending_filter_lists_exactly_the_eligible_projects_not_yet_entered(statistics):
    assert listed("fai_pending=true") == ids(statistics, "pending", "pending_too")
    assert listed("fai_pending=false") == ids(statistics, "entered", "small", "not_started")


def test_the_eligible_and_registered_filters_split_the_list_as_they_say(statistics):
    assert listed("fai_eligible=true") == ids(statistics, "entered", "pending", "pending_too")
    assert listed("fai_eligible=false") == ids(statistics, "small", "not_started")
    assert listed("fai_registered=true") == ids(statistics, "entered")
    assert listed("fai_eligible=true&fai_registered=false") == listed("fai_pending=true")


def test_the_summary_counts_the_pending_projects_and_drops_one_once_it_is_entered(statistics):
    def pending_count() -> int:
        response = client_for().get("/api/v1/projects/summary/?group_by=status&fai_pending=true")
        assert response.status_code == 200, response.content[:500]
        return response.json()["totals"]["project_count"]

    assert pending_count() == 2
    Project.objects.filter(pk=statistics["pending"].pk).update(fai_registered_at=dt.date(2025, 5, 31))
    assert pending_count() == 1


def test_a_statistics_filter_that_is_not_true_or_false_is_a_400():
    response = client_for().get("/api/v1/projects/?fai_pending=perhaps")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["fai_pending"]


def list_queries(url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client_for().get(url)
    assert response.status_code == 200, response.content[:500]
    return len([query for query in queries.captured_queries if not SAVEPOINT.match(query["sql"])])


def test_the_pending_list_costs_the_same_queries_for_one_and_ten_projects(lishui):
    started(ProjectFactory(region=lishui["longquan"], national_code=code("331181")))
    one = list_queries("/api/v1/projects/?fai_pending=true&fai_eligible=true")
    for serial in range(10):
        started(ProjectFactory(region=lishui["longquan"], national_code=code("331181", serial=f"4{serial:05d}")))

    ten = list_queries("/api/v1/projects/?fai_pending=true&fai_eligible=true")

    assert ten == one


#
# The admin
#


def test_the_admin_form_shows_the_code_and_the_statistics_date_in_chinese(admin_client, lishui):
    project = ProjectFactory(region=lishui["longquan"], national_code=code("331181"))

    page = admin_client.get(
        reverse("admin:projects_project_change", args=[project.pk]), headers={"accept-language": "zh-hans"}
    ).content.decode()

    for label in ("固定资产投资统计（纳统）", "项目代码", "纳统入库日期", "2111-331181-04-01-342068"):  # noqa: RUF001
        assert label in page, label


def test_the_admins_pending_filter_lists_exactly_the_projects_to_enter(admin_client, statistics):
    response = admin_client.get(reverse("admin:projects_project_changelist") + "?fai=pending")

    assert {project.pk for project in response.context["cl"].result_list} == ids(statistics, "pending", "pending_too")


def test_the_admin_form_refuses_a_code_off_the_projects_branch_on_its_field(admin_client, lishui):
    project = ProjectFactory(region=lishui["longquan"])
    url = reverse("admin:projects_project_change", args=[project.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data |= {"region": lishui["longquan"].pk, "national_code": code("331102"), "_save": "Save"}
    for prefix in ("participants", "milestones", "funds_in_place", "figures", "follow_ups"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}

    response = admin_client.post(url, data)

    assert "not on the branch" in str(response.context["adminform"].form.errors["national_code"])
