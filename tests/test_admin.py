"""The Django admin: every model is there, searchable, and its forms catch data-entry mistakes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from http import HTTPStatus
from types import SimpleNamespace

import pghistory.models
import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from companies.models import Company
from figures.models import Figure
from indicators.models import Indicator, Observation
from industries.models import Industry
from projects.models import FollowUp, FundsInPlace, Milestone, Participant, Project
from regions.models import Region
from sources.models import Citation, Source

pytestmark = pytest.mark.django_db

LOCAL_APPS = ("sources", "regions", "industries", "companies", "projects", "figures", "indicators")
# The history event models (django-pghistory) are read through pghistory's own Events admin.
# Rows the database alone writes and reads for a record (a project's search text): nothing a person edits.
DATABASE_ONLY = {"projects.SearchDocument"}
LOCAL_MODELS = [
    model
    for label in LOCAL_APPS
    for model in apps.get_app_config(label).get_models()
    if not issubclass(model, pghistory.models.Event) and model._meta.label not in DATABASE_ONLY
]
INLINE_PREFIXES = ("participants", "milestones", "funds_in_place", "figures", "follow_ups")
# A changelist needs a handful of queries (session, user, count, rows, filters) whatever its length.
MAX_CHANGELIST_QUERIES = 10


def make_records(user) -> SimpleNamespace:
    """A small slice of the Lishui article: places, a firm and its project, with what backs them."""
    china = Region.objects.create(code="CN", name="China", name_zh="中国", level=Region.Level.COUNTRY)
    zhejiang = Region.objects.create(
        code="330000", name="Zhejiang", name_zh="浙江省", level=Region.Level.PROVINCE, parent=china
    )
    lishui = Region.objects.create(
        code="331100", name="Lishui", name_zh="丽水市", level=Region.Level.PREFECTURE_CITY, parent=zhejiang
    )
    liandu = Region.objects.create(
        code="331102",
        name="Liandu District",
        name_zh="莲都区",
        aliases=["Liantou District"],
        level=Region.Level.DISTRICT,
        parent=lishui,
    )
    longquan = Region.objects.create(
        code="331181", name="Longquan", name_zh="龙泉市", level=Region.Level.COUNTY_CITY, parent=lishui
    )
    Region.objects.create(code="331102-BQ", name="Baiqiao Block", level=Region.Level.BLOCK, parent=liandu)
    medicines = Industry.objects.create(
        code="C27", name="Manufacture of medicines", name_zh="医药制造业", scheme=Industry.Scheme.GBT_4754
    )
    Industry.objects.create(
        code="CHAIN-BEAUTY-HEALTH", name="Beautiful and healthy industry", scheme=Industry.Scheme.CHAIN
    )
    source = Source.objects.create(slug="lishui-article", title="Lishui attracts investment")
    citation = Citation.objects.create(
        source=source, locator="L19", quote="Kelun's high-end preparation project officially settled in July 2024."
    )
    kelun = Company.objects.create(
        name="Sichuan Kelun Pharmaceutical Co., Ltd.",
        name_zh="四川科伦药业股份有限公司",
        aliases=["Sichuan Kolen Pharmaceuticals"],
        slug="kelun",
        kind=Company.Kind.ENTERPRISE,
        stock_code="SZ 002422",
    )
    guojing = Company.objects.create(
        name="Zhejiang Guojing Pharmaceutical Co., Ltd.",
        slug="guojing",
        kind=Company.Kind.ENTERPRISE,
        headquarters=longquan,
        parent=kelun,
        parent_since=dt.date(2010, 1, 1),
        parent_since_precision="year",
        parent_citation=citation,
    )
    project = Project.objects.create(
        name="Kelun high-end preparation and health food project",
        slug="kelun-longquan",
        region=longquan,
        planned_investment=Decimal("2000000000"),
        investment_qualifier="exact",
        investment_citation=citation,
        tracked_by=user,
    )
    project.industries.add(medicines)
    Participant.objects.create(project=project, company=kelun, role="lead_investor", citation=citation)
    Milestone.objects.create(
        project=project, stage="landed", date=dt.date(2024, 7, 1), date_precision="month", citation=citation
    )
    FundsInPlace.objects.create(project=project, as_of=dt.date(2024, 12, 31), amount=Decimal("500000000"))
    Figure.objects.create(project=project, metric="jobs", period="2025", value=Decimal("300"), unit="count")
    Figure.objects.create(
        company=guojing, metric="revenue", period="2023", value=Decimal("1000000000"), unit="yuan", qualifier="about"
    )
    FollowUp.objects.create(project=project, happened_on=dt.date(2024, 8, 1), author=user, action="Visited the site.")
    gdp = Indicator.objects.create(code="gdp-growth", name="GDP growth", name_zh="地区生产总值增速", unit="percent")
    Observation.objects.create(region=lishui, indicator=gdp, period="2024", value=Decimal("6.5"), citation=citation)
    return SimpleNamespace(lishui=lishui, liandu=liandu, longquan=longquan, kelun=kelun, project=project)


def add_rows(count: int, records: SimpleNamespace, user) -> None:
    """`count` more rows of every model, each row pointing at related ones as real data does."""
    source = Source.objects.create(slug="bulletin", title="Statistical bulletin", kind="statistical_bulletin")
    indicator = Indicator.objects.create(code="jobs", name="Jobs", unit="count")
    for i in range(count):
        district = Region.objects.create(
            code=f"3311{i + 10:02d}", name=f"District {i}", level=Region.Level.DISTRICT, parent=records.lishui
        )
        Industry.objects.create(code=f"C{2700 + i}", name=f"Medicines {i}", scheme=Industry.Scheme.GBT_4754)
        citation = Citation.objects.create(source=source, locator=f"p. {i}", quote=f"Sentence {i}.")
        company = Company.objects.create(
            name=f"Firm {i}", slug=f"firm-{i}", kind="enterprise", headquarters=district, parent=records.kelun
        )
        project = Project.objects.create(name=f"Project {i}", slug=f"project-{i}", region=district, tracked_by=user)
        Participant.objects.create(project=project, company=company, role="investor", citation=citation)
        Milestone.objects.create(project=project, stage="signed", date=dt.date(2024, 1, 1), citation=citation)
        FundsInPlace.objects.create(project=project, as_of=dt.date(2024, 6, 30), amount=Decimal(i))
        Figure.objects.create(company=company, metric="jobs", period="2024", value=Decimal(i), unit="count")
        FollowUp.objects.create(project=project, happened_on=dt.date(2024, 2, 1), author=user, action="Called.")
        Observation.objects.create(region=district, indicator=indicator, period="2024", value=Decimal(i))


@pytest.fixture
def records(admin_user) -> SimpleNamespace:
    return make_records(admin_user)


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def found(response) -> list[str]:
    return [str(row) for row in response.context["cl"].result_list]


def form_errors(response) -> list:
    """Every error the admin form and its inlines show, for readable assertion messages."""
    if response.context is None or "adminform" not in response.context:
        return []
    errors = [response.context["adminform"].form.errors]
    for inline in response.context["inline_admin_formsets"]:
        errors += [inline.formset.non_form_errors(), *inline.formset.errors]
    return [error for error in errors if error]


def project_form_data(region: Region, **inline_rows: list[dict[str, str]]) -> dict[str, str]:
    """What the browser posts from the project add page, with the given inline rows."""
    data = {
        "name": "Baiqiao beautiful-and-healthy project",
        "slug": "baiqiao-beauty",
        "kind": "project",
        "region": str(region.pk),
        "stage": "conceived",
        "currency": "CNY",
        "planned_investment": "1000000000",
        "investment_qualifier": "more_than",
        "_save": "Save",
    }
    for prefix in INLINE_PREFIXES:
        rows = inline_rows.get(prefix, [])
        data |= {
            f"{prefix}-TOTAL_FORMS": str(len(rows)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data |= {f"{prefix}-{index}-{field}": value for field, value in row.items()}
    return data


def test_every_model_of_the_local_apps_is_registered():
    unregistered = [model._meta.label for model in LOCAL_MODELS if not admin.site.is_registered(model)]
    assert unregistered == []


@pytest.mark.parametrize("model", LOCAL_MODELS, ids=lambda model: model._meta.label)
def test_changelist_add_and_change_pages_open_for_a_superuser(admin_client, records, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == HTTPStatus.OK
    assert admin_client.get(admin_url(model, "add")).status_code == HTTPStatus.OK
    assert admin_client.get(admin_url(model, "change", model.objects.first().pk)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("model", LOCAL_MODELS, ids=lambda model: model._meta.label)
def test_every_record_s_history_page_opens_without_bookkeeping(admin_client, records, model):
    response = admin_client.get(admin_url(model, "history", model.objects.first().pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == HTTPStatus.OK
    assert "pgh_" not in response.content.decode()


@pytest.mark.parametrize("term", ["Liantou District", "莲都", "liantou"])
def test_region_search_finds_liandu_by_alias_and_chinese_name(admin_client, records, term):
    response = admin_client.get(admin_url(Region, "changelist"), {"q": term})
    assert found(response) == [str(records.liandu)]


def test_region_changelist_links_each_row_to_its_children(admin_client, records):
    response = admin_client.get(admin_url(Region, "changelist"))
    assert f'?parent__id__exact={records.lishui.pk}">2</a>' in response.content.decode()
    children = admin_client.get(admin_url(Region, "changelist"), {"parent__id__exact": records.lishui.pk})
    assert found(children) == [str(records.liandu), str(records.longquan)]


def test_company_search_finds_kelun_by_the_articles_spelling(admin_client, records):
    response = admin_client.get(admin_url(Company, "changelist"), {"q": "Kolen"})
    assert found(response) == [str(records.kelun)]


def test_company_autocomplete_finds_kelun_by_alias(admin_client, records):
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "Kolen", "app_label": "projects", "model_name": "participant", "field_name": "company"},
    )
    assert [result["text"] for result in response.json()["results"]] == [str(records.kelun)]


def test_project_search_matches_the_region_name(admin_client, records):
    response = admin_client.get(admin_url(Project, "changelist"), {"q": "龙泉"})
    assert found(response) == [str(records.project)]


def test_project_change_page_shows_every_inline(admin_client, records):
    response = admin_client.get(admin_url(Project, "change", records.project.pk))
    content = response.content.decode()
    for prefix in INLINE_PREFIXES:
        assert f'name="{prefix}-TOTAL_FORMS"' in content, prefix


def test_saving_a_project_with_a_participant_and_an_actual_milestone_moves_its_stage(admin_client, records):
    data = project_form_data(
        records.liandu,
        participants=[{"company": str(records.kelun.pk), "role": "investor"}],
        milestones=[{"stage": "signed", "date": "2023-01-01", "date_precision": "year"}],
    )
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    project = Project.objects.get(slug="baiqiao-beauty")
    assert list(project.participants.values_list("company__slug", "role")) == [("kelun", "investor")]
    assert list(project.milestones.values_list("stage", "is_planned")) == [("signed", False)]
    assert project.stage == "signed"


def test_a_follow_up_saved_without_author_is_signed_by_the_user_who_saves_it(admin_client, admin_user, records):
    data = project_form_data(records.liandu, follow_ups=[{"happened_on": "2024-08-02", "action": "Met the investor."}])
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    assert FollowUp.objects.get(action="Met the investor.").author == admin_user


def test_a_second_lead_investor_is_refused_by_the_form(admin_client, records):
    lead = {"company": str(records.kelun.pk), "role": "lead_investor"}
    other = Company.objects.get(slug="guojing")
    data = project_form_data(records.liandu, participants=[lead, {**lead, "company": str(other.pk)}])
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "A project has at most one lead investor." in str(form_errors(response))
    assert not Project.objects.filter(slug="baiqiao-beauty").exists()


def funds_row(as_of: str, amount: str, precision: str = "day") -> dict[str, str]:
    """A funds-in-place inline row as the browser posts it (the precision list starts at "day")."""
    return {"as_of": as_of, "as_of_precision": precision, "amount": amount, "currency": "CNY", "qualifier": "exact"}


def test_funds_in_place_entered_together_must_not_shrink(admin_client, records):
    data = project_form_data(
        records.liandu, funds_in_place=[funds_row("2024-06-30", "300"), funds_row("2024-12-31", "200")]
    )
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "Funds in place are cumulative" in str(form_errors(response))


def test_funds_in_place_typed_as_a_month_are_saved_at_month_precision(admin_client, records):
    data = project_form_data(records.liandu, funds_in_place=[funds_row("2024-03", "3亿"), funds_row("2025", "5亿")])
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    funds = Project.objects.get(slug="baiqiao-beauty").funds_in_place.values_list("as_of", "as_of_precision", "amount")
    assert list(funds) == [
        (dt.date(2024, 3, 1), "month", Decimal("300000000.00")),
        (dt.date(2025, 1, 1), "year", Decimal("500000000.00")),
    ]


def test_funds_by_a_month_entered_with_less_by_the_next_day_are_refused_by_the_form(admin_client, records):
    data = project_form_data(
        records.liandu, funds_in_place=[funds_row("2024-03", "300"), funds_row("2024-04-01", "200")]
    )
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "Funds in place are cumulative: 200.00 by 2024-04-01 is less than 300.00 by 2024-03." in str(
        form_errors(response)
    )


def test_funds_by_a_year_and_by_a_month_inside_it_are_not_ordered_by_the_form(admin_client, records):
    data = project_form_data(records.liandu, funds_in_place=[funds_row("2024", "300"), funds_row("2024-06", "200")])
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)


def test_the_funds_in_place_form_accepts_a_month_and_opens_it_again_as_typed(admin_client, records):
    data = {
        "project": str(records.project.pk),
        "as_of": "2024-03",
        "as_of_precision": "day",
        "amount": "2亿",
        "currency": "CNY",
        "qualifier": "exact",
        "_save": "Save",
    }
    response = admin_client.post(admin_url(FundsInPlace, "add"), data)
    assert response.status_code == HTTPStatus.FOUND, form_errors(response)
    funds = FundsInPlace.objects.get(project=records.project, as_of_precision="month")
    assert funds.as_of == dt.date(2024, 3, 1)
    form = admin_client.get(admin_url(FundsInPlace, "change", funds.pk)).context["adminform"].form
    assert form.initial["as_of"] == "2024-03"


def test_lists_show_milestones_and_funds_in_place_dated_as_typed(admin_client, records):
    FundsInPlace.objects.create(
        project=records.project, as_of=dt.date(2024, 3, 1), as_of_precision="month", amount=Decimal("2e8")
    )
    milestone_list = admin_client.get(admin_url(Milestone, "changelist")).content.decode()
    funds_list = admin_client.get(admin_url(FundsInPlace, "changelist")).content.decode()
    assert '<td class="field-date_as_typed">2024-07</td>' in milestone_list
    assert '<td class="field-as_of_as_typed">2024-03</td>' in funds_list


def test_two_identical_figures_are_refused_by_the_form(admin_client, records):
    figure = {"metric": "jobs", "period": "2025", "value": "300", "unit": "count", "qualifier": "exact"}
    data = project_form_data(records.liandu, figures=[figure, {**figure, "value": "400"}])
    response = admin_client.post(admin_url(Project, "add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "Two figures give the same metric for the same period" in str(form_errors(response))


def test_a_region_code_that_does_not_fit_its_level_is_refused_by_the_form(admin_client, records):
    data = {"code": "331103", "name": "Wrong", "level": "prefecture_city", "parent": str(records.lishui.pk)}
    response = admin_client.post(admin_url(Region, "add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "code" in response.context["adminform"].form.errors
    assert not Region.objects.filter(code="331103").exists()


@pytest.mark.parametrize("rows", [3, 30])
def test_changelist_queries_do_not_grow_with_rows(
    admin_client, admin_user, records, django_assert_max_num_queries, rows
):
    add_rows(rows, records, admin_user)
    for model in LOCAL_MODELS:
        with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES, info=model._meta.label):
            response = admin_client.get(admin_url(model, "changelist"))
        assert response.status_code == HTTPStatus.OK, model._meta.label
