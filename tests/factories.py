"""factory_boy factories for every model: valid by default, so a test states only what it is about.

Region codes follow GB/T 2260 and stay unique within a test: a province is `PP0000`, a prefecture-level
city `PPCC00` under its province, a county `PPCCDD` under its city, a zone or block the official code
of the division it sits in plus `-` and a suffix (`331102-BQ`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory

from commitments.models import Commitment, CommitmentObservation
from companies.models import Company
from core.choices import DatePrecision, Qualifier
from figures.models import Figure
from indicators.models import Indicator, Observation
from industries.models import Industry
from oversight.models import ProjectWarning, SigningEvent, SigningEventProject, WarningRule
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from regions.models import ADMINISTRATIVE_LEVELS, Region
from sources.models import Citation, Source

PASSWORD = "correct-horse-battery"


def official_code(region: Region | None) -> str:
    """The GB/T 2260 code of `region` or of the nearest administrative division above it."""
    while region is not None:
        if region.level in ADMINISTRATIVE_LEVELS:
            return region.code
        region = region.parent
    raise ValueError("a zone or block needs an administrative division above it")


def _two_digits(n: int) -> str:
    """01 to 99: the non-zero pair that numbers a city within its province or a county within its city."""
    return f"{n % 99 + 1:02d}"


def _free_code(candidate: Callable[[int], str], n: int, tries: int = 99) -> str:
    """The first of candidate(n), candidate(n + 1), ... that no region has yet.

    Code spaces are small (99 cities in a province), so a sequence alone could hit a code that a test wrote
    by hand, such as 331100; one lookup per region keeps the factories valid whatever ran before.
    """
    for offset in range(tries):
        code = candidate(n + offset)
        if not Region.objects.filter(code=code).exists():
            return code
    raise ValueError(f"no free region code near {candidate(n)}")


#
# Users
#


class UserFactory(DjangoModelFactory):
    username = factory.Sequence(lambda n: f"officer{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@bureau.example")
    password = factory.django.Password(PASSWORD)

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)


class StaffUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


#
# Sources
#


class SourceFactory(DjangoModelFactory):
    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Lishui attracts investment, part {n}")
    kind = Source.Kind.NEWS_ARTICLE

    class Meta:
        model = Source


class CitationFactory(DjangoModelFactory):
    source = factory.SubFactory(SourceFactory)
    quote = factory.Sequence(lambda n: f"The project, number {n}, broke ground this year.")
    locator = factory.Sequence(lambda n: f"L{n + 1}")

    class Meta:
        model = Citation


#
# Regions
#


class RegionFactory(DjangoModelFactory):
    """A county (PPCCDD) under a prefecture-level city under a province: the usual home of a project."""

    name = factory.Sequence(lambda n: f"Region {n}")
    level = Region.Level.COUNTY
    parent = factory.SubFactory("tests.factories.CityFactory")
    code = factory.LazyAttributeSequence(
        lambda region, n: _free_code(lambda i: f"{region.parent.code[:4]}{_two_digits(i)}", n)
    )

    class Meta:
        model = Region


class CountyFactory(RegionFactory):
    pass


class DistrictFactory(RegionFactory):
    level = Region.Level.DISTRICT


class CountryFactory(RegionFactory):
    name = "China"
    level = Region.Level.COUNTRY
    parent = None
    code = "CN"

    class Meta:
        django_get_or_create = ("code",)


class ProvinceFactory(RegionFactory):
    level = Region.Level.PROVINCE
    parent = None
    # 11 to 99: the first pair of a province code never starts with 0.
    code = factory.Sequence(lambda n: _free_code(lambda i: f"{i % 89 + 11}0000", n, tries=89))


class CityFactory(RegionFactory):
    level = Region.Level.PREFECTURE_CITY
    parent = factory.SubFactory(ProvinceFactory)
    code = factory.LazyAttributeSequence(
        lambda region, n: _free_code(lambda i: f"{region.parent.code[:2]}{_two_digits(i)}00", n)
    )


class ZoneFactory(RegionFactory):
    """A development zone inside a county; with `block=True`, an industrial block."""

    level = Region.Level.DEVELOPMENT_ZONE
    parent = factory.SubFactory(CountyFactory)
    code = factory.LazyAttributeSequence(
        lambda region, n: _free_code(lambda i: f"{official_code(region.parent)}-Z{i}", n)
    )

    class Params:
        block = factory.Trait(
            level=Region.Level.BLOCK,
            code=factory.LazyAttributeSequence(
                lambda region, n: _free_code(lambda i: f"{official_code(region.parent)}-B{i}", n)
            ),
        )


#
# Industries
#


class IndustryFactory(DjangoModelFactory):
    """An industry chain (CHAIN-...); with `gbt4754=True`, a GB/T 4754 class under section C."""

    name = factory.Sequence(lambda n: f"Industry {n}")
    scheme = Industry.Scheme.CHAIN
    code = factory.Sequence(lambda n: f"CHAIN-{n}")
    parent = None

    class Meta:
        model = Industry

    class Params:
        gbt4754 = factory.Trait(
            scheme=Industry.Scheme.GBT_4754,
            code=factory.Sequence(lambda n: f"C{n % 9000 + 1000}"),
        )


#
# Companies
#


class CompanyFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Zhejiang Example Company {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")
    kind = Company.Kind.ENTERPRISE
    credit_code = None

    class Meta:
        model = Company


#
# Projects
#


class ProjectFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Semiconductor packaging project {n}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    region = factory.SubFactory(RegionFactory)
    planned_investment = Decimal("1000000000.00")
    investment_qualifier = Qualifier.EXACT

    class Meta:
        model = Project


class MilestoneFactory(DjangoModelFactory):
    project = factory.SubFactory(ProjectFactory)
    stage = Project.Stage.SIGNED
    date = dt.date(2024, 7, 15)
    date_precision = DatePrecision.DAY
    is_planned = False

    class Meta:
        model = Milestone


class FundsInPlaceFactory(DjangoModelFactory):
    project = factory.SubFactory(ProjectFactory)
    as_of = factory.Sequence(lambda n: dt.date(2024, 1, 1) + dt.timedelta(days=n))
    as_of_precision = DatePrecision.DAY
    amount = Decimal("250000000.00")
    qualifier = Qualifier.EXACT

    class Meta:
        model = FundsInPlace


class ParticipantFactory(DjangoModelFactory):
    project = factory.SubFactory(ProjectFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Participant.Role.INVESTOR
    share = None

    class Meta:
        model = Participant


class FollowUpFactory(DjangoModelFactory):
    project = factory.SubFactory(ProjectFactory)
    happened_on = dt.date(2024, 7, 1)
    author = factory.SubFactory(UserFactory)
    action = "Visited the site with the investor."
    next_step = "Send the land-use plan."
    next_step_due = dt.date(2024, 7, 15)

    class Meta:
        model = FollowUp


class FigureFactory(DjangoModelFactory):
    """A figure about a project; with `for_company=True`, about a company instead."""

    project = factory.SubFactory(ProjectFactory)
    company = None
    metric = Figure.Metric.REVENUE
    period = "2024"
    value = Decimal("120000000.0000")
    unit = Figure.Unit.YUAN
    qualifier = Qualifier.EXACT

    class Meta:
        model = Figure

    class Params:
        for_company = factory.Trait(project=None, company=factory.SubFactory(CompanyFactory))


#
# Indicators
#


class IndicatorFactory(DjangoModelFactory):
    code = factory.Sequence(lambda n: f"gdp-growth-{n}")
    name = factory.Sequence(lambda n: f"GDP growth {n}")
    unit = Indicator.Unit.PERCENT

    class Meta:
        model = Indicator


class ObservationFactory(DjangoModelFactory):
    region = factory.SubFactory(RegionFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    period = "2024"
    value = Decimal("6.1000")
    qualifier = Qualifier.EXACT

    class Meta:
        model = Observation


#
# Oversight
#


class WarningRuleFactory(DjangoModelFactory):
    """A region's own "signed, not started" rule, 12 months as the default (red)."""

    region = factory.SubFactory(RegionFactory)
    code = WarningRule.Code.SIGNED_NOT_STARTED
    level = WarningRule.Level.RED
    months = 12

    class Meta:
        model = WarningRule


