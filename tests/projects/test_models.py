"""Projects and what hangs off them: milestones that drive the stage, money, participants, follow-ups (figures:
tests/figures/test_models.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from companies.models import Company
from figures.models import Figure
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from tests.factories import (
    CompanyFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Stage = Project.Stage


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named, or the message of a trigger that refused without naming one."""
    diag = caught.value.__cause__.diag
    return diag.constraint_name or diag.message_primary


def stage_of(project: Project) -> str:
    return Project.objects.values_list("stage", flat=True).get(pk=project.pk)


@pytest.mark.parametrize(
    "factory",
    [ProjectFactory, MilestoneFactory, FundsInPlaceFactory, ParticipantFactory, FollowUpFactory, FigureFactory],
)
def test_every_project_factory_makes_rows_that_pass_full_clean(factory) -> None:
    factory().full_clean()


def test_the_figure_factory_can_make_a_figure_about_a_company() -> None:
    figure = FigureFactory(for_company=True)
    figure.full_clean()
    assert figure.project is None
    assert figure.company is not None


# --- Projects: check and unique constraints, with validation bypassed ----------------------------------------------


PROJECT_RULES = [
    pytest.param(
        {"planned_investment": Decimal("-0.01")},
        "projects_project_planned_investment_non_negative",
        id="negative planned investment",
    ),
    pytest.param(
        {"investment_qualifier": ""}, "projects_project_planned_investment_qualified", id="amount without qualifier"
    ),
    pytest.param(
        {"planned_investment": None}, "projects_project_planned_investment_qualified", id="qualifier without amount"
    ),
    pytest.param(
        {"investment_qualifier": "roughly"}, "projects_project_planned_investment_qualified", id="unknown qualifier"
    ),
    pytest.param({"stage": Stage.ON_HOLD}, "projects_project_exit_needs_reason", id="on hold without reason"),
    pytest.param(
        {"stage": Stage.CANCELLED, "stage_reason": " \n"}, "projects_project_exit_needs_reason", id="blank reason"
    ),
    pytest.param({"stage": "abandoned"}, "projects_project_stage_valid", id="unknown stage"),
    pytest.param({"kind": "cluster"}, "projects_project_kind_valid", id="unknown kind"),
    pytest.param({"currency": "JPY"}, "projects_project_currency_valid", id="unknown currency"),
    pytest.param({"name": "  "}, "projects_project_name_not_blank", id="blank name"),
]


@pytest.mark.parametrize(("changes", "constraint"), PROJECT_RULES)
def test_the_database_refuses_an_update_that_breaks_a_project_rule(changes: dict, constraint: str) -> None:
    project = ProjectFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.filter(pk=project.pk).update(**changes)
    assert refusal(caught) == constraint


@pytest.mark.parametrize(("changes", "constraint"), PROJECT_RULES)
def test_the_database_refuses_a_bulk_created_project_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    region = RegionFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.bulk_create([ProjectFactory.build(region=region, **changes)])
    assert refusal(caught) == constraint


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"planned_investment": None, "investment_qualifier": ""}, id="no amount, no qualifier"),
        pytest.param({"planned_investment": Decimal("0.00")}, id="zero"),
        pytest.param({"investment_qualifier": "more_than"}, id="a bound"),
        pytest.param({"stage": Stage.ON_HOLD, "stage_reason": "Land not yet approved."}, id="on hold with reason"),
    ],
)
def test_the_database_accepts_a_project_that_keeps_the_rules(changes: dict) -> None:
    project = ProjectFactory()
    assert Project.objects.filter(pk=project.pk).update(**changes) == 1


def test_project_slugs_are_unique_on_update_and_on_bulk_create() -> None:
    project, other = ProjectFactory(), ProjectFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.filter(pk=other.pk).update(slug=project.slug)
    assert refusal(caught) == "projects_project_slug_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.bulk_create([ProjectFactory.build(region=project.region, slug=project.slug)])
    assert refusal(caught) == "projects_project_slug_key"


def test_a_project_cannot_be_part_of_itself() -> None:
    project = ProjectFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.filter(pk=project.pk).update(programme=F("id"))
    assert refusal(caught) == "projects_project_not_own_programme"


