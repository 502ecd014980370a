"""The summaries' rollup (projects/migrations/0020, projects.rollup): the cells give the answers the projects give.

Every question the cells can answer is asked of both, over a tree of regions and industries with programmes,
bounds, amounts missing, other currencies and milestones in several years; then again after each kind of write
the triggers must follow (an amount, a milestone, an industry link, a programme's stated total, a project moved,
a region or an industry moved, a project deleted). After each write the cells are also what a rebuild from the
projects gives.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.http import QueryDict

from core.choices import DatePrecision, Qualifier
from industries.models import Industry
from projects.models import Milestone, Project, ProjectKind
from projects.rollup import summary_from_cells
from projects.selectors import GROUPINGS, project_summary
from projects.views import ProjectViewSet
from regions.models import Region
from tests.factories import (
    CityFactory,
    CountyFactory,
    IndustryFactory,
    MilestoneFactory,
    ProjectFactory,
    ProvinceFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

STAGE = Project.Stage


@pytest.fixture
def tree() -> dict:
    """Two provinces, cities, counties and a zone; two industry chains three levels deep; twelve projects."""
    east, west = ProvinceFactory(), ProvinceFactory()
    city, other_city = CityFactory(parent=east), CityFactory(parent=west)
    county, county_b = CountyFactory(parent=city), CountyFactory(parent=city)
    zone = ZoneFactory(parent=county)
    far = CountyFactory(parent=other_city)
    chain, other_chain = IndustryFactory(), IndustryFactory()
    link, other_link = IndustryFactory(parent=chain), IndustryFactory(parent=other_chain)
    leaf = IndustryFactory(parent=link)

    def project(region: Region, *industries: Industry, **fields) -> Project:
        made = ProjectFactory(region=region, **fields)
        made.industries.set(industries)
        return made

    programme = project(
        county, chain, kind=ProjectKind.PROGRAMME, planned_investment=Decimal("2950000000.00")
    )  # its stated total counts instead of its projects' amounts
    bounded = project(county, kind=ProjectKind.PROGRAMME, investment_qualifier=Qualifier.MORE_THAN)
    projects = [
        project(county, leaf, programme=programme, investment_qualifier=Qualifier.MORE_THAN),
        project(county, link, programme=programme),
        project(zone, leaf, chain, planned_investment=Decimal("12.50")),
        project(zone, other_link, planned_investment=None, investment_qualifier=""),
        project(county_b, planned_investment=Decimal("300.10"), currency="USD"),
        project(county_b, other_chain, investment_qualifier=Qualifier.ABOUT, programme=bounded),
        project(city, leaf, planned_investment=Decimal("7.00")),
        project(east, link, stage=STAGE.NEGOTIATING),
        project(far, chain, other_link, stage=STAGE.NEGOTIATING),
        project(west, planned_investment=Decimal("0.01")),
    ]
    for made, year in zip(projects, [2021, 2022, 2022, 2023, None, 2024, 2021, None, 2025, None], strict=True):
        if year is not None:
            MilestoneFactory(project=made, stage=STAGE.SIGNED, date=dt.date(year, 3, 1))
    MilestoneFactory(project=projects[0], stage=STAGE.SIGNED, date=dt.date(2026, 1, 1), is_planned=True)
    return {
        "regions": [east, west, city, other_city, county, county_b, zone, far],
        "industries": [chain, other_chain, link, other_link, leaf],
        "programme": programme,
        "projects": projects,
    }


def questions(tree: dict):
    """Every grouping under every filter the list offers of region, stage and industry, alone and together."""
    regions = [None, *tree["regions"]]
    industries = [None, *tree["industries"]]
    stages = [[], [STAGE.SIGNED], [STAGE.SIGNED, STAGE.NEGOTIATING]]
    for group_by, region, industry, stage in itertools.product(GROUPINGS, regions, industries, stages):
        query = QueryDict(mutable=True)
        query["group_by"] = group_by
        if region is not None:
            query["region"] = region.code
        if industry is not None:
            query["industry"] = industry.code
        query.setlist("stage", stage)
        yield group_by, query


def assert_cells_agree(tree: dict) -> int:
    """Each answer the cells give is the projects' answer; returns how many they gave."""
    answered = 0
    for group_by, query in questions(tree):
        filterset = ProjectViewSet.filterset_class(query, queryset=Project.objects.all())
        assert filterset.is_valid(), filterset.errors
        filters = filterset.form.cleaned_data
        from_cells = summary_from_cells(group_by, filters)
        if from_cells is None:
            continue
        answered += 1
        from_projects = project_summary(
            filterset.qs, group_by=group_by, region=filters.get("region"), industry=filters.get("industry")
        )
        assert from_cells == from_projects, query.urlencode()
    assert_cells_as_rebuilt()
    return answered