class ProjectWarningFactory(DjangoModelFactory):
    """An open red warning, as an evaluation would have written it."""

    project = factory.SubFactory(ProjectFactory)
    rule = WarningRule.Code.SIGNED_NOT_STARTED
    level = WarningRule.Level.RED
    evidence = factory.LazyFunction(lambda: {"signed_on": "2024-07", "months": 12})

    class Meta:
        model = ProjectWarning


class SigningEventFactory(DjangoModelFactory):
    """A city's signing ceremony (集中签约活动), with no project yet."""

    name = factory.Sequence(lambda n: f"Spring investment signing {n}")
    date = dt.date(2024, 4, 18)
    region = factory.SubFactory(CityFactory)

    class Meta:
        model = SigningEvent


class SigningEventProjectFactory(DjangoModelFactory):
    """A project of the event's region signed at it."""

    event = factory.SubFactory(SigningEventFactory)
    project = factory.SubFactory(ProjectFactory, region=factory.SelfAttribute("..event.region"))

    class Meta:
        model = SigningEventProject


#
# Commitments
#


class CommitmentFactory(DjangoModelFactory):
    """The article's kind of promise: at least 30万元 of tax per mu a year on 50 mu, due from 2024."""

    project = factory.SubFactory(ProjectFactory)
    kind = Commitment.Kind.TAX_PER_MU
    comparator = Commitment.Comparator.AT_LEAST
    target = Decimal("30.0000")
    unit = Commitment.Unit.WAN_YUAN_PER_MU_YEAR
    land_area = Decimal("50.00")
    due_on = dt.date(2024, 1, 1)
    remedy = "The land may be taken back, or the firm pays the difference in tax."
    citation = factory.SubFactory(CitationFactory)

    class Meta:
        model = Commitment


class CommitmentObservationFactory(DjangoModelFactory):
    """A year's tax of the commitment's project, as a total in 万元."""

    commitment = factory.SubFactory(CommitmentFactory)
    period = "2024"
    value = Decimal("1200.0000")
    unit = Commitment.Unit.WAN_YUAN
    citation = factory.SubFactory(CitationFactory)

    class Meta:
        model = CommitmentObservation