def test_a_programme_cannot_belong_to_another_programme() -> None:
    outer = ProjectFactory(kind=Project.Kind.PROGRAMME)
    inner = ProjectFactory(kind=Project.Kind.PROGRAMME)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Project.objects.filter(pk=inner.pk).update(programme=outer)
    assert refusal(caught) == "projects_project_programmes_not_nested"


def test_full_clean_refuses_a_project_placed_in_a_plain_project() -> None:
    project = ProjectFactory.build(region=RegionFactory(), programme=ProjectFactory())
    with pytest.raises(ValidationError) as caught:
        project.full_clean()
    # limit_choices_to refuses it as a choice too; clean() says why.
    assert "Only a programme can contain projects." in caught.value.message_dict["programme"]


# --- Stage driven by actual milestones -----------------------------------------------------------------------------


def test_an_actual_milestone_moves_the_project_to_its_stage() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.SIGNED)
    assert stage_of(project) == Stage.SIGNED


def test_the_stage_is_the_furthest_actual_milestone_whatever_order_they_are_recorded_in() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.LANDED, date=dt.date(2024, 9, 1))
    MilestoneFactory(project=project, stage=Stage.SIGNED, date=dt.date(2024, 3, 1))
    assert stage_of(project) == Stage.LANDED


def test_a_planned_milestone_does_not_move_the_stage() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.SIGNED)
    MilestoneFactory(project=project, stage=Stage.IN_PRODUCTION, is_planned=True, date=dt.date(2026, 1, 1))
    assert stage_of(project) == Stage.SIGNED


def test_updating_a_milestone_moves_the_stage() -> None:
    project = ProjectFactory()
    milestone = MilestoneFactory(project=project, stage=Stage.SIGNED)
    Milestone.objects.filter(pk=milestone.pk).update(stage=Stage.CONSTRUCTION_STARTED)
    assert stage_of(project) == Stage.CONSTRUCTION_STARTED


def test_turning_the_furthest_milestone_into_a_plan_moves_the_stage_back() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.SIGNED)
    landed = MilestoneFactory(project=project, stage=Stage.LANDED)
    Milestone.objects.filter(pk=landed.pk).update(is_planned=True)
    assert stage_of(project) == Stage.SIGNED


def test_deleting_the_furthest_milestone_moves_the_stage_back() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.SIGNED)
    MilestoneFactory(project=project, stage=Stage.LANDED).delete()
    assert stage_of(project) == Stage.SIGNED


def test_bulk_created_milestones_move_the_stage() -> None:
    project = ProjectFactory()
    Milestone.objects.bulk_create(
        [
            MilestoneFactory.build(project=project, stage=Stage.NEGOTIATING),
            MilestoneFactory.build(project=project, stage=Stage.LANDED),
            MilestoneFactory.build(project=project, stage=Stage.SIGNED),
            MilestoneFactory.build(project=project, stage=Stage.AT_CAPACITY, is_planned=True),
        ]
    )
    assert stage_of(project) == Stage.LANDED


def test_moving_a_milestone_to_another_project_moves_both_stages() -> None:
    first, second = ProjectFactory(), ProjectFactory()
    MilestoneFactory(project=first, stage=Stage.SIGNED)
    landed = MilestoneFactory(project=first, stage=Stage.LANDED)

    Milestone.objects.filter(pk=landed.pk).update(project=second)

    assert stage_of(first) == Stage.SIGNED
    assert stage_of(second) == Stage.LANDED


@pytest.mark.parametrize("exit_stage", [Stage.ON_HOLD, Stage.CANCELLED])
def test_a_project_on_hold_or_cancelled_keeps_its_stage_when_milestones_are_recorded(exit_stage: str) -> None:
    project = ProjectFactory(stage=exit_stage, stage_reason="The investor withdrew.")
    MilestoneFactory(project=project, stage=Stage.SIGNED)
    Milestone.objects.bulk_create([MilestoneFactory.build(project=project, stage=Stage.LANDED)])
    assert stage_of(project) == exit_stage