def assert_cells_as_rebuilt() -> None:
    """The cells the triggers kept are those a rebuild from the projects writes (a group left empty aside)."""
    columns = "grain, region_cell, stage, year, code, direct, members, n, total, bounds, without"
    rebuilt = """
        SELECT k.grain, k.region_cell, f.stage, f.year, k.code, k.direct,
            count(*), sum(f.n), sum(f.total), sum(f.bounds), sum(f.without)
        FROM projects_summary_facts(ARRAY(SELECT id FROM projects_project)) f,
            projects_summary_cells(f.region_cell, f.codes, f.direct_codes) k
        GROUP BY 1, 2, 3, 4, 5, 6
    """
    kept = f"SELECT {columns} FROM projects_summary_cell WHERE members <> 0"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"({kept} EXCEPT {rebuilt}) UNION ALL ({rebuilt} EXCEPT {kept})")
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM projects_summary_cell"
            " WHERE members = 0 AND (n, total, bounds, without) <> (0, 0, 0, 0)"
        )
        assert cursor.fetchone() == (0,)


def test_the_cells_answer_the_broad_questions_as_the_projects_do(tree):
    # Without a region or at a province or a city, and by industry without a region: 87 of the 648 questions
    # here, and most of those users send (the rest read few projects).
    assert assert_cells_agree(tree) == 87


def test_the_cells_follow_every_kind_of_write(tree):
    first, second, third = tree["projects"][:3]
    east, west, city, other_city, _county, county_b, zone, far = tree["regions"]
    _chain, other_chain, link, _other_link, leaf = tree["industries"]

    Project.objects.filter(pk=third.pk).update(planned_investment=Decimal("99.90"), currency="EUR")
    assert_cells_agree(tree)

    MilestoneFactory(project=second, stage=STAGE.LANDED, date=dt.date(2027, 5, 1))
    Milestone.objects.filter(project=first, is_planned=False).delete()
    assert_cells_agree(tree)

    second.industries.add(other_chain)
    third.industries.remove(leaf)
    assert_cells_agree(tree)

    programme = tree["programme"]
    programme.investment_qualifier = Qualifier.AT_LEAST  # its projects' amounts count again
    programme.save()
    assert_cells_agree(tree)

    first.region = far
    first.save()
    assert_cells_agree(tree)

    zone.parent = county_b  # the zone's projects follow it
    zone.save()
    city.parent = west  # a city with its counties moves to the other province
    city.save()
    county_b.parent = other_city  # a county to another city
    county_b.save()
    assert_cells_agree(tree)

    link.parent = other_chain
    link.save()
    assert_cells_agree(tree)

    tree["projects"][-1].delete()
    ProjectFactory(region=east, planned_investment=Decimal("5.55"), investment_qualifier=Qualifier.LESS_THAN)
    assert_cells_agree(tree)


def test_a_question_the_cells_cannot_answer_goes_to_the_projects(tree):
    county = tree["regions"][4]
    deep = ProjectViewSet.filterset_class(
        QueryDict(f"region={county.code}&min_investment=1"), queryset=Project.objects.all()
    )
    assert deep.is_valid()
    assert summary_from_cells("status", deep.form.cleaned_data) is None
    county_only = ProjectViewSet.filterset_class(QueryDict(f"region={county.code}"), queryset=Project.objects.all())
    assert county_only.is_valid()
    assert summary_from_cells("status", county_only.form.cleaned_data) is None  # below the cells' second level


def test_a_rebuild_by_hand_raises_the_data_generation(tree):
    # After a load with the triggers off (bench.generate), the rebuild must not leave summaries kept from before.
    with connection.cursor() as cursor:
        cursor.execute("SELECT n FROM core_datageneration WHERE id = 1")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT projects_rebuild_summary()")
        cursor.execute("SELECT n FROM core_datageneration WHERE id = 1")
        assert cursor.fetchone() == (before + 1,)
    assert_cells_as_rebuilt()


@pytest.mark.django_db(transaction=True)
def test_emptying_the_tables_at_once_empties_the_cells():
    # The test runner's flush and a reload TRUNCATE the tables: no statement trigger of rows fires for that.
    ProjectFactory(planned_investment=Decimal("1.00"))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE projects_project CASCADE")
        cursor.execute(
            "SELECT (SELECT count(*) FROM projects_summary_fact), (SELECT count(*) FROM projects_summary_cell)"
        )
        assert cursor.fetchone() == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_writers_at_the_same_time_leave_the_cells_as_a_rebuild_gives():
    # Writers of the same cells wait for each other (the data generation row, then the rollup's lock), so none
    # adds to the cells from a snapshot that misses another's committed change. Each transaction writes one
    # project: two transactions that each lock a project and then want the other's can deadlock on the data
    # generation row whatever the rollup does (PostgreSQL then cancels one).
    region = CountyFactory()
    projects = [ProjectFactory(region=region, planned_investment=Decimal("1.00")) for _ in range(6)]
    ids = [p.pk for p in projects]
    failures: list[BaseException] = []

    def writer(seed: int) -> None:
        try:
            for step in range(15):
                with transaction.atomic():
                    chosen = ids[(seed + step) % len(ids)]
                    Project.objects.filter(pk=chosen).update(planned_investment=Decimal(f"{seed}{step}.50"))
                    if step % 3 == 0:
                        signed = Milestone(
                            project_id=chosen,
                            stage=STAGE.SIGNED,
                            date=dt.date(2020 + step % 5, 1, 1),
                            date_precision=DatePrecision.DAY,
                        )
                        # Another writer may have signed it first: one actual milestone per stage.
                        Milestone.objects.bulk_create([signed], ignore_conflicts=True)
                    elif step % 3 == 1:
                        Milestone.objects.filter(project_id=chosen).delete()
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert_cells_as_rebuilt()
