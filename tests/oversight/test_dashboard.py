"""The dashboard shows the red/yellow list to those who may read the warnings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import CityFactory, CountyFactory, ProjectFactory, ProjectWarningFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def dashboard(client: Client, **query) -> str:
    response = client.get("/dashboard/", query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_lists_open_red_warnings_before_yellow_ones_and_projects_on_hold_apart():
    red = ProjectWarningFactory(project=ProjectFactory(name="Kelun preparations"))
    yellow = ProjectWarningFactory(rule="no_follow_up", level="yellow")
    held = ProjectFactory(name="Held project")
    type(held).objects.filter(pk=held.pk).update(stage="on_hold", stage_reason="Land not ready.")
    on_hold = ProjectWarningFactory(project=held)
    snoozed = ProjectWarningFactory(snoozed_until=timezone.localdate() + dt.timedelta(days=3), snooze_reason="Board.")
    client = Client()
    client.force_login(StaffUserFactory())

    page = dashboard(client)

    active = page.split('data-table="warnings-active"')[1].split("</table>")[0]
    apart = page.split('data-table="warnings-on_hold"')[1].split("</table>")[0]
    assert active.index(f'data-key="{red.pk}"') < active.index(f'data-key="{yellow.pk}"')
    assert f'data-key="{on_hold.pk}"' in apart
    assert f'data-key="{snoozed.pk}"' not in page


def test_the_list_follows_the_dashboard_s_region():
    lishui = CityFactory(code="331100", name="Lishui")
    longquan = CountyFactory(parent=lishui, code="331181")
    inside = ProjectWarningFactory(project=ProjectFactory(region=longquan))
    outside = ProjectWarningFactory()
    client = Client()
    client.force_login(StaffUserFactory())

    page = dashboard(client, region="331181")

    assert f'data-key="{inside.pk}"' in page
    assert f'data-key="{outside.pk}"' not in page


def test_a_visitor_who_is_not_signed_in_is_asked_to_sign_in_for_the_list():
    warning = ProjectWarningFactory()

    page = dashboard(Client())

    assert f'data-key="{warning.pk}"' not in page
    assert 'id="red-yellow-list"' in page