def test_full_clean_refuses_a_stage_that_contradicts_the_actual_milestones() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.LANDED)
    project.refresh_from_db()
    project.stage = Stage.SIGNED
    with pytest.raises(ValidationError) as caught:
        project.full_clean()
    assert caught.value.message_dict["stage"] == [
        "The milestones show this project reached landed (落地); record a milestone to change its stage."
    ]


def test_full_clean_accepts_putting_a_project_with_milestones_on_hold() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.LANDED)
    project.stage, project.stage_reason = Stage.ON_HOLD, "Waiting for the land auction."
    project.full_clean()


def test_saving_a_stale_project_does_not_undo_the_stage_its_milestones_reached() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project, stage=Stage.LANDED)

    project.description = "Now with a description."
    project.save()

    assert stage_of(project) == Stage.LANDED


# --- Milestones -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "precision"),
    [
        pytest.param(dt.date(2024, 7, 15), "month", id="month not on the 1st"),
        pytest.param(dt.date(2024, 5, 1), "quarter", id="quarter starting in May"),
        pytest.param(dt.date(2024, 4, 2), "quarter", id="quarter not on the 1st"),
        pytest.param(dt.date(2024, 7, 1), "year", id="year starting in July"),
        pytest.param(dt.date(2024, 1, 2), "year", id="year not on Jan 1"),
    ],
)
def test_the_database_refuses_a_milestone_date_that_is_not_the_first_day_of_its_precision(
    date: dt.date, precision: str
) -> None:
    milestone = MilestoneFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(date=date, date_precision=precision)
    assert refusal(caught) == "projects_milestone_date_matches_precision"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Milestone.objects.bulk_create(
            [MilestoneFactory.build(project=milestone.project, stage=Stage.LANDED, date=date, date_precision=precision)]
        )
    assert refusal(caught) == "projects_milestone_date_matches_precision"


@pytest.mark.parametrize(
    ("date", "precision"),
    [
        (dt.date(2024, 7, 15), "day"),
        (dt.date(2024, 7, 1), "month"),
        (dt.date(2024, 10, 1), "quarter"),
        (dt.date(2024, 1, 1), "year"),
    ],
)
def test_a_milestone_date_on_the_first_day_of_its_precision_is_accepted(date: dt.date, precision: str) -> None:
    MilestoneFactory.build(date=date, date_precision=precision, project=ProjectFactory()).full_clean()
    milestone = MilestoneFactory()
    assert Milestone.objects.filter(pk=milestone.pk).update(date=date, date_precision=precision) == 1


def test_full_clean_reports_a_milestone_date_that_does_not_match_its_precision() -> None:
    milestone = MilestoneFactory.build(project=ProjectFactory(), date=dt.date(2024, 7, 15), date_precision="month")
    with pytest.raises(ValidationError) as caught:
        milestone.full_clean()
    assert any("first day of that month" in message for message in caught.value.messages)


def test_the_database_refuses_an_unknown_milestone_stage() -> None:
    milestone = MilestoneFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Milestone.objects.filter(pk=milestone.pk).update(stage="rumoured")
    assert refusal(caught) == "projects_milestone_stage_valid"


def test_a_project_reaches_each_stage_once_as_fact_and_once_as_plan() -> None:
    milestone = MilestoneFactory(stage=Stage.SIGNED)
    MilestoneFactory(project=milestone.project, stage=Stage.SIGNED, is_planned=True)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Milestone.objects.bulk_create([MilestoneFactory.build(project=milestone.project, stage=Stage.SIGNED)])
    assert refusal(caught) == "projects_milestone_unique_stage"
    landed = MilestoneFactory(project=milestone.project, stage=Stage.LANDED)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Milestone.objects.filter(pk=landed.pk).update(stage=Stage.SIGNED)
    assert refusal(caught) == "projects_milestone_unique_stage"


