"""The admin's screens for warnings: staff snooze a warning there, with a reason and a date; nobody adds one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from oversight.models import ProjectWarning, SigningEvent
from tests.admin_forms import posted_back
from tests.factories import CityFactory, CountyFactory, ProjectFactory, ProjectWarningFactory, WarningRuleFactory

pytestmark = pytest.mark.django_db


def change_url(warning) -> str:
    return reverse("admin:oversight_projectwarning_change", args=[warning.pk])


def test_snoozing_in_the_admin_records_who_snoozed(admin_client, admin_user):
    warning = ProjectWarningFactory()
    until = timezone.localdate() + dt.timedelta(days=14)
    page = admin_client.get(change_url(warning))

    response = admin_client.post(
        change_url(warning), posted_back(page, snoozed_until=until.isoformat(), snooze_reason="Board meets.")
    )

    assert response.status_code == 302
    warning.refresh_from_db()
    assert (warning.snoozed_until, warning.snooze_reason, warning.snoozed_by) == (until, "Board meets.", admin_user)


def test_a_snooze_without_a_reason_is_refused(admin_client):
    warning = ProjectWarningFactory()
    page = admin_client.get(change_url(warning))
    until = (timezone.localdate() + dt.timedelta(days=14)).isoformat()

    response = admin_client.post(change_url(warning), posted_back(page, snoozed_until=until, snooze_reason=""))

    assert response.status_code == 200
    assert ProjectWarning.objects.get().snoozed_until is None


def test_warnings_are_not_added_by_hand_but_rules_are(admin_client):
    assert admin_client.get(reverse("admin:oversight_projectwarning_add")).status_code == 403
    assert admin_client.get(reverse("admin:oversight_warningrule_add")).status_code == 200
    rule = WarningRuleFactory()
    assert admin_client.get(reverse("admin:oversight_warningrule_change", args=[rule.pk])).status_code == 200


def test_a_signing_event_is_recorded_in_the_admin_with_the_projects_signed_at_it(admin_client):
    city = CityFactory()
    inside, outside = ProjectFactory(region=CountyFactory(parent=city)), ProjectFactory()
    add = reverse("admin:oversight_signingevent_add")
    page = admin_client.get(add)
    body = posted_back(page, name="春季集中签约", date="2024-04-18", region=str(city.pk))
    prefix = "memberships"

    refused = admin_client.post(add, {**body, f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-project": str(outside.pk)})
    saved = admin_client.post(add, {**body, f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-project": str(inside.pk)})

    assert refused.status_code == 200  # the form again: the project lies outside the city
    assert saved.status_code == 302
    event = SigningEvent.objects.get()
    assert list(event.memberships.values_list("project", flat=True)) == [inside.pk]
    changelist = admin_client.get(reverse("admin:oversight_signingevent_changelist"))
    assert "春季集中签约" in changelist.content.decode()
