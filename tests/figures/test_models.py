"""Figures: the rules the database holds a figure to, and the period bounds it works out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from figures.models import Figure
from tests.factories import CompanyFactory, FigureFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named, or the message of a trigger that refused without naming one."""
    diag = caught.value.__cause__.diag
    return diag.constraint_name or diag.message_primary


FIGURE_RULES = [
    pytest.param({"unit": "yuan", "value": Decimal("-1")}, "projects_figure_money_non_negative", id="negative yuan"),
    pytest.param(
        {"metric": "market_share", "unit": "percent", "value": Decimal("100.5")},
        "projects_figure_market_share_percent",
        id="market share over 100",
    ),
    pytest.param(
        {"metric": "market_share", "unit": "percent", "value": Decimal("-0.5")},
        "projects_figure_market_share_percent",
        id="negative market share",
    ),
    pytest.param(
        {"metric": "market_share", "unit": "count", "value": Decimal("3")},
        "projects_figure_market_share_percent",
        id="market share not in percent",
    ),
    pytest.param(
        {"metric": "growth", "unit": "percent", "value": Decimal("-100.01")},
        "projects_figure_percent_at_least_minus_100",
        id="percent below -100",
    ),
    pytest.param(
        {"metric": "jobs", "unit": "count", "value": Decimal("-1")},
        "projects_figure_count_non_negative",
        id="negative count",
    ),
    pytest.param({"is_derived": True, "formula": ""}, "projects_figure_derived_has_formula", id="no formula"),
    pytest.param({"metric": "ebitda"}, "projects_figure_metric_valid", id="unknown metric"),
    pytest.param({"unit": "dollars"}, "projects_figure_unit_valid", id="unknown unit"),
    pytest.param({"qualifier": "roughly"}, "projects_figure_qualifier_valid", id="unknown qualifier"),
    # The period trigger runs before the row's checks and refuses a malformed period first.
    pytest.param({"period": "2024-13"}, "invalid period 2024-13", id="month 13"),
    pytest.param({"period": "2024-Q5"}, "invalid period 2024-Q5", id="quarter 5"),
    pytest.param({"period": "2024-H3"}, "invalid period 2024-H3", id="half 3"),
    pytest.param({"period": "2024-7"}, "invalid period 2024-7", id="one-digit month"),
    pytest.param({"period": "24"}, "invalid period 24", id="two-digit year"),
    pytest.param({"period": "2024/07"}, "invalid period 2024/07", id="slash"),
]


@pytest.mark.parametrize(("changes", "constraint"), FIGURE_RULES)
def test_the_database_refuses_an_update_that_breaks_a_figure_rule(changes: dict, constraint: str) -> None:
    figure = FigureFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.filter(pk=figure.pk).update(**changes)
    assert refusal(caught) == constraint


@pytest.mark.parametrize(("changes", "constraint"), FIGURE_RULES)
def test_the_database_refuses_a_bulk_created_figure_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    project = ProjectFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.bulk_create([FigureFactory.build(project=project, **changes)])
    assert refusal(caught) == constraint


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"metric": "growth", "unit": "percent", "value": Decimal("-100")}, id="growth of -100%"),
        pytest.param({"metric": "growth", "unit": "percentage_points", "value": Decimal("-3.2")}, id="points"),
        pytest.param({"metric": "market_share", "unit": "percent", "value": Decimal("100")}, id="whole market"),
        pytest.param({"is_derived": True, "formula": "revenue 2024 / revenue 2023 - 1"}, id="derived"),
    ],
)
def test_the_database_accepts_a_figure_that_keeps_the_rules(changes: dict) -> None:
    figure = FigureFactory()
    assert Figure.objects.filter(pk=figure.pk).update(**changes) == 1


def test_a_figure_is_about_exactly_one_project_or_one_company() -> None:
    figure = FigureFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.filter(pk=figure.pk).update(company=CompanyFactory())
    assert refusal(caught) == "projects_figure_one_subject"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.bulk_create([FigureFactory.build(project=None)])
    assert refusal(caught) == "projects_figure_one_subject"


@pytest.mark.parametrize("subject", ["project", "company"])
def test_a_subject_has_one_figure_per_metric_period_and_label(subject: str) -> None:
    figure = FigureFactory(for_company=subject == "company")
    twin = FigureFactory.build(project=figure.project, company=figure.company)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.bulk_create([twin])
    assert refusal(caught) == f"projects_figure_unique_{subject}_metric_period"
    labelled = FigureFactory(project=figure.project, company=figure.company, label="export revenue")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Figure.objects.filter(pk=labelled.pk).update(label="")
    assert refusal(caught) == f"projects_figure_unique_{subject}_metric_period"


PERIODS = [
    ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ("2024-H1", dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
    ("2024-H2", dt.date(2024, 7, 1), dt.date(2024, 12, 31)),
    ("2024-Q2", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    ("2024-07", dt.date(2024, 7, 1), dt.date(2024, 7, 31)),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
    ("2023-02", dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
]


@pytest.mark.parametrize(("period", "start", "end"), PERIODS)
def test_the_database_gives_a_figure_the_first_and_last_day_of_its_period(
    period: str, start: dt.date, end: dt.date
) -> None:
    figure = FigureFactory(period=period)
    figure.refresh_from_db()
    assert (figure.period_start, figure.period_end) == (start, end)


@pytest.mark.parametrize(("period", "start", "end"), PERIODS)
def test_the_database_gives_bulk_created_and_updated_figures_their_period_bounds(
    period: str, start: dt.date, end: dt.date
) -> None:
    project = ProjectFactory()
    (created,) = Figure.objects.bulk_create([FigureFactory.build(project=project, period=period)])
    updated = FigureFactory(project=project, metric=Figure.Metric.JOBS, unit=Figure.Unit.COUNT, period="1999")
    Figure.objects.filter(pk=updated.pk).update(period=period)

    bounds = dict(Figure.objects.values_list("pk", "period_start"))
    ends = dict(Figure.objects.values_list("pk", "period_end"))
    assert (bounds[created.pk], ends[created.pk]) == (start, end)
    assert (bounds[updated.pk], ends[updated.pk]) == (start, end)


def test_full_clean_reports_a_malformed_period() -> None:
    figure = FigureFactory.build(project=ProjectFactory(), period="2024-13")
    with pytest.raises(ValidationError) as caught:
        figure.full_clean()
    assert "Write the period as 2024, 2024-H1, 2024-Q2 or 2024-07." in caught.value.messages
