"""The red/yellow list in the API: who reads it, how it is filtered, and snoozing and resolving with If-Match."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import RegionAssignment
from accounts.roles import GROUP_NAMES, Role
from oversight.models import ProjectWarning, WarningRule
from tests.contract import CRUDContract, client_for, error_of
from tests.factories import (
    CityFactory,
    CountyFactory,
    ProjectFactory,
    ProjectWarningFactory,
    RegionFactory,
    StaffUserFactory,
    WarningRuleFactory,
)

pytestmark = pytest.mark.django_db

WARNINGS = "/api/v1/warnings/"
RULES = "/api/v1/warning-rules/"


def user_with(role: Role, *regions):
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    for region in regions:
        RegionAssignment.objects.create(user=user, region=region)
    return user


def viewer():
    return client_for(StaffUserFactory())


def snooze(client, warning, body, **headers):
    return client.post(f"{WARNINGS}{warning.pk}/snooze/", body, format="json", headers=headers)


def etag(client, warning) -> dict[str, str]:
    return {"If-Match": client.get(f"{WARNINGS}{warning.pk}/")["ETag"]}


def in_a_week() -> str:
    return (timezone.localdate() + dt.timedelta(days=7)).isoformat()


class TestWarningRulesAPI(CRUDContract):
    basename = "warning-rule"
    factory = WarningRuleFactory
    update_data = {"months": 18}
    invalid_data = {"days": 5}
    invalid_field = "days"

    def create_data(self):
        return {"region": RegionFactory().code, "code": "low_funds", "level": "red", "months": 6, "share_percent": "20"}


def test_a_regional_editor_may_not_set_a_rule_even_in_their_region():
    county = CountyFactory()
    editor = client_for(user_with(Role.REGIONAL_EDITOR, county))

    response = editor.post(RULES, {"region": county.code, "code": "no_follow_up", "level": "yellow", "days": 30})

    assert response.status_code == 403
    assert not WarningRule.objects.exists()


def test_a_rule_states_exactly_the_parameters_its_code_reads():
    admin = client_for(user_with(Role.BUREAU_ADMIN))
    region = RegionFactory().code

    missing = admin.post(RULES, {"region": region, "code": "low_funds", "level": "red", "months": 6}, format="json")
    twice = admin.post(RULES, {"region": region, "code": "no_follow_up", "level": "red", "days": 9}, format="json")
    again = admin.post(RULES, {"region": region, "code": "no_follow_up", "level": "red", "days": 9}, format="json")

    assert missing.status_code == 400
    assert list(error_of(missing)["fields"]) == ["share_percent"]
    assert twice.status_code == 201
    assert again.status_code == 400  # one rule per region and code


def test_the_warnings_are_for_signed_in_readers():
    ProjectWarningFactory()

    assert client_for().get(WARNINGS).status_code == 401
    assert viewer().get(WARNINGS).json()["count"] == 1


def test_the_list_filters_by_level_rule_region_subtree_stage_officer_and_hold():
    city = CityFactory()
    county, elsewhere = CountyFactory(parent=city), CountyFactory(parent=city)
    officer = StaffUserFactory(username="wang-officer")
    held = ProjectFactory(region=county, tracked_by=officer)
    ProjectFactory._meta.model.objects.filter(pk=held.pk).update(stage="on_hold", stage_reason="Land not ready.")
    red = ProjectWarningFactory(project=held)
    yellow = ProjectWarningFactory(project=ProjectFactory(region=elsewhere), rule="no_follow_up", level="yellow")
    client = viewer()

    def ids(**query):
        return [row["id"] for row in client.get(WARNINGS, query).json()["results"]]

    assert ids() == [red.pk, yellow.pk]  # red first
    assert ids(level="yellow") == ids(rule="no_follow_up") == [yellow.pk]
    assert ids(region=city.code) == [red.pk, yellow.pk]  # the city holds both counties
    assert ids(region=county.code) == ids(stage="on_hold") == ids(officer="wang-officer") == [red.pk]
    assert ids(on_hold="true") == [red.pk]
    assert ids(on_hold="false") == [yellow.pk]
    row = client.get(f"{WARNINGS}{red.pk}/").json()
    assert (row["on_hold"], row["stage"], row["officer"], row["region"]["code"]) == (
        True,
        "on_hold",
        "wang-officer",
        county.code,
    )


def test_a_snooze_needs_the_etag_a_reason_and_a_later_date():
    warning = ProjectWarningFactory()
    admin = client_for(user_with(Role.BUREAU_ADMIN))
    body = {"until": in_a_week(), "reason": "The investor's board meets next week."}

    without = snooze(admin, warning, body)
    stale = snooze(admin, warning, body, **{"If-Match": '"0"'})
    no_reason = snooze(admin, warning, {"until": in_a_week(), "reason": " "}, **etag(admin, warning))
    today = snooze(admin, warning, {**body, "until": timezone.localdate().isoformat()}, **etag(admin, warning))

    assert [r.status_code for r in (without, stale, no_reason, today)] == [428, 412, 400, 400]
    assert ProjectWarning.objects.get().snoozed_until is None


def test_a_snoozed_warning_says_so_until_its_date_and_then_comes_back_by_itself():
    warning = ProjectWarningFactory()
    user = user_with(Role.BUREAU_ADMIN)
    admin = client_for(user)

    response = snooze(
        admin, warning, {"until": in_a_week(), "reason": "Board meets next week."}, **etag(admin, warning)
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == admin.get(f"{WARNINGS}{warning.pk}/")["ETag"]
    assert (response.json()["snoozed"], response.json()["snoozed_by"]) == (True, user.username)
    assert [row["id"] for row in admin.get(WARNINGS, {"snoozed": "false"}).json()["results"]] == []
    ProjectWarning.objects.update(snoozed_until=timezone.localdate() - dt.timedelta(days=1))
    assert admin.get(f"{WARNINGS}{warning.pk}/").json()["snoozed"] is False
    assert [row["id"] for row in admin.get(WARNINGS, {"snoozed": "false"}).json()["results"]] == [warning.pk]


def test_lifting_a_snooze_brings_the_warning_back_at_once_and_needs_a_snooze_and_the_etag():
    warning = ProjectWarningFactory()
    admin = client_for(user_with(Role.BUREAU_ADMIN))
    unsnooze = f"{WARNINGS}{warning.pk}/unsnooze/"
    not_snoozed = admin.post(unsnooze, headers=etag(admin, warning))
    snooze(admin, warning, {"until": in_a_week(), "reason": "Board meets next week."}, **etag(admin, warning))

    without = admin.post(unsnooze)
    response = admin.post(unsnooze, headers=etag(admin, warning))

    assert admin.get(f"{WARNINGS}{warning.pk}/").json()["snoozed"] is False  # no snooze date: false, not null
    assert (not_snoozed.status_code, without.status_code) == (400, 428)
    assert list(error_of(not_snoozed)["fields"]) == ["snoozed_until"]
    assert response.status_code == 200, response.json()
    assert (response.json()["snoozed"], response.json()["snoozed_until"], response.json()["snooze_reason"]) == (
        False, None, "",
    )  # fmt: skip
    assert [row["id"] for row in admin.get(WARNINGS, {"snoozed": "false"}).json()["results"]] == [warning.pk]
    assert viewer().post(unsnooze, headers={"If-Match": "*"}).status_code == 403


def test_resolving_closes_the_warning_and_names_who_did():
    warning = ProjectWarningFactory()
    user = user_with(Role.BUREAU_ADMIN)
    admin = client_for(user)

    response = admin.post(f"{WARNINGS}{warning.pk}/resolve/", headers=etag(admin, warning))
    again = admin.post(f"{WARNINGS}{warning.pk}/resolve/", headers=etag(admin, warning))

    assert response.status_code == 200
    assert response.json()["resolved_by"] == user.username
    assert admin.get(WARNINGS, {"resolved": "false"}).json()["count"] == 0
    assert again.status_code == 400


def test_a_regional_editor_snoozes_the_warnings_of_their_regions_only():
    home, away = CountyFactory(), CountyFactory()
    editor = client_for(user_with(Role.REGIONAL_EDITOR, home))
    mine = ProjectWarningFactory(project=ProjectFactory(region=home))
    theirs = ProjectWarningFactory(project=ProjectFactory(region=away))
    body = {"until": in_a_week(), "reason": "Waiting for the land survey."}

    assert snooze(editor, mine, body, **etag(editor, mine)).status_code == 200
    assert snooze(editor, theirs, body, **etag(editor, theirs)).status_code == 403
    assert snooze(viewer(), mine, body, **{"If-Match": "*"}).status_code == 403


def test_warnings_cannot_be_created_changed_or_deleted_through_the_api():
    warning = ProjectWarningFactory()
    admin = client_for(user_with(Role.BUREAU_ADMIN))

    statuses = [
        admin.post(WARNINGS, {}, format="json").status_code,
        admin.patch(
            f"{WARNINGS}{warning.pk}/", {"level": "yellow"}, format="json", headers={"If-Match": "*"}
        ).status_code,
        admin.delete(f"{WARNINGS}{warning.pk}/", headers={"If-Match": "*"}).status_code,
    ]

    assert statuses == [405, 405, 405]


def test_the_red_yellow_list_exports_as_csv():
    ProjectWarningFactory(project=ProjectFactory(name="Kelun preparations"))

    response = viewer().get(WARNINGS, {"format": "csv", "resolved": "false"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    assert response["Content-Disposition"] == 'attachment; filename="warnings.csv"'
    assert "evidence.signed_on" in header.split(",")
    assert "Kelun preparations" in row
