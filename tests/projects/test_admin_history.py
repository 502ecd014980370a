"""A project's history in the admin, as a clerk reads it (issue 21, item 8): who, when, which record (the
project, or its milestone, funds in place, participant, ...), and each field changed by its translated
label, before → after, in words; creations and deletions as such; no bookkeeping (`pgh_*`, versions,
`opened_version`, timestamps, derived filter keys)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from pghistory.models import Events

from projects.models import Milestone, Project
from tests.admin_forms import submitted
from tests.factories import (
    CompanyFactory,
    FundsInPlaceFactory,
    MilestoneFactory,
    ParticipantFactory,
    ProjectFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(client):
    """A bureau clerk (a superuser here: who may read what is tested elsewhere), reading Chinese."""
    user = StaffUserFactory(username="wang.fang", first_name="Fang", last_name="Wang", is_superuser=True)
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def change_page(client, project: Project):
    return client.get(reverse("admin:projects_project_change", args=[project.pk]))


def history_text(client, project: Project) -> str:
    """The history page's text as it reads on screen: tags dropped, spaces collapsed."""
    response = client.get(reverse("admin:projects_project_history", args=[project.pk]))
    assert response.status_code == 200
    body = response.content.decode().split('<div id="content-main">', 1)[1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).replace(" :", ":")


def milestone_row(page, milestone: Milestone) -> str:
    formset = next(
        inline.formset for inline in page.context["inline_admin_formsets"] if inline.formset.model is Milestone
    )
    return next(form.prefix for form in formset.forms if form.instance.pk == milestone.pk)


def test_a_clerk_reads_who_changed_the_amount_and_the_milestone_date_by_their_chinese_labels(clerk):
    project = ProjectFactory(name="Kelun health food park", planned_investment=Decimal("2000000000.00"))
    milestone = MilestoneFactory(project=project, date=dt.date(2024, 7, 1), date_precision="month", is_planned=True)
    page = change_page(clerk, project)
    row = milestone_row(page, milestone)
    response = clerk.post(
        page.request["PATH_INFO"], submitted(page, planned_investment="25亿", **{f"{row}-date": "2024-Q3"})
    )
    assert response.status_code == 302, response.context and response.context["errors"]

    text = history_text(clerk, project)
    assert "Wang Fang" in text or "Fang Wang" in text
    assert "修改 投资项目: Kelun health food park" in text
    assert "总投资: 2,000,000,000.00 (20.00 亿元) → 2,500,000,000.00 (25.00 亿元)" in text
    assert "修改 里程碑: 签约, 2024-Q3" in text
    assert "日期: 2024-07 → 2024-Q3" in text
    assert "日期精度" not in text  # the precision shows with the date, as it is typed
    latest = Events.objects.tracks(milestone).order_by("-pgh_id").first()
    with translation.override("zh-hans"):
        assert date_format(localtime(latest.pgh_created_at), "DATETIME_FORMAT") in text


def test_the_history_shows_no_bookkeeping(clerk):
    project = ProjectFactory(planned_investment=Decimal("2000000000.00"))
    MilestoneFactory(project=project)
    page = change_page(clerk, project)
    clerk.post(page.request["PATH_INFO"], submitted(page, description="Phase one."))
    text = history_text(clerk, project)
    assert "说明: — → Phase one." in text
    for bookkeeping in (
        "pgh_",
        "opened_version",
        "version",
        "版本",
        "updated_at",
        "更新时间",
        "region_codes",
        "区域代码",
    ):
        assert bookkeeping not in text


def test_a_participant_added_and_one_removed_read_as_created_and_deleted_with_the_company_s_name(clerk):
    project = ProjectFactory()
    leaving = ParticipantFactory(project=project, company=CompanyFactory(name="Zhejiang Leaving Co"))
    ParticipantFactory(project=project, company=CompanyFactory(name="Zhejiang Arriving Co"), role="lead_investor")
    leaving.delete()
    text = history_text(clerk, project)
    assert "新建 参与方: Zhejiang Arriving Co, 主投资方" in text
    assert "删除 参与方: Zhejiang Leaving Co, 投资方" in text


def test_funds_in_place_read_in_yuan_and_yi(clerk):
    project = ProjectFactory()
    funds = FundsInPlaceFactory(project=project, as_of=dt.date(2024, 10, 1), amount=Decimal("300000000.00"))
    funds.amount = Decimal("350000000.50")
    funds.save()
    text = history_text(clerk, project)
    assert "300,000,000.00 (3.00 亿元) → 350,000,000.50 (≈ 3.50 亿元)" in text


def test_a_programme_s_history_leaves_out_the_projects_in_it(clerk):
    programme = ProjectFactory(name="Health food cluster", kind="programme")
    ProjectFactory(name="A project of the cluster", programme=programme)
    text = history_text(clerk, programme)
    assert "Health food cluster" in text
    assert "A project of the cluster" not in text
