"""The warning of a breached commitment (issues 22 and 23): an investment agreement's promise that a period's
actuals did not keep is red on the red/yellow list, whatever the project's stage, until the verdict changes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oversight.models import ProjectWarning
from oversight.services import evaluate_warnings
from tests.factories import CommitmentFactory, CommitmentObservationFactory, ProjectFactory, WarningRuleFactory
from tests.oversight.conftest import open_warnings

pytestmark = pytest.mark.django_db


def breached_project():
    """50 mu, at least 30万元 of tax per mu a year from 2024; 2024's tax 1,200万元 is 24万元 a mu: a breach."""
    project = ProjectFactory(stage="in_production")
    CommitmentObservationFactory(commitment=CommitmentFactory(project=project), period="2024")
    return project


def test_a_breached_commitment_is_red_with_the_kinds_and_periods_that_failed(today):
    project = breached_project()

    evaluate_warnings(today=today)

    assert ("commitment_breached", "red") in open_warnings(project)
    evidence = ProjectWarning.objects.get(project=project, rule="commitment_breached").evidence
    assert evidence["breaches"] == 1
    assert evidence["kinds"] == ["tax_per_mu"]
    assert evidence["periods"] == ["2024"]


def test_a_kept_commitment_raises_nothing_and_a_corrected_actual_resolves_the_warning(today):
    project = breached_project()
    evaluate_warnings(today=today)
    observation = project.commitments.get().observations.get()

    observation.value = Decimal("1500.0000")  # 30万元 a mu: kept
    observation.save()
    evaluate_warnings(today=today)

    assert ("commitment_breached", "red") not in open_warnings(project)
    warning = ProjectWarning.objects.get(project=project, rule="commitment_breached")
    assert warning.resolved_at is not None


def test_a_region_may_make_it_yellow_or_switch_it_off_for_its_subtree(today):
    project = breached_project()
    rule = WarningRuleFactory(region=project.region, code="commitment_breached", level="yellow", months=None)
    evaluate_warnings(today=today)
    assert ("commitment_breached", "yellow") in open_warnings(project)

    rule.is_active = False
    rule.save()
    evaluate_warnings(today=today)
    assert not any(code == "commitment_breached" for code, _level in open_warnings(project))
