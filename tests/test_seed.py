"""The seed data: every fact of the article, loaded idempotently, each figure traceable to its sentence."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from companies.models import Company
from core.seed import FIXTURES_DIR, seed_load
from figures.models import Figure
from indicators.models import Observation
from projects.models import Milestone, Participant, Project
from regions.models import Region
from sources.models import Citation

pytestmark = pytest.mark.django_db

ARTICLE = (FIXTURES_DIR / "sources" / "lishui-article.txt").read_text(encoding="utf-8").splitlines()
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
SCALES = {"billion": Decimal(10) ** 9, "million": Decimal(10) ** 6, "thousand": Decimal(10) ** 3}
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|" + "|".join(WORDS) + r")(?:\s*(billion|million|thousand))?", re.I)
BOUND_WORDS = re.compile(r"\b(over|exceeding|more than|surpassed|fewer than|less than|at least)\b", re.I)


def numbers_in(text: str) -> set[Decimal]:
    """Every number a sentence states, with its scale applied: '2.95 billion' is 2950000000."""
    found = set()
    for digits, scale in NUMBER.findall(text):
        value = Decimal(WORDS[digits.lower()]) if digits.lower() in WORDS else Decimal(digits)
        found.add(value * SCALES[scale.lower()] if scale else value)
    return found


@pytest.fixture
def seeded():
    return seed_load()


def test_loading_the_seed_twice_changes_nothing(seeded):
    assert seeded.changed
    counts = {model: model.objects.count() for model in (Region, Company, Project, Figure, Observation, Citation)}
    stamps = list(Project.objects.order_by("pk").values_list("updated_at", flat=True))

    second = seed_load()

    assert not second.changed, second.summary()
    assert {model: model.objects.count() for model in counts} == counts
    assert list(Project.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_the_kelun_project_is_two_billion_exact_in_longquan_landed_in_july_2024(seeded):
    project = Project.objects.get(slug="kelun-longquan-high-end-preparation-health-food")
    assert project.planned_investment == Decimal("2000000000.00")
    assert project.currency == "CNY"
    assert project.investment_qualifier == "exact"
    assert project.region.code == "331181"
    assert project.region.name_zh == "龙泉市"
    assert project.stage == "landed"
    landed = project.milestones.get(stage="landed", is_planned=False)
    assert (landed.date.isoformat(), landed.date_precision) == ("2024-07-01", "month")
    lead = project.participants.get(role="lead_investor").company
    assert lead.name == "Sichuan Kelun Pharmaceutical Co., Ltd."
    assert "Kolen" in lead.aliases


def test_kelun_owns_guojing_since_2010(seeded):
    guojing = Company.objects.get(slug="zhejiang-guojing-pharmaceutical")
    assert guojing.parent.slug == "sichuan-kelun-pharmaceutical"
    assert (guojing.parent_since.year, guojing.parent_since_precision) == (2010, "year")
    assert guojing.parent_citation.locator == "L19"
    assert guojing.parent.headquarters.code == "510000"


def test_the_baiqiao_block_holds_2_95_billion_over_two_projects_each_more_than_one_billion(seeded):
    block = Region.objects.get(code="331102-BQ")
    assert block.parent.code == "331102"
    assert "Liantou District" in block.parent.aliases
    programme = Project.objects.get(region=block, kind="programme")
    assert (programme.planned_investment, programme.investment_qualifier) == (Decimal("2950000000.00"), "exact")
    projects = Project.objects.filter(programme=programme, region=block)
    assert projects.count() == 2
    for project in projects:
        assert (project.planned_investment, project.investment_qualifier) == (Decimal("1000000000.00"), "more_than")


def test_qingtian_metaverse_revenue_is_more_than_one_billion_in_2024_h1(seeded):
    cluster = Project.objects.get(slug="qingtian-metaverse-cluster")
    assert cluster.region.code == "331121"
    assert cluster.planned_investment is None, "the article gives no investment amount"
    revenue = cluster.figures.get(metric="revenue")
    assert (revenue.value, revenue.unit, revenue.qualifier, revenue.period) == (
        Decimal("1000000000"),
        "yuan",
        "more_than",
        "2024-H1",
    )
    assert (revenue.period_start.isoformat(), revenue.period_end.isoformat()) == ("2024-01-01", "2024-06-30")
    assert cluster.figures.get(metric="partner_count").value == 34
    assert cluster.figures.get(metric="pipeline_size").value == 351


def test_lishui_gdp_grew_6_9_percent_in_2024_h1_and_the_national_5_0_is_derived(seeded):
    lishui = Observation.objects.get(region__code="331100", indicator__code="gdp-growth", period="2024-H1")
    assert (lishui.value, lishui.is_derived) == (Decimal("6.9"), False)
    assert "second" in lishui.citation.quote
    national = Observation.objects.get(region__code="CN", indicator__code="gdp-growth", period="2024-H1")
    assert (national.value, national.is_derived) == (Decimal("5.0"), True)
    assert national.formula.startswith("6.9 - 1.9")
    provincial = Observation.objects.get(region__code="330000", indicator__code="gdp-growth", period="2024-H1")
    assert (provincial.value, provincial.is_derived) == (Decimal("5.6"), True)


def test_every_lishui_county_level_unit_is_under_lishui(seeded):
    lishui = Region.objects.get(code="331100")
    county_level = lishui.subtree().filter(level__in=["district", "county", "county_city"])
    assert sorted(county_level.values_list("code", flat=True)) == [
        "331102", "331121", "331122", "331123", "331124", "331125", "331126", "331127", "331181",
    ]  # fmt: skip


def test_every_quote_stands_word_for_word_on_its_line(seeded):
    for citation in Citation.objects.select_related("source"):
        line = int(citation.locator.removeprefix("L"))
        assert citation.quote in ARTICLE[line - 1], f"{citation.locator}: {citation.quote[:60]}"


def test_every_seeded_fact_cites_its_sentence(seeded):
    assert not Figure.objects.filter(citation__isnull=True).exists()
    assert not Observation.objects.filter(citation__isnull=True).exists()
    assert not Milestone.objects.filter(citation__isnull=True).exists()
    assert not Participant.objects.filter(citation__isnull=True).exists()
    assert not Company.objects.filter(parent__isnull=False, parent_citation__isnull=True).exists()
    assert not Project.objects.filter(planned_investment__isnull=False, investment_citation__isnull=True).exists()


def _stated_values():
    for figure in Figure.objects.select_related("citation"):
        yield figure, figure.value, figure.qualifier, figure.citation.quote, figure.is_derived, figure.formula
    for obs in Observation.objects.select_related("citation"):
        yield obs, obs.value, obs.qualifier, obs.citation.quote, obs.is_derived, obs.formula
    for project in Project.objects.filter(planned_investment__isnull=False).select_related("investment_citation"):
        quote = project.investment_citation.quote
        yield project, project.planned_investment, project.investment_qualifier, quote, False, ""


def test_no_number_appears_that_the_article_does_not_give(seeded):
    for record, value, _qualifier, quote, is_derived, formula in _stated_values():
        if is_derived:
            left, op, right = re.match(r"\s*([\d.]+)\s*([-+])\s*([\d.]+)", formula).groups()
            assert {Decimal(left), Decimal(right)} <= numbers_in(quote), record
            computed = Decimal(left) - Decimal(right) if op == "-" else Decimal(left) + Decimal(right)
            assert computed == value, record
        else:
            assert value in numbers_in(quote), f"{record}: {value} is not in {quote!r}"


def test_bounds_stay_bounds(seeded):
    for record, value, qualifier, quote, _derived, _formula in _stated_values():
        if BOUND_WORDS.search(_words_before(value, quote)):
            assert qualifier in {"more_than", "at_least", "less_than"}, f"{record} is a bound stored as {qualifier}"


def _words_before(value: Decimal, quote: str) -> str:
    """The words between the previous number of the quote and the one stating `value`."""
    for match in NUMBER.finditer(quote):
        if numbers_in(match.group(0)) == {value}:
            before = quote[: match.start()]
            earlier = list(NUMBER.finditer(before))
            return before[earlier[-1].end() :] if earlier else before[-40:]
    return ""


def test_the_number_reader_understands_the_article_phrasing():
    assert numbers_in("totaling 2.95 billion RMB") == {Decimal("2950000000")}
    assert numbers_in("exceeding one billion RMB") == {Decimal("1000000000")}
    assert numbers_in("a 6.9% year-on-year increase") == {Decimal("6.9")}
    assert numbers_in("more than ten technology companies") == {Decimal(10)}


def test_the_seed_file_writes_every_amount_as_a_string_never_a_float():
    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"value", "amount", "share"}:
                    assert isinstance(value, str), f"{key}: {value!r} must be quoted"
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in Path(FIXTURES_DIR).glob("*.yaml"):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
