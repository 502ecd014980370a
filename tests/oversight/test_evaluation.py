"""The rules, judged by hand: each fixture states what a bureau's officer would conclude from the project's dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.choices import DatePrecision
from oversight.models import ProjectWarning, WarningRule
from oversight.services import evaluate_warnings
from tests.factories import (
    CityFactory,
    CountyFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ProjectFactory,
    WarningRuleFactory,
)
from tests.oversight.conftest import month_of, months_before, open_warnings, signed_project

pytestmark = pytest.mark.django_db

RED_SIGNED = {("signed_not_started", "red")}
# 13 months (over 365 days) in the signed stage is also too long in one stage.
SIGNED_13_MONTHS_AGO = RED_SIGNED | {("stalled_in_stage", "yellow")}


def test_a_project_signed_13_months_ago_and_not_started_is_red(today):
    project = signed_project(months_before(today, 13))

    evaluate_warnings(today=today)

    assert open_warnings(project) == SIGNED_13_MONTHS_AGO
    warning = ProjectWarning.objects.get(project=project, rule="signed_not_started")
    assert warning.evidence["signed_on"] == f"{month_of(months_before(today, 13)):%Y-%m}"
    assert warning.rule_setting is None  # the built-in default


def test_a_month_precision_signing_counts_from_the_month_s_last_day_so_nothing_fires_early(today):
    # Signed "in" the month 12 months ago: perhaps on its last day, so 12 months have not surely passed.
    by_month = signed_project(months_before(today, 12), DatePrecision.MONTH)
    # Signed on a known day 12 months and a day ago: they have.
    by_day = signed_project(months_before(today, 12) - dt.timedelta(days=1), DatePrecision.DAY)

    evaluate_warnings(today=today)

    assert open_warnings(by_month) == set()
    assert open_warnings(by_day) == SIGNED_13_MONTHS_AGO  # 366 days or more in the stage, too


def test_a_started_project_does_not_stay_red_for_its_signing(today):
    project = signed_project(months_before(today, 13))
    evaluate_warnings(today=today)
    MilestoneFactory(project=project, stage="construction_started", date=today, date_precision=DatePrecision.DAY)
    FundsInPlaceFactory(project=project, as_of=today, amount=project.planned_investment)

    evaluate_warnings(today=today)

    warning = ProjectWarning.objects.get(project=project, rule="signed_not_started")
    assert warning.resolved_at is not None
    assert warning.resolved_by is None  # resolved by the evaluation, not by someone
    assert open_warnings(project) == set()


def test_a_started_project_with_no_new_funds_for_3_months_is_red(today):
    project = ProjectFactory(planned_investment=Decimal("1000000000.00"))
    started = month_of(months_before(today, 5))
    MilestoneFactory(project=project, stage="construction_started", date=started, date_precision=DatePrecision.MONTH)
    # 40 % arrived four months ago (end of that month), nothing since.
    FundsInPlaceFactory(
        project=project, as_of=month_of(months_before(today, 4)), as_of_precision="month", amount=Decimal("4e8")
    )

    evaluate_warnings(today=today)

    assert open_warnings(project) == {("no_new_funds", "red")}


def test_a_project_started_7_months_ago_with_10_percent_in_place_is_red_and_with_20_percent_is_not(today):
    started = months_before(today, 7)
    low, enough = ProjectFactory(), ProjectFactory()
    for project, amount in ((low, Decimal("100000000.00")), (enough, Decimal("200000000.00"))):
        MilestoneFactory(project=project, stage="construction_started", date=started, date_precision="day")
        FundsInPlaceFactory(project=project, as_of=today, amount=amount)  # arrived today: funds are not stalled

    evaluate_warnings(today=today)

    assert open_warnings(low) == {("low_funds", "red")}
    assert ProjectWarning.objects.get(project=low).evidence["share_percent"] == "10.00"
    assert open_warnings(enough) == set()


def test_a_slipped_start_is_yellow_then_red_after_3_months(today):
    recent, old = signed_project(today), signed_project(today)
    MilestoneFactory(project=recent, stage="construction_started", is_planned=True, date=today - dt.timedelta(days=10))
    MilestoneFactory(
        project=old, stage="construction_started", is_planned=True, date=months_before(today, 4), date_precision="day"
    )

    evaluate_warnings(today=today)

    assert open_warnings(recent) == {("start_slipped", "yellow")}
    assert open_warnings(old) == {("start_slipped", "red")}
    assert ProjectWarning.objects.get(project=recent).evidence["days_late"] == 10


def test_no_follow_up_in_90_days_and_more_than_365_days_in_a_stage_are_yellow(today):
    project = ProjectFactory()
    MilestoneFactory(project=project, stage="landed", date=today - dt.timedelta(days=400))
    FollowUpFactory(project=project, happened_on=today - dt.timedelta(days=91), next_step_due=None)
    fresh = ProjectFactory()
    MilestoneFactory(project=fresh, stage="landed", date=today - dt.timedelta(days=365))
    FollowUpFactory(project=fresh, happened_on=today - dt.timedelta(days=90), next_step_due=None)

    evaluate_warnings(today=today)

    assert open_warnings(project) == {("no_follow_up", "yellow"), ("stalled_in_stage", "yellow")}
    assert ProjectWarning.objects.get(project=project, rule="stalled_in_stage").evidence["days_in_stage"] == 400
    assert open_warnings(fresh) == set()


def test_a_project_on_hold_is_still_warned_about(today):
    project = signed_project(months_before(today, 13))
    ProjectFactory._meta.model.objects.filter(pk=project.pk).update(stage="on_hold", stage_reason="Land not ready.")

    evaluate_warnings(today=today)

    # Red for its signing; not too long in a stage: it went on hold today.
    assert open_warnings(project) == RED_SIGNED


def test_cancelled_projects_and_programmes_are_not_warned_about(today):
    cancelled = signed_project(months_before(today, 13))
    ProjectFactory._meta.model.objects.filter(pk=cancelled.pk).update(stage="cancelled", stage_reason="Withdrew.")
    programme = signed_project(months_before(today, 13), kind="programme")

    evaluate_warnings(today=today)

    assert open_warnings(cancelled) == open_warnings(programme) == set()


def test_the_nearest_region_s_rule_wins_and_an_inactive_one_switches_the_rule_off(today):
    city = CityFactory()
    patient, strict, off = CountyFactory(parent=city), CountyFactory(parent=city), CountyFactory(parent=city)
    WarningRuleFactory(region=city, months=24)  # the city gives projects two years
    WarningRuleFactory(region=strict, months=6, level=WarningRule.Level.YELLOW)  # this county six months
    WarningRuleFactory(region=off, is_active=False)
    signed = months_before(today, 13)
    in_patient, in_strict, in_off = (signed_project(signed, region=region) for region in (patient, strict, off))

    evaluate_warnings(today=today)

    stalled = {("stalled_in_stage", "yellow")}  # no region changed that rule: its default holds
    assert open_warnings(in_patient) == stalled
    assert open_warnings(in_strict) == {("signed_not_started", "yellow")} | stalled
    assert ProjectWarning.objects.get(project=in_strict, rule="signed_not_started").rule_setting.region == strict
    assert open_warnings(in_off) == stalled


def test_evaluating_twice_changes_nothing_but_the_time_of_evaluation(today):
    project = signed_project(months_before(today, 13))
    first = evaluate_warnings(today=today)
    columns = ("id", "rule", "level", "first_seen_at", "evidence", "resolved_at")
    before = list(ProjectWarning.objects.order_by("id").values(*columns))

    second = evaluate_warnings(today=today)

    assert (first.opened, first.kept, first.resolved) == (2, 0, 0)
    assert (second.opened, second.kept, second.resolved) == (0, 2, 0)
    assert list(ProjectWarning.objects.order_by("id").values(*columns)) == before
    assert open_warnings(project) == SIGNED_13_MONTHS_AGO


def test_a_warning_resolved_by_hand_opens_again_while_its_rule_holds(today):
    project = signed_project(months_before(today, 13))
    evaluate_warnings(today=today)
    signed = ProjectWarning.objects.filter(rule="signed_not_started")
    signed.update(resolved_at=signed.get().first_seen_at)

    evaluate_warnings(today=today)

    assert signed.count() == 2  # the one resolved by hand, and a new one
    assert open_warnings(project) == SIGNED_13_MONTHS_AGO


def test_an_evaluation_costs_the_same_statements_for_1_and_for_20_projects(today):
    signed_project(months_before(today, 13))
    with CaptureQueriesContext(connection) as one:
        evaluate_warnings(today=today)
    for _ in range(19):
        signed_project(months_before(today, 13))
    with CaptureQueriesContext(connection) as twenty:
        evaluate_warnings(today=today)

    assert len(one.captured_queries) == len(twenty.captured_queries)
    assert ProjectWarning.objects.filter(resolved_at__isnull=True, rule="signed_not_started").count() == 20


def test_the_command_evaluates_and_says_what_it_did(today):
    from io import StringIO

    from django.core.management import call_command

    signed_project(months_before(today, 13))
    out = StringIO()

    call_command("evaluate_warnings", stdout=out)
    call_command("evaluate_warnings", f"--today={today.isoformat()}", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("2 opened, 0 still open, 0 resolved")  # signed 13 months ago: two rules hold
    assert lines[1].startswith("0 opened, 2 still open, 0 resolved")


def test_a_project_at_design_capacity_is_done_with_funds_follow_ups_and_stages(today):
    project = ProjectFactory()
    long_ago = months_before(today, 30)
    for stage in ("construction_started", "in_production", "at_capacity"):
        MilestoneFactory(project=project, stage=stage, date=long_ago, date_precision="day")

    evaluate_warnings(today=today)

    assert open_warnings(project) == set()


def test_the_history_keeps_what_people_do_to_a_warning_not_what_each_evaluation_writes(today):
    project = signed_project(months_before(today, 13))
    evaluate_warnings(today=today)
    warning = ProjectWarning.objects.get(project=project, rule="signed_not_started")

    warning.snoozed_until, warning.snooze_reason = today + dt.timedelta(days=5), "Board meets."
    warning.save()

    labels = list(warning.events.order_by("pgh_id").values_list("pgh_label", flat=True))
    assert labels == ["update"]  # the snooze; the evaluation's insert is in first_seen_at instead
