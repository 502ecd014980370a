"""Writes that change nothing (issue 20, item 7): an empty PATCH, a PATCH or PUT with the values the
record already has, an admin save that leaves an inline untouched. None raises the version (every
other client's ETag stays good: no 412 for nothing) and none writes a history event.

The version is raised and the history written by database triggers on UPDATE, so "nothing changes"
means "no UPDATE": the API compares the validated values with the record before saving
(`api.viewsets.changes_anything`), and the admin's inline forms compare a date typed at its
precision (`2024-07`) with the date and precision stored (`core.forms.PartialDateField.has_changed`).

Issue 21, item 7: the admin still rewrote a record and its inline rows when saved as a browser posts
them. A browser sends a textarea's line breaks as CRLF, so a note stored with LF (by the API, an import,
the seed) compared as changed (`core.forms.MultilineTextField` now reads CRLF as LF); and the record
itself was saved whatever its form said, its hidden `opened_version` always counting as a change
(`core.admin.TrackerModelAdmin.save_model`). These tests post what the page's HTML holds, as a browser
does (`tests.admin_forms.submitted`), not the form objects' values.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pghistory.models import Events

from accounts.roles import GROUP_NAMES, Role
from projects.models import Milestone, Project
from tests.admin_forms import submitted
from tests.contract import client_for
from tests.factories import (
    CitationFactory,
    FigureFactory,
    FollowUpFactory,
    FundsInPlaceFactory,
    IndustryFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api():
    user = StaffUserFactory()
    user.groups.add(Group.objects.get(name=GROUP_NAMES[Role.BUREAU_ADMIN]))
    return client_for(user)


@pytest.fixture
def project():
    project = ProjectFactory(planned_investment=Decimal("2000000000.00"), description="Health food park.")
    project.industries.set([IndustryFactory(), IndustryFactory()])
    return project


def version(record) -> int:
    return type(record).objects.values_list("version", flat=True).get(pk=record.pk)


def events(record) -> int:
    """How many history events the record and what hangs from it have."""
    return Events.objects.references(record).count()


def url_of(project: Project) -> str:
    return f"/api/v1/projects/{project.pk}/"


def send(client, method: str, url: str, body: dict[str, Any]):
    read = client.get(url)
    return read, getattr(client, method)(url, body, format="json", headers={"if-match": read["ETag"]})


def the_record_as_read(client, url: str) -> dict[str, Any]:
    """A detail as a PUT sends it back: keys for related records, read-only fields left in (ignored)."""
    body = client.get(url).json()
    body["region"] = body["region"]["code"]
    body["programme"] = body["programme"] and body["programme"]["id"]
    return body


UNCHANGED = {
    "an empty PATCH": lambda project: {},
    "the same name": lambda project: {"name": project.name},
    "the same amount written differently": lambda project: {"planned_investment": "2000000000"},
    "the same industries in another order": lambda project: {
        "industries": sorted(project.industries.values_list("code", flat=True), reverse=True)
    },
    "the same region": lambda project: {"region": project.region.code},
}


@pytest.mark.parametrize("body", UNCHANGED.values(), ids=UNCHANGED.keys())
def test_a_patch_that_changes_nothing_keeps_the_version_and_writes_no_history(admin_api, project, body):
    before, history = version(project), events(project)
    read, response = send(admin_api, "patch", url_of(project), body(project))
    assert response.status_code == 200, response.json()
    assert response["ETag"] == read["ETag"] == f'"{before}"'
    assert response.json() == read.json()
    assert (version(project), events(project)) == (before, history)


def test_a_put_of_the_record_as_read_keeps_the_version_and_writes_no_history(admin_api, project):
    before, history = version(project), events(project)
    url = url_of(project)
    response = admin_api.put(
        url, the_record_as_read(admin_api, url), format="json", headers={"if-match": f'"{before}"'}
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == f'"{before}"'
    assert (version(project), events(project)) == (before, history)


def test_a_client_holding_the_etag_can_still_write_after_someone_saved_nothing(admin_api, project):
    """The point of it: a colleague's empty save must not turn everyone else's next write into a 412."""
    url = url_of(project)
    held = admin_api.get(url)["ETag"]
    send(admin_api, "patch", url, {"name": project.name})
    response = admin_api.patch(url, {"name": "Renamed"}, format="json", headers={"if-match": held})
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize(
    "body",
    [{"name": "Renamed"}, {"planned_investment": "2000000000.01"}, {"industries": []}],
    ids=["a name", "a cent", "fewer industries"],
)
def test_a_patch_that_changes_one_value_raises_the_version_once_and_writes_one_event(admin_api, project, body):
    before, history = version(project), events(project)
    _read, response = send(admin_api, "patch", url_of(project), body)
    assert response.status_code == 200, response.json()
    assert version(project) == before + 1
    assert response["ETag"] == f'"{before + 1}"'
    assert events(project) > history


def test_a_sub_resource_patch_that_changes_nothing_keeps_its_version(admin_api):
    milestone = MilestoneFactory(is_planned=True, note="At the fair.")
    url = f"/api/v1/projects/{milestone.project_id}/milestones/{milestone.pk}/"
    before, history = version(milestone), events(milestone)
    _read, response = send(admin_api, "patch", url, {"note": "At the fair.", "is_planned": True})
    assert response.status_code == 200, response.json()
    assert (version(milestone), events(milestone)) == (before, history)


#
# The admin: a project saved with its inlines untouched
#


def change_page(admin_client, project: Project):
    return admin_client.get(reverse("admin:projects_project_change", args=[project.pk]))


DATES = {
    "day": dt.date(2024, 7, 15),
    "month": dt.date(2024, 7, 1),
    "quarter": dt.date(2024, 7, 1),
    "year": dt.date(2024, 1, 1),
}


@pytest.mark.parametrize(("precision", "date"), DATES.items(), ids=DATES.keys())
def test_an_admin_save_that_leaves_the_inlines_untouched_does_not_write_them(admin_client, precision, date):
    project = ProjectFactory()
    rows = [
        MilestoneFactory(project=project, date=date, date_precision=precision, is_planned=True, note="Fair."),
        ParticipantFactory(project=project),
        FundsInPlaceFactory(project=project, amount=Decimal("300000000.00")),
        FigureFactory(project=project),
        FollowUpFactory(project=project),
    ]
    before = [(version(row), events(row)) for row in rows]
    page = change_page(admin_client, project)
    response = admin_client.post(page.request["PATH_INFO"], submitted(page, description="Changed on the page."))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Project.objects.get(pk=project.pk).description == "Changed on the page."
    assert [(version(row), events(row)) for row in rows] == before


def test_an_admin_save_that_changes_a_milestone_writes_it(admin_client):
    project = ProjectFactory()
    milestone = MilestoneFactory(project=project, date=dt.date(2024, 7, 1), date_precision="month", is_planned=True)
    page = change_page(admin_client, project)
    prefix = page.context["inline_admin_formsets"][1].formset.prefix
    assert page.context["inline_admin_formsets"][1].formset.model is Milestone
    response = admin_client.post(page.request["PATH_INFO"], submitted(page, **{f"{prefix}-0-date": "2024-Q3"}))
    assert response.status_code == 302, response.context and response.context["errors"]
    milestone.refresh_from_db()
    assert (milestone.date, milestone.date_precision, milestone.version) == (dt.date(2024, 7, 1), "quarter", 2)


def a_project_as_clerks_keep_it() -> tuple[Project, list]:
    """A project with notes of several lines (as the API, imports and the seed store them: LF) on itself
    and on each kind of row its change page shows."""
    project = ProjectFactory(
        description="Health food park.\nPhase one: 120 mu.",
        aliases=["Kelun park", "Longquan health food"],
        planned_investment=Decimal("2000000000.00"),
    )
    project.industries.set([IndustryFactory(), IndustryFactory()])
    citation = CitationFactory()
    rows = [
        MilestoneFactory(
            project=project,
            date=dt.date(2024, 7, 1),
            date_precision="month",
            is_planned=True,
            note="Announced at the fair.\nSigning planned.",
            citation=citation,
        ),
        MilestoneFactory(project=project, stage="landed", date=dt.date(2024, 9, 15)),
        ParticipantFactory(
            project=project, share=Decimal("25.50"), note="Lead.\nThrough its subsidiary.", citation=citation
        ),
        FundsInPlaceFactory(
            project=project, as_of=dt.date(2024, 10, 1), amount=Decimal("300000000.00"), citation=citation
        ),
        FundsInPlaceFactory(project=project, as_of=dt.date(2024, 12, 31), amount=Decimal("350000000.50")),
        FigureFactory(project=project, formula="revenue\nfrom the annual report"),
        FollowUpFactory(project=project, action="Visited the site.\nMet the investor.", next_step="Call back.\nSoon."),
    ]
    return project, rows


def written(records) -> list[tuple[int, int]]:
    """Each record's version and how many history events it has of its own."""
    return [(version(record), Events.objects.tracks(record).count()) for record in records]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_saving_a_project_page_as_the_browser_posts_it_writes_neither_the_project_nor_its_rows(admin_client, language):
    admin_client.cookies["django_language"] = language
    project, rows = a_project_as_clerks_keep_it()
    before = written([project, *rows])
    page = change_page(admin_client, project)
    response = admin_client.post(page.request["PATH_INFO"], submitted(page))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert written([project, *rows]) == before


