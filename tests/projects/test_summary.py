"""Project summaries (issue 4, point 7): totals per region, industry, stage or year, under the list's filters.

A dashboard wants the same rows whatever the data: grouped by region or industry, the summary has a
row for every direct child of the region or industry asked for, in code order, with zeros where
nothing was recorded yet, so a county without projects shows as 0 rather than going missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

from accounts.roles import GROUP_NAMES, Role
from core.seed import seed_load
from industries.models import Industry
from projects.models import Project
from projects.selectors import GROUPINGS
from regions.models import Region
from tests.contract import client_for, error_of
from tests.factories import CityFactory, CountyFactory, MilestoneFactory, ProjectFactory, StaffUserFactory

SUMMARY = "/api/v1/projects/summary/"
LISHUI_CHILDREN = [
    "331100-HTZ", "331102", "331121", "331122", "331123", "331124", "331125", "331126", "331127", "331181",
]  # fmt: skip


@pytest.fixture(scope="class")
def article(django_db_setup, django_db_blocker):
    """The article's records, loaded once for the class (each test rolls back its own changes) and removed after."""
    with django_db_blocker.unblock(), transaction.atomic():
        seed_load()
        yield
        transaction.set_rollback(True)


def summary(query: str) -> dict:
    response = client_for().get(f"{SUMMARY}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def rows(query: str) -> dict[str | None, dict]:
    """The rows of a summary by key, checking that no key comes twice."""
    answer = summary(query)["rows"]
    assert len({row["key"] for row in answer}) == len(answer), answer
    return {row["key"]: row for row in answer}


def figures(row: dict) -> tuple[int, str, bool, int]:
    return row["project_count"], row["total_investment"], row["includes_bounds"], row["projects_without_amount"]


ZERO = (0, "0.00", False, 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("article")
class TestTheArticlesProjects:
    # --- by region ------------------------------------------------------------------------------------------------

    def test_by_region_there_is_a_row_for_every_child_of_the_region_in_code_order(self) -> None:
        answer = summary("region=331100&group_by=region")
        assert [row["key"] for row in answer["rows"]] == LISHUI_CHILDREN
        assert answer["parent"] == {"code": "331100", "name": "Lishui City"}
        assert answer["group_by"] == "region"

    def test_longquan_totals_the_kelun_project_exactly(self) -> None:
        longquan = rows("region=331100&group_by=region")["331181"]
        assert longquan["label"] == "Longquan City"
        assert figures(longquan) == (1, "2000000000.00", False, 0)
        assert longquan["currency"] == "CNY"

    def test_liandu_totals_the_baiqiao_block_at_the_articles_stated_total(self) -> None:
        # "two projects with investments exceeding one billion RMB, totaling 2.95 billion" (L13): the programme's
        # exact total stands for its two projects' bounds, never added on top of them (projects.models.
        # counts_in_totals); the two are still the projects counted.
        assert figures(rows("region=331100&group_by=region")["331102"]) == (2, "2950000000.00", False, 0)

    def test_children_without_projects_have_a_row_of_zeros(self) -> None:
        by_code = rows("region=331100&group_by=region")
        assert figures(by_code["331122"]) == ZERO  # Jinyun: nothing recorded
        assert figures(by_code["331121"]) == ZERO  # Qingtian: only a programme, with no amount the article gives
        assert figures(by_code["331100-HTZ"]) == ZERO

    def test_the_totals_count_every_project_once(self) -> None:
        totals = summary("region=331100&group_by=region")["totals"]
        assert figures(totals) == (3, "4950000000.00", False, 0)
        assert totals["key"] is None

    def test_money_totals_are_decimal_strings_with_two_places(self) -> None:
        answer = summary("region=331100&group_by=region")
        for row in [*answer["rows"], answer["totals"]]:
            assert isinstance(row["total_investment"], str)
            assert Decimal(row["total_investment"]).as_tuple().exponent == -2

    def test_a_child_sums_its_whole_subtree(self) -> None:
        liandu = Region.objects.get(code="331102")
        ProjectFactory(region=liandu, planned_investment=Decimal("300000000.00"))
        assert figures(rows("region=331100&group_by=region")["331102"]) == (3, "3250000000.00", False, 0)
        assert figures(rows("region=331102&group_by=region")["331102-BQ"]) == (2, "2950000000.00", False, 0)

    def test_projects_placed_on_the_region_itself_get_a_row_of_their_own_first(self) -> None:
        ProjectFactory(region=Region.objects.get(code="331100"), planned_investment=None, investment_qualifier="")
        answer = summary("region=331100&group_by=region")
        assert [row["key"] for row in answer["rows"]] == ["331100", *LISHUI_CHILDREN]
        assert answer["rows"][0]["label"] == "Lishui City (directly)"
        assert figures(answer["rows"][0]) == (1, "0.00", False, 1)

    def test_a_region_without_children_gives_only_its_own_row(self) -> None:
        answer = summary("region=331181&group_by=region")
        assert [(row["key"], row["project_count"]) for row in answer["rows"]] == [("331181", 1)]

    def test_without_a_region_the_rows_are_the_top_level_regions(self) -> None:
        answer = summary("group_by=region")
        assert [row["key"] for row in answer["rows"]] == ["CN"]
        assert answer["parent"] is None
        assert figures(answer["rows"][0]) == figures(answer["totals"]) == (3, "4950000000.00", False, 0)

    # --- by industry ------------------------------------------------------------------------------------------------

    def test_by_industry_there_is_a_row_for_every_top_level_industry_in_code_order(self) -> None:
        tops = list(Industry.objects.filter(parent=None).order_by("code").values_list("code", flat=True))
        answer = summary("group_by=industry")
        assert [row["key"] for row in answer["rows"]] == tops
        by_code = {row["key"]: row for row in answer["rows"]}
        assert figures(by_code["C"]) == (1, "2000000000.00", False, 0)  # Kelun, filed under C27 and C14: once
        assert figures(by_code["CHAIN-BEAUTY-HEALTH"]) == (2, "2950000000.00", False, 0)
        assert figures(by_code["CHAIN-SEMICONDUCTOR"]) == ZERO  # a programme only
        assert figures(answer["totals"]) == (3, "4950000000.00", False, 0)

    def test_under_an_industry_each_child_counts_a_project_once(self) -> None:
        chip = ProjectFactory(region=Region.objects.get(code="331102"))
        chip.industries.set(Industry.objects.filter(code__in=["C3972", "C3973", "CHAIN-SEMICONDUCTOR"]))
        answer = summary("industry=C&group_by=industry")
        assert answer["parent"] == {"code": "C", "name": "Manufacturing"}
        by_code = {row["key"]: row for row in answer["rows"]}
        assert list(by_code) == ["C14", "C27", "C38", "C39"]
        assert by_code["C14"]["project_count"] == by_code["C27"]["project_count"] == 1  # Kelun, in both
        assert by_code["C39"]["project_count"] == 1  # two semiconductor classes, one project
        assert figures(by_code["C38"]) == ZERO
        assert summary("industry=C&group_by=industry")["totals"]["project_count"] == 2

    def test_under_an_industry_its_other_industries_do_not_make_a_project_unfiled(self) -> None:
        # Kelun is also filed under an industry chain outside C: that is no reason for a "no industry" row.
        assert None not in rows("industry=C&group_by=industry")

    def test_projects_filed_under_the_industry_itself_get_a_row_of_their_own(self) -> None:
        project = ProjectFactory(region=Region.objects.get(code="331121"))
        project.industries.set([Industry.objects.get(code="CHAIN-AI")])
        answer = summary("industry=CHAIN-AI&group_by=industry")["rows"]
        assert [(row["key"], row["label"], row["project_count"]) for row in answer] == [
            ("CHAIN-AI", "Artificial intelligence (directly)", 1),
            ("CHAIN-METAVERSE", "Metaverse", 0),
        ]

    def test_projects_filed_under_no_industry_get_a_last_row_with_no_key(self) -> None:
        ProjectFactory(region=Region.objects.get(code="331124"), planned_investment=Decimal("5.00"))
        answer = summary("group_by=industry")["rows"]
        assert (answer[-1]["key"], answer[-1]["label"]) == (None, "no industry recorded")
        assert figures(answer[-1]) == (1, "5.00", False, 0)

    # --- by status and by year --------------------------------------------------------------------------------------

    def test_by_status_there_is_a_row_for_every_stage_in_funnel_order(self) -> None:
        answer = summary("group_by=status")["rows"]
        assert [row["key"] for row in answer] == list(Project.Stage.values)
        by_stage = {row["key"]: row for row in answer}
        assert figures(by_stage["signed"]) == (2, "2950000000.00", False, 0)
        assert figures(by_stage["landed"]) == (1, "2000000000.00", False, 0)
        assert figures(by_stage["in_production"]) == ZERO  # the clusters are programmes
        assert by_stage["landed"]["label"] == str(Project.Stage.LANDED.label)

    def test_by_year_a_project_counts_in_the_year_of_its_latest_actual_milestone(self) -> None:
        project = MilestoneFactory(stage="signed", date=dt.date(2023, 5, 1)).project
        MilestoneFactory(project=project, stage="landed", date=dt.date(2025, 2, 1))
        MilestoneFactory(project=project, stage="construction_started", date=dt.date(2026, 1, 1), is_planned=True)
        answer = summary("group_by=year")["rows"]
        assert [(row["key"], row["project_count"]) for row in answer] == [("2024", 1), ("2025", 1), (None, 2)]
        assert answer[-1]["label"] == "no actual milestone"  # the Baiqiao projects: no date given

    # --- the list's filters -------------------------------------------------------------------------------------------

    def test_the_lists_filters_apply(self) -> None:
        by_code = rows("region=331100&group_by=region&stage=landed")
        assert figures(by_code["331181"]) == (1, "2000000000.00", False, 0)
        assert figures(by_code["331102"]) == ZERO
        assert list(by_code) == LISHUI_CHILDREN  # still every county
        assert summary("group_by=status&search=Kolen")["totals"]["project_count"] == 1
        assert summary("group_by=status&has_investment=false")["totals"]["project_count"] == 0
        assert summary("group_by=region&region=331100&industry=CHAIN-BEAUTY-HEALTH")["totals"]["project_count"] == 2

    def test_summary_and_list_agree_on_what_the_filters_select(self) -> None:
        query = "region=331100&min_investment=1500000000&kind=project"
        listed = client_for().get(f"/api/v1/projects/?{query}").json()["results"]
        totals = summary(f"{query}&group_by=status")["totals"]
        assert totals["project_count"] == len(listed) == 1
        assert Decimal(totals["total_investment"]) == sum(Decimal(row["planned_investment"]) for row in listed)

    def test_a_programme_adds_its_stated_total_and_is_never_counted_as_a_project(self) -> None:
        assert figures(summary("group_by=status&kind=programme")["totals"]) == (0, "2950000000.00", False, 0)
        # Its projects without it: their amounts are known only as its total, which this set leaves out.
        baiqiao = summary("group_by=status&programme=baiqiao-beautiful-healthy-projects")["totals"]
        assert figures(baiqiao) == (2, "0.00", False, 0)

    # --- errors -------------------------------------------------------------------------------------------------------

    @pytest.mark.parametrize("query", ["", "group_by=", "group_by=county", "group_by=REGION", "region=331100"])
    def test_a_missing_or_unknown_group_by_is_refused_naming_group_by(self, query) -> None:
        response = client_for().get(f"{SUMMARY}?{query}")
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == ["group_by"]

    @pytest.mark.parametrize(
        ("query", "parameter"),
        [
            ("region=339999", "region"),
            ("industry=NOPE", "industry"),
            ("stage=built", "stage"),
            ("min_investment=lots", "min_investment"),
            ("min_investment=2&max_investment=1", "max_investment"),
            ("milestone_after=2024-08-01&milestone_before=2024-07-01", "milestone_before"),
            ("has_investment=perhaps", "has_investment"),
        ],
    )
    def test_an_invalid_filter_is_refused_naming_it(self, query, parameter) -> None:
        response = client_for().get(f"{SUMMARY}?group_by=region&{query}")
        assert response.status_code == 400
        assert list(error_of(response)["fields"]) == [parameter]

    def test_the_openapi_document_describes_group_by(self) -> None:
        document = client_for().get("/api/schema/?format=json").json()
        operation = document["paths"][SUMMARY]["get"]
        group_by = next(p for p in operation["parameters"] if p["name"] == "group_by")
        assert group_by["required"] is True
        assert sorted(group_by["schema"]["enum"]) == sorted(GROUPINGS)
        assert "400" in operation["responses"]


@pytest.mark.django_db(transaction=True)
def test_a_summary_counts_a_project_as_soon_as_its_write_is_committed() -> None:
    assert not connection.in_atomic_block  # each request below commits on its own
    county = CountyFactory(parent=CityFactory())
    editor = StaffUserFactory()
    editor.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    client = client_for(editor)
    query = f"region={county.parent.code}&group_by=region"
    assert figures(summary(query)["totals"]) == ZERO

    created = client.post(
        "/api/v1/projects/",
        {
            "name": "Lishui health food park",
            "slug": "health-food-park",
            "region": county.code,
            "planned_investment": "1250000000.50",
            "investment_qualifier": "exact",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert figures(rows(query)[county.code]) == (1, "1250000000.50", False, 0)

    changed = client.patch(
        "/api/v1/projects/health-food-park/",
        {"planned_investment": "1000000000.00", "investment_qualifier": "more_than"},
        format="json",
        headers={"if-match": created["ETag"]},
    )
    assert changed.status_code == 200, changed.content
    assert figures(rows(query)[county.code]) == (1, "1000000000.00", True, 0)
