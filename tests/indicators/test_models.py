"""Indicators and observations: one value per region, indicator and period, with period bounds from the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from psycopg.errors import ForeignKeyViolation

from core.periods import period_bounds
from indicators.models import Indicator, Observation
from tests.factories import IndicatorFactory, ObservationFactory, RegionFactory

pytestmark = pytest.mark.django_db


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named, or the message of a trigger that refused without naming one."""
    diag = caught.value.__cause__.diag
    return diag.constraint_name or diag.message_primary


def delete_raw(statement: str, pk: int) -> None:
    """Run a DELETE past Django's collector, checking foreign keys at once.

    Django creates foreign keys DEFERRABLE INITIALLY DEFERRED: without SET CONSTRAINTS they would be checked
    at a commit that a test never reaches.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement, [pk])


def sql_period_bounds(period: str) -> tuple[dt.date, dt.date]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM period_bounds(%s)", [period])
        return cursor.fetchone()


def test_the_factories_make_a_valid_observation_of_a_valid_indicator() -> None:
    observation = ObservationFactory()
    observation.indicator.full_clean()
    observation.full_clean()


# --- Periods ---------------------------------------------------------------------------------------------------------


PERIODS = [
    ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
    ("2024-H1", dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
    ("2024-Q2", dt.date(2024, 4, 1), dt.date(2024, 6, 30)),
    ("2024-07", dt.date(2024, 7, 1), dt.date(2024, 7, 31)),
    ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
]


@pytest.mark.parametrize(("period", "start", "end"), PERIODS)
def test_the_database_gives_an_observation_the_first_and_last_day_of_its_period(
    period: str, start: dt.date, end: dt.date
) -> None:
    observation = ObservationFactory(period=period)
    observation.refresh_from_db()
    assert (observation.period_start, observation.period_end) == (start, end)


def test_the_database_gives_bulk_created_and_updated_observations_their_period_bounds() -> None:
    region, indicator = RegionFactory(), IndicatorFactory()
    created = Observation.objects.bulk_create(
        [ObservationFactory.build(region=region, indicator=indicator, period=period) for period, _, _ in PERIODS]
    )
    bounds = dict(Observation.objects.values_list("pk", "period_start"))
    assert [bounds[o.pk] for o in created] == [start for _, start, _ in PERIODS]

    Observation.objects.filter(pk=created[0].pk).update(period="2025-Q4")
    assert Observation.objects.values_list("period_start", "period_end").get(pk=created[0].pk) == (
        dt.date(2025, 10, 1),
        dt.date(2025, 12, 31),
    )


@pytest.mark.parametrize(
    "period",
    [
        "2024",
        "2023",
        "2000",
        "1900",
        "2024-H1",
        "2024-H2",
        *[f"2024-Q{q}" for q in range(1, 5)],
        *[f"2024-{m:02d}" for m in range(1, 13)],
        "2023-02",
        "2100-02",
    ],
)
def test_python_and_sql_agree_on_the_bounds_of_a_period(period: str) -> None:
    assert sql_period_bounds(period) == period_bounds(period)


@pytest.mark.parametrize(
    "period",
    ["", "24", "20245", "2024-", "2024-00", "2024-13", "2024-7", "2024-Q0", "2024-Q5", "2024-H0", "2024-H3", "2024-h1",
     "2024/07", " 2024", "2024 ", "0000"],
)  # fmt: skip
def test_python_and_sql_both_refuse_a_malformed_period(period: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 -- the message is the function's own, tested by its wording below
        period_bounds(period)
    # 0000 matches the pattern but is no year: PostgreSQL answers with a DataError, not a check violation.
    with pytest.raises(DatabaseError), transaction.atomic():
        sql_period_bounds(period)


def test_python_names_the_accepted_period_forms_when_it_refuses_one() -> None:
    with pytest.raises(ValueError, match="write 2024, 2024-H1, 2024-Q2 or 2024-07"):
        period_bounds("2024-13")


@pytest.mark.parametrize("period", ["2024\n", "2024-07\n"])
def test_python_refuses_a_period_with_a_trailing_newline_as_sql_does(period: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        sql_period_bounds(period)
    with pytest.raises(ValueError):  # noqa: PT011
        period_bounds(period)


# --- Check and unique constraints, with validation bypassed ----------------------------------------------------------


OBSERVATION_RULES = [
    pytest.param({"value": Decimal("-100.0001")}, "indicators_observation_value_at_least_minus_100", id="below -100"),
    pytest.param({"is_derived": True}, "indicators_observation_derived_has_formula", id="derived without formula"),
    pytest.param({"qualifier": "roughly"}, "indicators_observation_qualifier_valid", id="unknown qualifier"),
    pytest.param({"qualifier": ""}, "indicators_observation_qualifier_valid", id="no qualifier"),
    pytest.param({"period": "2024-13"}, "invalid period 2024-13", id="month 13"),
    pytest.param({"period": "2024-Q5"}, "invalid period 2024-Q5", id="quarter 5"),
]


@pytest.mark.parametrize(("changes", "constraint"), OBSERVATION_RULES)
def test_the_database_refuses_an_observation_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    observation = ObservationFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Observation.objects.filter(pk=observation.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Observation.objects.bulk_create(
            [
                ObservationFactory.build(
                    region=observation.region, indicator=observation.indicator, **{"period": "2023", **changes}
                )
            ]
        )
    assert refusal(caught) == constraint


def test_an_observation_may_record_a_decline_of_exactly_100_percent() -> None:
    observation = ObservationFactory()
    assert Observation.objects.filter(pk=observation.pk).update(value=Decimal("-100")) == 1


def test_a_region_has_one_value_of_an_indicator_per_period() -> None:
    observation = ObservationFactory(period="2024-H1")
    twin = ObservationFactory.build(region=observation.region, indicator=observation.indicator, period="2024-H1")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Observation.objects.bulk_create([twin])
    assert refusal(caught) == "indicators_observation_unique_region_indicator_period"
    other = ObservationFactory(region=observation.region, indicator=observation.indicator, period="2024-H2")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Observation.objects.filter(pk=other.pk).update(period="2024-H1")
    assert refusal(caught) == "indicators_observation_unique_region_indicator_period"
    with pytest.raises(ValidationError) as caught:
        twin.full_clean()
    assert "This region already has a value of this indicator for this period." in caught.value.messages


def test_the_same_period_may_hold_values_of_other_regions_and_indicators() -> None:
    observation = ObservationFactory()
    ObservationFactory(region=observation.region, period=observation.period)
    ObservationFactory(indicator=observation.indicator, period=observation.period)
    assert Observation.objects.filter(period=observation.period).count() == 3


@pytest.mark.parametrize("unit", [Indicator.Unit.YUAN, Indicator.Unit.COUNT])
def test_full_clean_refuses_a_negative_amount_or_count(unit: str) -> None:
    observation = ObservationFactory.build(
        region=RegionFactory(), indicator=IndicatorFactory(unit=unit), value=Decimal("-1")
    )
    with pytest.raises(ValidationError) as caught:
        observation.full_clean()
    assert caught.value.message_dict["value"] == ["An amount or a count cannot be negative."]


def test_full_clean_accepts_a_negative_growth_rate() -> None:
    ObservationFactory.build(region=RegionFactory(), indicator=IndicatorFactory(), value=Decimal("-3.5")).full_clean()


def test_the_database_refuses_an_unknown_indicator_unit() -> None:
    indicator = IndicatorFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Indicator.objects.filter(pk=indicator.pk).update(unit="tonnes")
    assert refusal(caught) == "indicators_indicator_unit_valid"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Indicator.objects.bulk_create([IndicatorFactory.build(unit="tonnes")])
    assert refusal(caught) == "indicators_indicator_unit_valid"


def test_indicator_codes_are_unique_on_update_and_on_bulk_create() -> None:
    indicator, other = IndicatorFactory(), IndicatorFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Indicator.objects.filter(pk=other.pk).update(code=indicator.code)
    assert refusal(caught) == "indicators_indicator_code_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Indicator.objects.bulk_create([IndicatorFactory.build(code=indicator.code)])
    assert refusal(caught) == "indicators_indicator_code_key"


# --- Protection -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["indicator", "region"])
def test_an_indicator_or_region_with_observations_cannot_be_deleted(target: str) -> None:
    observation = ObservationFactory()
    with pytest.raises(ProtectedError):
        getattr(observation, target).delete()
    assert Observation.objects.filter(pk=observation.pk).exists()


def test_the_database_refuses_a_raw_delete_of_an_indicator_with_observations() -> None:
    observation = ObservationFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        delete_raw("DELETE FROM indicators_indicator WHERE id = %s", observation.indicator_id)
    assert isinstance(caught.value.__cause__, ForeignKeyViolation)