# --- Funds in place ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param({"amount": Decimal("-1.00")}, "projects_fundsinplace_amount_non_negative", id="negative"),
        pytest.param({"qualifier": ""}, "projects_fundsinplace_amount_qualified", id="amount without qualifier"),
        pytest.param({"qualifier": "roughly"}, "projects_fundsinplace_amount_qualified", id="unknown qualifier"),
        pytest.param({"currency": "GBP"}, "projects_fundsinplace_currency_valid", id="unknown currency"),
    ],
)
def test_the_database_refuses_funds_in_place_that_break_a_rule(changes: dict, constraint: str) -> None:
    funds = FundsInPlaceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FundsInPlace.objects.filter(pk=funds.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FundsInPlace.objects.bulk_create([FundsInPlaceFactory.build(project=funds.project, **changes)])
    assert refusal(caught) == constraint


def test_a_project_has_one_funds_in_place_figure_per_date() -> None:
    funds = FundsInPlaceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FundsInPlace.objects.bulk_create([FundsInPlaceFactory.build(project=funds.project, as_of=funds.as_of)])
    assert refusal(caught) == "projects_fundsinplace_unique_period"


def test_a_project_has_one_funds_in_place_figure_per_month() -> None:
    funds = FundsInPlaceFactory(as_of=dt.date(2024, 3, 1), as_of_precision="month")
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FundsInPlace.objects.bulk_create(
            [FundsInPlaceFactory.build(project=funds.project, as_of=dt.date(2024, 3, 1), as_of_precision="month")]
        )
    assert refusal(caught) == "projects_fundsinplace_unique_period"


def test_funds_by_a_month_and_by_its_first_day_are_two_figures() -> None:
    by_march = FundsInPlaceFactory(as_of=dt.date(2024, 3, 1), as_of_precision="month", amount=Decimal("3e8"))
    by_first_of_march = FundsInPlaceFactory.build(
        project=by_march.project, as_of=dt.date(2024, 3, 1), as_of_precision="day", amount=Decimal("2e8")
    )
    by_first_of_march.full_clean()
    by_first_of_march.save()
    assert by_march.project.funds_in_place.count() == 2


@pytest.mark.parametrize(
    ("as_of", "precision"),
    [
        (dt.date(2024, 3, 15), "month"),
        (dt.date(2024, 2, 1), "quarter"),
        (dt.date(2024, 3, 1), "year"),
        (dt.date(2024, 3, 1), "week"),
    ],
)
def test_the_database_refuses_funds_in_place_dated_off_the_first_day_of_their_precision(
    as_of: dt.date, precision: str
) -> None:
    funds = FundsInPlaceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FundsInPlace.objects.filter(pk=funds.pk).update(as_of=as_of, as_of_precision=precision)
    assert refusal(caught) == "projects_fundsinplace_as_of_matches_precision"


def test_full_clean_reports_funds_in_place_dated_off_the_first_day_of_their_month() -> None:
    funds = FundsInPlaceFactory.build(project=ProjectFactory(), as_of=dt.date(2024, 3, 15), as_of_precision="month")
    with pytest.raises(ValidationError) as caught:
        funds.full_clean()
    assert any("first day of that month" in message for message in caught.value.messages)


@pytest.mark.parametrize(
    ("as_of", "precision", "title"),
    [
        (dt.date(2024, 3, 1), "month", "2024-03"),
        (dt.date(2024, 1, 1), "year", "2024"),
        (dt.date(2024, 4, 1), "quarter", "2024-Q2"),
        (dt.date(2024, 3, 15), "day", "2024-03-15"),
    ],
)
def test_milestones_and_funds_in_place_are_titled_with_their_date_as_typed(
    as_of: dt.date, precision: str, title: str
) -> None:
    project = ProjectFactory(name="Baiqiao Park")
    milestone = MilestoneFactory.build(project=project, stage=Stage.LANDED, date=as_of, date_precision=precision)
    funds = FundsInPlaceFactory.build(
        project=project, as_of=as_of, as_of_precision=precision, amount=Decimal("300000000.00")
    )
    assert str(milestone) == f"Baiqiao Park: {milestone.get_stage_display()} {title}"
    assert str(funds) == f"Baiqiao Park: 300000000.00 CNY by {title}"


def test_full_clean_refuses_a_later_day_with_less_money_than_a_month_before_it() -> None:
    by_march = FundsInPlaceFactory(as_of=dt.date(2024, 3, 1), as_of_precision="month", amount=Decimal("3e8"))
    first_of_april = FundsInPlaceFactory.build(
        project=by_march.project, as_of=dt.date(2024, 4, 1), amount=Decimal("2e8")
    )
    with pytest.raises(ValidationError) as caught:
        first_of_april.full_clean()
    assert caught.value.message_dict["amount"] == [
        "Funds in place are cumulative: 300000000.00 had already arrived by 2024-03."
    ]


def test_full_clean_refuses_a_quarter_with_more_money_than_its_last_day() -> None:
    last_of_march = FundsInPlaceFactory(as_of=dt.date(2024, 3, 31), amount=Decimal("2e8"))
    first_quarter = FundsInPlaceFactory.build(
        project=last_of_march.project, as_of=dt.date(2024, 1, 1), as_of_precision="quarter", amount=Decimal("3e8")
    )
    with pytest.raises(ValidationError) as caught:
        first_quarter.full_clean()
    assert caught.value.message_dict["amount"] == [
        "Funds in place are cumulative: only 200000000.00 had arrived by the later 2024-03-31."
    ]


def test_full_clean_does_not_order_a_year_and_a_month_inside_it() -> None:
    # "By 2024" may be any day of the year, before or after June: neither figure bounds the other.
    by_2024 = FundsInPlaceFactory(as_of=dt.date(2024, 1, 1), as_of_precision="year", amount=Decimal("3e8"))
    FundsInPlaceFactory.build(
        project=by_2024.project, as_of=dt.date(2024, 6, 1), as_of_precision="month", amount=Decimal("2e8")
    ).full_clean()
    FundsInPlaceFactory.build(
        project=by_2024.project, as_of=dt.date(2024, 6, 1), as_of_precision="month", amount=Decimal("4e8")
    ).full_clean()


def test_full_clean_refuses_a_later_funds_in_place_figure_smaller_than_an_earlier_one() -> None:
    earlier = FundsInPlaceFactory(as_of=dt.date(2024, 3, 31), amount=Decimal("300000000.00"))
    later = FundsInPlaceFactory.build(project=earlier.project, as_of=dt.date(2024, 6, 30), amount=Decimal("2.5e8"))
    with pytest.raises(ValidationError) as caught:
        later.full_clean()
    assert caught.value.message_dict["amount"] == [
        "Funds in place are cumulative: 300000000.00 had already arrived by 2024-03-31."
    ]


@pytest.mark.parametrize("amount", [Decimal("300000000.00"), Decimal("450000000.00")])
def test_full_clean_accepts_a_later_funds_in_place_figure_as_large_or_larger(amount: Decimal) -> None:
    earlier = FundsInPlaceFactory(as_of=dt.date(2024, 3, 31), amount=Decimal("300000000.00"))
    FundsInPlaceFactory.build(project=earlier.project, as_of=dt.date(2024, 6, 30), amount=amount).full_clean()


def test_full_clean_refuses_a_back_dated_funds_in_place_figure_larger_than_a_later_one() -> None:
    later = FundsInPlaceFactory(as_of=dt.date(2024, 6, 30), amount=Decimal("200000000.00"))
    back_dated = FundsInPlaceFactory.build(
        project=later.project, as_of=dt.date(2024, 3, 31), amount=Decimal("300000000.00")
    )
    with pytest.raises(ValidationError):
        back_dated.full_clean()


# --- Participants -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param({"share": Decimal("0")}, "projects_participant_share_percent", id="zero share"),
        pytest.param({"share": Decimal("-5")}, "projects_participant_share_percent", id="negative share"),
        pytest.param({"share": Decimal("100.01")}, "projects_participant_share_percent", id="over 100"),
        pytest.param({"role": "sponsor"}, "projects_participant_role_valid", id="unknown role"),
    ],
)
def test_the_database_refuses_a_participant_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    participant = ParticipantFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Participant.objects.filter(pk=participant.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Participant.objects.bulk_create(
            [ParticipantFactory.build(project=participant.project, company=CompanyFactory(), **changes)]
        )
    assert refusal(caught) == constraint


@pytest.mark.parametrize("share", [Decimal("0.01"), Decimal("51"), Decimal("100")])
def test_a_share_above_zero_and_up_to_a_hundred_percent_is_accepted(share: Decimal) -> None:
    participant = ParticipantFactory()
    assert Participant.objects.filter(pk=participant.pk).update(share=share) == 1


def test_a_project_has_at_most_one_lead_investor() -> None:
    lead = ParticipantFactory(role=Participant.Role.LEAD_INVESTOR)
    investor = ParticipantFactory(project=lead.project)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Participant.objects.filter(pk=investor.pk).update(role=Participant.Role.LEAD_INVESTOR)
    assert refusal(caught) == "projects_participant_one_lead_investor"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Participant.objects.bulk_create(
            [ParticipantFactory.build(project=lead.project, company=CompanyFactory(), role="lead_investor")]
        )
    assert refusal(caught) == "projects_participant_one_lead_investor"


def test_two_projects_may_each_have_their_lead_investor() -> None:
    company = CompanyFactory()
    ParticipantFactory(company=company, role=Participant.Role.LEAD_INVESTOR)
    ParticipantFactory(company=company, role=Participant.Role.LEAD_INVESTOR)
    assert company.participations.count() == 2


def test_a_company_holds_each_role_in_a_project_once() -> None:
    participant = ParticipantFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Participant.objects.bulk_create(
            [ParticipantFactory.build(project=participant.project, company=participant.company)]
        )
    assert refusal(caught) == "projects_participant_unique_role"


def test_full_clean_reports_a_second_lead_investor() -> None:
    lead = ParticipantFactory(role=Participant.Role.LEAD_INVESTOR)
    second = ParticipantFactory.build(project=lead.project, company=CompanyFactory(), role="lead_investor")
    with pytest.raises(ValidationError) as caught:
        second.full_clean()
    assert "A project has at most one lead investor." in caught.value.messages


# --- Follow-ups -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param(
            {"happened_on": dt.date(2024, 7, 2), "next_step_due": dt.date(2024, 7, 1)},
            "projects_followup_due_not_before_date",
            id="due before the follow-up",
        ),
        pytest.param({"action": "\t"}, "projects_followup_action_not_blank", id="blank action"),
    ],
)
def test_the_database_refuses_a_follow_up_that_breaks_a_rule(changes: dict, constraint: str) -> None:
    follow_up = FollowUpFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FollowUp.objects.filter(pk=follow_up.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        FollowUp.objects.bulk_create([FollowUpFactory.build(project=follow_up.project, author=None, **changes)])
    assert refusal(caught) == constraint


@pytest.mark.parametrize("due", [dt.date(2024, 7, 1), None])
def test_a_next_step_may_be_due_the_same_day_or_open(due: dt.date | None) -> None:
    follow_up = FollowUpFactory(happened_on=dt.date(2024, 7, 1))
    assert FollowUp.objects.filter(pk=follow_up.pk).update(next_step_due=due) == 1


def test_an_officer_who_wrote_follow_ups_cannot_be_deleted() -> None:
    follow_up = FollowUpFactory(author=UserFactory())
    with pytest.raises(ProtectedError):
        follow_up.author.delete()


# --- Deleting --------------------------------------------------------------------------------------------------------


def test_a_programme_with_component_projects_cannot_be_deleted() -> None:
    programme = ProjectFactory(kind=Project.Kind.PROGRAMME)
    ProjectFactory(programme=programme)
    with pytest.raises(ProtectedError):
        programme.delete()


def test_deleting_a_project_deletes_what_only_describes_it() -> None:
    project = ProjectFactory()
    MilestoneFactory(project=project)
    FundsInPlaceFactory(project=project)
    participant = ParticipantFactory(project=project)
    FollowUpFactory(project=project)
    FigureFactory(project=project)

    project.delete()

    assert not Milestone.objects.exists()
    assert not FundsInPlace.objects.exists()
    assert not Participant.objects.exists()
    assert not FollowUp.objects.exists()
    assert not Figure.objects.exists()
    assert Company.objects.filter(pk=participant.company_id).exists()