def test_changing_one_milestone_s_note_writes_that_milestone_alone(admin_client):
    project, rows = a_project_as_clerks_keep_it()
    milestone, others = rows[0], rows[1:]
    before = written([project, *others])
    page = change_page(admin_client, project)
    formset = page.context["inline_admin_formsets"][1].formset
    assert formset.model is Milestone
    row = next(form.prefix for form in formset.forms if form.instance.pk == milestone.pk)
    changed = submitted(page, **{f"{row}-note": "Announced at the fair.\r\nSigned on 15 July."})
    response = admin_client.post(page.request["PATH_INFO"], changed)
    assert response.status_code == 302, response.context and response.context["errors"]
    milestone.refresh_from_db()
    assert (milestone.note, milestone.version) == ("Announced at the fair.\nSigned on 15 July.", 2)
    assert written([project, *others]) == before


def test_changing_the_project_alone_writes_it_once_and_none_of_its_rows(admin_client):
    project, rows = a_project_as_clerks_keep_it()
    before, rows_before = written([project]), written(rows)
    page = change_page(admin_client, project)
    response = admin_client.post(page.request["PATH_INFO"], submitted(page, name="Kelun health food park"))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert written([project]) == [(before[0][0] + 1, before[0][1] + 1)]
    assert written(rows) == rows_before
