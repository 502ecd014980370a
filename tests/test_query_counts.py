"""Every list and detail endpoint costs the same number of SQL queries for 1 row as for 50.

An N+1 (a nested serializer without `select_related`/`prefetch_related`, a per-row count) shows up
here as a count that grows with the rows. The table below is the contract: one line per collection,
with the absolute count of its JSON list, its CSV export and one record (also in the test ids), so
that a new query is a visible decision rather than an accident. Rows are built with the related
data a real row has (issue 4 point 3; developers' guide, "guard query counts on every list endpoint").

A list page is one query, its bounded count included (api/pagination.py), plus one per prefetch;
a project's sub-resource adds the lookup of its project. A CSV export is one query (a server-side
cursor) plus its prefetches. Projects fold their to-many data into the row query (arrays and JSON from
correlated subqueries), so their list and detail are one query each, a region's detail too, and so do
companies their industry codes; the CSV exports of both keep the industries' prefetch per chunk (flat
memory, tests/test_csv.py). A filtered list reads the records its filters name (a region's code, a
company's slug) inside its one statement, and asks whether they exist only when it comes back empty.
A conditional GET answered 304 reads the version alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from api.pagination import MAX_PAGE_SIZE
from projects.models import Participant, Project, Stage
from tests.factories import (
    CitationFactory,
    CityFactory,
    CommitmentFactory,
    CommitmentObservationFactory,
    CompanyFactory,
    CountyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndicatorFactory,
    IndustryFactory,
    MilestoneFactory,
    ObservationFactory,
    ParticipantFactory,
    ProjectFactory,
    ProjectWarningFactory,
    SigningEventFactory,
    SigningEventProjectFactory,
    SourceFactory,
    StaffUserFactory,
    WarningRuleFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def follow_ups_readable_anonymously(settings):
    """Every collection is measured as an anonymous read, the follow-ups too: they are opened here
    (tests/reliability/test_anonymous_exposure.py covers who may read them)."""
    settings.API_ANONYMOUS_FOLLOW_UPS = True
    settings.API_ANONYMOUS_WARNINGS = True


MANY = 50
SAVEPOINT = re.compile(r"^(RELEASE |ROLLBACK TO )?SAVEPOINT ")
# The unique (project, stage, is_planned) constraint allows at most 18 milestones per project.
MILESTONE_KINDS = list(itertools.product(Stage.values, (False, True)))


class World:
    """The records that counted rows hang from, each made on first use."""

    def __init__(self) -> None:
        self.serial = itertools.count(1)

    def next(self) -> int:
        return next(self.serial)

    @cached_property
    def city(self):
        return CityFactory(name="Lishui")

    @cached_property
    def county(self):
        return CountyFactory(name="Longquan", parent=self.city)

    @cached_property
    def chain(self):
        return IndustryFactory(name="Semiconductors and integrated circuits")

    @cached_property
    def investor_city(self):
        return CityFactory(name="Chengdu")

    @cached_property
    def source(self):
        return SourceFactory()

    @cached_property
    def officer(self):
        return StaffUserFactory()

    @cached_property
    def group(self):
        return CompanyFactory(name="Sichuan Kelun Group")

    @cached_property
    def programme(self):
        return ProjectFactory(kind=Project.Kind.PROGRAMME, region=self.county)

    @cached_property
    def project(self):
        return ProjectFactory(region=self.county)

    @cached_property
    def indicator(self):
        return IndicatorFactory()

    @cached_property
    def commitment(self):
        return CommitmentFactory(project=self.project, citation=self.citation())

    def citation(self):
        return CitationFactory(source=self.source)


#
# Rows, each with the related data a real one has
#


def add_region(world: World):
    return CountyFactory(parent=world.city)


def add_industry(world: World):
    return IndustryFactory(parent=world.chain)


def add_company(world: World):
    company = CompanyFactory(
        headquarters=CountyFactory(parent=world.investor_city), parent=world.group, parent_citation=world.citation()
    )
    company.industries.set(IndustryFactory.create_batch(2))
    return company


def add_project(world: World):
    """A project of a programme, in its own county, under two industries, with a lead investor, an actual
    milestone and a figure, each cited; stages and years vary so that summaries have several rows."""
    n = world.next()
    project = ProjectFactory(
        region=CountyFactory(parent=world.city),
        programme=world.programme,
        investment_citation=world.citation(),
        tracked_by=world.officer,
    )
    project.industries.set(IndustryFactory.create_batch(2))
    ParticipantFactory(
        project=project, company=CompanyFactory(), role=Participant.Role.LEAD_INVESTOR, citation=world.citation()
    )
    MilestoneFactory(
        project=project, stage=Stage.values[n % 7], date=dt.date(2015 + n % 10, 7, 1), citation=world.citation()
    )
    FigureFactory(project=project, citation=world.citation())
    return project


def add_observation(world: World):
    return ObservationFactory(
        region=CountyFactory(parent=world.city), indicator=world.indicator, citation=world.citation()
    )


def add_indicator(world: World):
    indicator = IndicatorFactory()
    ObservationFactory(indicator=indicator, region=world.county, citation=world.citation())
    return indicator


def add_source(world: World):
    source = SourceFactory()
    CitationFactory.create_batch(2, source=source)
    return source


def add_citation(world: World):
    return CitationFactory()


def add_participant(world: World):
    return ParticipantFactory(project=world.project, company=CompanyFactory(), citation=world.citation())


def add_milestone(world: World, project=None):
    """The next (stage, planned) pair the project lacks; nothing once it has all 18."""
    project = project or world.project
    taken = project.milestones.count()
    if taken >= len(MILESTONE_KINDS):
        return None
    stage, planned = MILESTONE_KINDS[taken]
    return MilestoneFactory(
        project=project,
        stage=stage,
        is_planned=planned,
        date=dt.date(2020, 1, 1) + dt.timedelta(days=30 * taken),
        citation=world.citation(),
    )


def add_funds(world: World, project=None):
    return FundsInPlaceFactory(project=project or world.project, citation=world.citation())


def add_figure(world: World, project=None):
    return FigureFactory(
        project=project or world.project, label=f"product line {world.next()}", citation=world.citation()
    )


def add_follow_up(world: World, project=None):
    return FollowUpFactory(project=project or world.project, author=world.officer)


def add_warning(world: World):
    """A warning on a project of its own, tracked, snoozed by the officer: every related record a row shows."""
    project = ProjectFactory(region=CountyFactory(parent=world.city), tracked_by=world.officer)
    return ProjectWarningFactory(
        project=project, snoozed_until=dt.date(2099, 1, 1), snooze_reason="Board meets.", snoozed_by=world.officer
    )


def add_warning_rule(world: World):
    return WarningRuleFactory(region=CountyFactory(parent=world.city))


def add_signing_event(world: World):
    """An event of the city with a project signed at it."""
    return SigningEventProjectFactory(event__region=world.city, project__region=world.county).event


def bare_signing_event(world: World):
    return SigningEventFactory(region=world.city)


def grow_signing_event(world: World, event) -> None:
    SigningEventProjectFactory(event=event, project__region=world.county)


def add_commitment(world: World, project=None):
    """A promise due from a milestone of the project (the due date is resolved in the row's statement)."""
    return CommitmentFactory(
        project=project or world.project,
        due_on=None,
        due_offset_months=12,
        due_milestone=Stage.IN_PRODUCTION,
        citation=world.citation(),
    )


def add_commitment_observation(world: World):
    return CommitmentObservationFactory(
        commitment=world.commitment, period=str(1900 + world.next()), citation=world.citation()
    )


def add_verdicts(world: World):
    """A commitment of a project in its own county, with a year's tax reported: a verdict row or more."""
    commitment = CommitmentFactory(project=ProjectFactory(region=CountyFactory(parent=world.city)))
    CommitmentObservationFactory(commitment=commitment, period="2024", citation=world.citation())
    return commitment


#
# Records that other records hang from, and how one more child of each kind is added
#


def bare_project(world: World):
    return ProjectFactory(
        kind=Project.Kind.PROGRAMME,
        region=world.county,
        investment_citation=world.citation(),
        tracked_by=world.officer,
    )


def grow_project(world: World, project) -> None:
    ParticipantFactory(project=project, company=CompanyFactory(), citation=world.citation())
    add_milestone(world, project)
    add_funds(world, project)
    add_figure(world, project)
    add_follow_up(world, project)
    ProjectFactory(programme=project, region=world.county)
    project.industries.add(IndustryFactory())


def bare_company(world: World):
    return CompanyFactory(headquarters=world.county, parent=world.group, parent_citation=world.citation())


def grow_company(world: World, company) -> None:
    CompanyFactory(parent=company, headquarters=world.county)
    FigureFactory(project=None, company=company, label=f"plant {world.next()}", citation=world.citation())
    company.industries.add(IndustryFactory())
    ParticipantFactory(company=company, project=ProjectFactory(region=world.county))


def grow_indicator(world: World, indicator) -> None:
    ObservationFactory(indicator=indicator, region=world.county, period=str(1900 + world.next()))


def grow_observation(world: World, observation) -> None:
    ObservationFactory(indicator=observation.indicator, region=observation.region, period=str(1900 + world.next()))


def grow_region(world: World, region) -> None:
    ZoneFactory(parent=region)


def grow_industry(world: World, industry) -> None:
    IndustryFactory(parent=industry)


def bare_source(world: World):
    return SourceFactory()


def grow_source(world: World, source) -> None:
    CitationFactory(source=source)


@dataclass(frozen=True)
class Queries:
    """What a request costs: the JSON list, its CSV export, one record."""

    list: int
    csv: int
    detail: int


@dataclass(frozen=True)
class Collection:
    """One collection: where it lives, how to add a row, and what its requests cost."""

    name: str
    path: str  # `{project}` stands for the slug of the project a sub-resource belongs to
    key: str  # the attribute a record's address is built from
    add: Callable[[World], Any]
    queries: Queries
    # The record a detail request reads, and one more child of each kind for it; by default a row
    # of the collection, and one more row beside it.
    record: Callable[[World], Model] | None = None
    grow: Callable[[World, Any], Any] | None = None
    children: tuple[str, ...] = ()  # the lists of the detail that `grow` lengthens
    many: int = MANY  # rows the large list has

    def url(self, world: World) -> str:
        return self.path.format(project=world.project.slug) if "{project}" in self.path else self.path


PROJECT = "/api/v1/projects/{project}"
PROJECT_CHILDREN = (
    "participants", "milestones", "funds_in_place", "figures", "follow_ups", "component_projects", "industries",
)  # fmt: skip

# fmt: off
COLLECTIONS = [
    Collection("regions", "/api/v1/regions/", "code", add_region, Queries(list=1, csv=1, detail=1),
               record=add_region, grow=grow_region, children=("children",)),
    Collection("industries", "/api/v1/industries/", "code", add_industry, Queries(list=1, csv=1, detail=3),
               record=add_industry, grow=grow_industry, children=("children",)),
    Collection("companies", "/api/v1/companies/", "slug", add_company, Queries(list=1, csv=2, detail=3),
               record=bare_company, grow=grow_company, children=("subsidiaries", "figures", "industries")),
    Collection("projects", "/api/v1/projects/", "slug", add_project, Queries(list=1, csv=2, detail=1),
               record=bare_project, grow=grow_project, children=PROJECT_CHILDREN),
    Collection("indicators", "/api/v1/indicators/", "pk", add_observation, Queries(list=1, csv=1, detail=1),
               grow=grow_observation),
    Collection("indicator-definitions", "/api/v1/indicator-definitions/", "code", add_indicator,
               Queries(list=1, csv=1, detail=1), grow=grow_indicator),
    Collection("sources", "/api/v1/sources/", "slug", add_source, Queries(list=1, csv=1, detail=2),
               record=bare_source, grow=grow_source, children=("citations",)),
    Collection("citations", "/api/v1/citations/", "pk", add_citation, Queries(list=1, csv=1, detail=1)),
    Collection("participants", f"{PROJECT}/participants/", "pk", add_participant, Queries(list=1, csv=2, detail=2)),
    Collection("milestones", f"{PROJECT}/milestones/", "pk", add_milestone, Queries(list=1, csv=2, detail=2),
               many=len(MILESTONE_KINDS)),
    Collection("funds-in-place", f"{PROJECT}/funds-in-place/", "pk", add_funds, Queries(list=1, csv=2, detail=2)),
    Collection("figures", f"{PROJECT}/figures/", "pk", add_figure, Queries(list=1, csv=2, detail=2)),
    Collection("follow-ups", f"{PROJECT}/follow-ups/", "pk", add_follow_up, Queries(list=1, csv=2, detail=2)),
    Collection("warnings", "/api/v1/warnings/", "pk", add_warning, Queries(list=1, csv=1, detail=1)),
    Collection("warning-rules", "/api/v1/warning-rules/", "pk", add_warning_rule, Queries(list=1, csv=1, detail=1)),
    Collection("signing-events", "/api/v1/signing-events/", "pk", add_signing_event, Queries(list=1, csv=1, detail=2),
               record=bare_signing_event, grow=grow_signing_event, children=("projects",)),
    Collection("commitments", f"{PROJECT}/commitments/", "pk", add_commitment, Queries(list=1, csv=2, detail=2)),
    Collection("commitment-observations", f"{PROJECT}/commitment-observations/", "pk", add_commitment_observation,
               Queries(list=1, csv=2, detail=2)),
]
# fmt: on


LISTS = [
    param
    for c in COLLECTIONS
    for param in (
        pytest.param(c, "json", c.queries.list, id=f"{c.name}-{c.queries.list}q"),
        pytest.param(c, "csv", c.queries.csv, id=f"{c.name}.csv-{c.queries.csv}q"),
    )
]


#
# Measuring
#


@dataclass
class Measured:
    sql: list[str]
    body: Any

    @property
    def count(self) -> int:
        return len(self.sql)


def measure(client, url: str) -> Measured:
    """The queries one GET costs, a streamed body included, and the parsed body."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, content[:500]
    text = content.decode()
    body = list(csv.DictReader(io.StringIO(text))) if "format=csv" in url else response.json()
    # ATOMIC_REQUESTS wraps each request in a savepoint of the test's transaction: not a query the
    # request would send on its own connection.
    sql = [query["sql"] for query in queries.captured_queries]
    return Measured([statement for statement in sql if not SAVEPOINT.match(statement)], body)


def explain(**runs: Measured) -> str:
    """Each run's queries, numbered, so a failure shows which one repeats."""
    lines = []
    for label, run in runs.items():
        lines.append(f"{label}: {run.count} queries")
        lines.extend(f"  {n}. {sql}" for n, sql in enumerate(run.sql, start=1))
    return "\n".join(lines)


def rows_of(body: Any) -> int:
    """Rows a list holds: all of a CSV export, or the `count` of a JSON page."""
    return len(body) if isinstance(body, list) else body["count"]


#
# The contract
#


@pytest.mark.parametrize(("collection", "fmt", "expected"), LISTS)
def test_a_list_costs_the_same_queries_for_1_and_50_rows(api_client, collection, fmt, expected):
    world = World()
    url = collection.url(world) + ("?format=csv" if fmt == "csv" else "")
    collection.add(world)
    one = measure(api_client, url)
    for _ in range(collection.many - 1):
        collection.add(world)
    many = measure(api_client, url)

    assert rows_of(many.body) - rows_of(one.body) == collection.many - 1
    assert one.count == many.count, explain(one=one, many=many)
    assert many.count == expected, explain(many=many)


@pytest.mark.parametrize("collection", [pytest.param(c, id=f"{c.name}-{c.queries.detail}q") for c in COLLECTIONS])
def test_a_record_costs_the_same_queries_with_1_and_50_children(api_client, collection):
    world = World()
    record = (collection.record or collection.add)(world)
    grow = collection.grow or (lambda world, record: collection.add(world))
    url = f"{collection.url(world)}{getattr(record, collection.key)}/"
    grow(world, record)
    one = measure(api_client, url)
    for _ in range(MANY - 1):
        grow(world, record)
    many = measure(api_client, url)

    for name in collection.children:
        assert len(one.body[name]) == 1, name
        assert len(many.body[name]) > 1, name
    assert one.count == many.count, explain(one=one, many=many)
    assert many.count == collection.queries.detail, explain(many=many)


@pytest.mark.parametrize("collection", [pytest.param(c, id=c.name) for c in COLLECTIONS])
def test_a_page_of_500_rows_costs_the_same_queries_as_a_page_of_1(api_client, collection):
    world = World()
    url = collection.url(world)
    for _ in range(collection.many):
        collection.add(world)
    small = measure(api_client, f"{url}?page_size=1")
    large = measure(api_client, f"{url}?page_size={MAX_PAGE_SIZE}")

    assert len(small.body["results"]) == 1
    assert len(large.body["results"]) == large.body["count"] >= collection.many
    assert small.count == large.count, explain(page_of_1=small, page_of_500=large)


SUMMARIES = [
    # query: what the summary groups by; expected: the absolute count of a cache miss (the cache lookup,
    # the summary's one statement, the store; the filter's lookup of a region code is one more). A hit
    # is always 1 (projects/summary_cache.py).
    pytest.param("group_by=region", 3, id="region-miss-3q-hit-1q"),
    pytest.param("group_by=region&region={city}", 4, id="region-under-a-city-miss-4q-hit-1q"),
    pytest.param("group_by=industry", 3, id="industry-miss-3q-hit-1q"),
    pytest.param("group_by=status", 3, id="status-miss-3q-hit-1q"),
    pytest.param("group_by=year", 3, id="year-miss-3q-hit-1q"),
]


@pytest.mark.parametrize(("query", "expected"), SUMMARIES)
def test_a_summary_costs_the_same_queries_for_1_and_50_projects(api_client, query, expected):
    world = World()
    url = "/api/v1/projects/summary/?" + query.format(city=world.city.code)
    add_project(world)
    one = measure(api_client, url)
    for _ in range(MANY - 1):
        add_project(world)
    many = measure(api_client, url)  # a miss: the projects added since raised the data generation
    hit = measure(api_client, url)

    assert many.body["totals"]["project_count"] - one.body["totals"]["project_count"] == MANY - 1
    assert one.count == many.count, explain(one=one, many=many)
    assert many.count == expected, explain(many=many)
    assert hit.count == 1, explain(hit=hit)
    assert hit.body == many.body


@pytest.mark.parametrize("cohort", ["signed_year", "signed_quarter", "signing_event"])
def test_the_funnel_is_one_statement_for_1_and_50_projects(api_client, cohort):
    world = World()
    url = f"/api/v1/analytics/funnel/?cohort={cohort}&region={world.city.code}"
    add_signing_event(world)
    one = measure(api_client, url)
    for _ in range(MANY - 1):
        add_signing_event(world)
    many = measure(api_client, url)  # a miss: the events added since raised the data generation
    hit = measure(api_client, url)

    assert many.body["totals"]["signed"] - one.body["totals"]["signed"] == MANY - 1
    # A miss: the cache lookup, the region filter's lookup of its code, one statement (the same for every cohort),
    # the store. A hit: the lookup (projects/summary_cache.py).
    assert one.count == many.count == 4, explain(one=one, many=many)
    assert hit.count == 1, explain(hit=hit)
    assert hit.body == many.body


def measure_status(client, url: str, status: int, **headers) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == status, response.content[:500]
    return [q["sql"] for q in queries.captured_queries if not SAVEPOINT.match(q["sql"])]


@pytest.mark.parametrize(
    ("collection", "url", "detail"),
    [("projects", "/api/v1/projects/{key}/", 1), ("regions", "/api/v1/regions/{key}/", 1)],
)
def test_a_conditional_get_answered_304_reads_the_version_alone(api_client, collection, url, detail):
    world = World()
    record = bare_project(world) if collection == "projects" else add_region(world)
    for _ in range(3):
        (grow_project if collection == "projects" else grow_region)(world, record)
    address = url.format(key=record.pk if collection == "projects" else record.code)
    etag = api_client.get(address)["ETag"]

    sql = measure_status(api_client, address, 304, HTTP_IF_NONE_MATCH=etag)
    assert len(sql) == 1, sql
    assert "version" in sql[0]
    # A stale tag gets the record: the version, then what the detail costs anyway.
    assert len(measure_status(api_client, address, 200, HTTP_IF_NONE_MATCH='"0"')) == 1 + detail


#
# Filtered lists (issue 7): the records a filter names are read inside the row statement
#

FILTERED = [
    # query: the filters, with `{...}` filled from the world; expected: the absolute count of a page with rows
    # (a project page is 1 statement, plus the answer cache's lookup and store on a miss)
    pytest.param("/api/v1/projects/?stage={stage}&industry={industry}&region={city}", 1, id="projects-by-codes-1q"),
    pytest.param(
        "/api/v1/projects/?company={investor}&investor={investor_id}&programme={programme}",
        1,
        id="projects-by-keys-1q",
    ),
    pytest.param("/api/v1/companies/?region={city}&industry={industry}&parent={group}", 1, id="companies-1q"),
    pytest.param("/api/v1/regions/?within={city}&parent={city}", 1, id="regions-1q"),
    pytest.param("/api/v1/industries/?within={chain}&parent={chain}", 1, id="industries-1q"),
]


def filtered_world() -> tuple[World, dict[str, str]]:
    """A project, a company and a region or industry below each filter's record, and the values naming them."""
    world = World()
    project = add_project(world)
    project.refresh_from_db()  # its milestone moved its stage
    industry = add_industry(world)
    project.industries.add(industry)
    company = add_company(world)
    company.headquarters = CountyFactory(parent=world.city)
    company.save()
    company.industries.add(industry)
    add_region(world)
    add_industry(world)
    investor = project.participants.get().company
    values = {
        "stage": project.stage,
        "industry": world.chain.code,
        "chain": world.chain.code,
        "city": world.city.code,
        "investor": investor.slug,
        "investor_id": str(investor.pk),
        "programme": world.programme.slug,
        "group": world.group.slug,
    }
    return world, values


@pytest.mark.parametrize(("query", "expected"), FILTERED)
def test_a_filtered_list_reads_the_records_it_names_in_its_one_statement(api_client, query, expected):
    _world, values = filtered_world()
    run = measure(api_client, query.format(**values))

    assert run.body["count"] >= 1
    assert run.count == expected, explain(run=run)


def test_an_unknown_code_is_a_400_found_only_once_the_page_is_empty(api_client):
    _world, values = filtered_world()
    url = "/api/v1/projects/?stage={stage}&industry={industry}&region=339999".format(**values)
    sql = measure_status(api_client, url, 400)
    # The row statement finds nothing; then each named record is asked for.
    assert len(sql) == 3, sql
    error = api_client.get(url).json()["error"]
    assert list(error["fields"]) == ["region"]
    assert error["fields"]["region"][0]["message"] == "Nothing has the code 339999."


def test_an_empty_page_of_known_codes_asks_for_them_once(api_client):
    _world, values = filtered_world()
    url = "/api/v1/projects/?stage=cancelled&industry={industry}&region={city}".format(**values)
    sql = measure_status(api_client, url, 200)
    # The row statement, then the two codes (an empty page tells a known code from an unknown one).
    assert len(sql) == 3, sql
    assert api_client.get(url).json()["count"] == 0


#
# Compliance (issue 23): verdicts derived by one statement, however many rows a page holds
#

COMPLIANCE = "/api/v1/compliance/"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", 1, id="list-1q"),
        pytest.param("?status=breach&kind=tax_per_mu&period=2024", 1, id="filtered-1q"),
        # A region filter of a JSON list asks for the region first (the compliance filters defer no lookup).
        pytest.param("?status=breach&region={city}", 2, id="by-region-2q"),
        pytest.param("?format=csv", 1, id="csv-1q"),
    ],
)
def test_the_compliance_list_costs_the_same_queries_for_1_and_50_commitments(api_client, query, expected):
    world = World()
    url = COMPLIANCE + query.format(city=world.city.code)
    add_verdicts(world)
    one = measure(api_client, url)
    for _ in range(MANY - 1):
        add_verdicts(world)
    many = measure(api_client, url)

    assert rows_of(many.body) - rows_of(one.body) >= MANY - 1
    assert one.count == many.count, explain(one=one, many=many)
    assert many.count == expected, explain(many=many)


def test_a_compliance_page_of_500_rows_costs_the_same_queries_as_a_page_of_1(api_client):
    world = World()
    for _ in range(MANY):
        add_verdicts(world)
    small = measure(api_client, f"{COMPLIANCE}?page_size=1")
    large = measure(api_client, f"{COMPLIANCE}?page_size={MAX_PAGE_SIZE}")

    assert len(small.body["results"]) == 1
    assert len(large.body["results"]) == large.body["count"] >= MANY
    assert small.count == large.count == 1, explain(page_of_1=small, page_of_500=large)
