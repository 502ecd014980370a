"""The admin keeps the API's rules (issue 5, points 2-3): a regional editor of Liandu (331102) changes
only records located in Liandu, picks only Liandu's regions, and nobody saves a form that someone
else's save made stale while it was open.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import RegionAssignment
from accounts.roles import Role
from companies.models import Company
from core.seed import seed_load
from figures.models import Figure
from projects.models import Milestone, Project
from regions.models import Region
from tests.accounts import for_the_module, user_with_role
from tests.admin_forms import posted_back
from tests.factories import CompanyFactory

LIANDU, LONGQUAN, SICHUAN = "331102", "331181", "510000"
BAIQIAO_PROJECT = "baiqiao-beautiful-healthy-project-1"  # in the Baiqiao block of Liandu
KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"  # in Longquan
STALE = "Someone else changed this record after you opened it."


@pytest.fixture(scope="module")
def editor(django_db_setup, django_db_blocker):
    """A staff member in "Regional editors" who answers for Liandu, with the article's data loaded."""
    with for_the_module(django_db_blocker):
        seed_load()
        yield user_with_role(Role.REGIONAL_EDITOR, regions=(LIANDU,), is_staff=True)


@pytest.fixture
def editor_client(db, editor) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def project(slug: str) -> Project:
    return Project.objects.get(slug=slug)


def table(model) -> list[dict[str, Any]]:
    return list(model._base_manager.order_by("pk").values())


def errors_of(response) -> str:
    form = response.context["adminform"].form
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


#
# Records of other regions open read-only
#


def test_a_project_of_another_region_opens_read_only_and_a_post_changes_nothing(editor_client, editor):
    kelun = project(KELUN_PROJECT)
    response = editor_client.get(change_url(kelun))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in response.content.decode()
    before = table(Project)
    form = editor_client.get(change_url(project(BAIQIAO_PROJECT)))
    posted = editor_client.post(change_url(kelun), posted_back(form, name="Kelun, renamed by Liandu"))
    assert posted.status_code == 403
    assert table(Project) == before


def test_a_project_of_another_region_cannot_be_deleted_in_the_admin(editor_client):
    kelun = project(KELUN_PROJECT)
    delete_url = reverse("admin:projects_project_delete", args=[kelun.pk])
    assert editor_client.get(delete_url).status_code == 403
    assert editor_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Project.objects.filter(pk=kelun.pk).exists()


def test_the_admin_asks_the_region_scope_for_each_record(db, rf, editor):
    request = rf.get("/admin/")
    request.user = editor
    project_admin = admin.site._registry[Project]
    assert project_admin.has_change_permission(request, project(BAIQIAO_PROJECT)) is True
    assert project_admin.has_change_permission(request, project(KELUN_PROJECT)) is False
    assert project_admin.has_delete_permission(request, project(KELUN_PROJECT)) is False


#
# Choices that place a record lie inside the editor's regions
#


def test_on_their_own_project_the_region_choices_lie_inside_liandu(editor_client):
    response = editor_client.get(change_url(project(BAIQIAO_PROJECT)))
    assert 'name="_save"' in response.content.decode()
    choices = response.context["adminform"].form.fields["region"].queryset
    assert sorted(choices.values_list("code", flat=True)) == [LIANDU, "331102-BQ"]


def test_the_region_autocomplete_offers_an_editor_only_their_regions(editor_client, admin_client):
    query = {"app_label": "projects", "model_name": "project", "field_name": "region", "term": ""}
    url = reverse("admin:autocomplete")
    offered = [item["text"] for item in editor_client.get(url, query).json()["results"]]
    assert offered == ["Liandu District (331102)", "Sanjiangkou Baiqiao Block (331102-BQ)"]
    everything = admin_client.get(url, query).json()["results"]
    assert len(everything) == Region.objects.count()


def test_the_project_choices_of_a_milestone_lie_inside_liandu(editor_client):
    response = editor_client.get(add_url(Milestone))
    choices = response.context["adminform"].form.fields["project"].queryset
    assert {project.region.code for project in choices} == {"331102-BQ"}
    assert set(choices.values_list("slug", flat=True)) >= {BAIQIAO_PROJECT}


def test_an_editor_cannot_move_their_project_to_longquan(editor_client):
    baiqiao = project(BAIQIAO_PROJECT)
    form = editor_client.get(change_url(baiqiao))
    before = table(Project)
    longquan = Region.objects.get(code=LONGQUAN)
    response = editor_client.post(change_url(baiqiao), posted_back(form, region=longquan.pk))
    assert response.status_code == 200
    assert "region" in response.context["adminform"].form.errors
    assert table(Project) == before


def test_an_editor_saves_a_change_to_their_own_project(editor_client):
    baiqiao = project(BAIQIAO_PROJECT)
    form = editor_client.get(change_url(baiqiao))
    response = editor_client.post(change_url(baiqiao), posted_back(form, name="Baiqiao cosmetics plant"))
    assert response.status_code == 302, errors_of(response)
    assert project(BAIQIAO_PROJECT).name == "Baiqiao cosmetics plant"


@pytest.mark.parametrize(("headquarters", "saved"), [(LIANDU, True), (SICHUAN, False)])
def test_a_figure_about_a_company_sits_where_the_company_does(editor_client, headquarters, saved):
    company = CompanyFactory(headquarters=Region.objects.get(code=headquarters))
    form = editor_client.get(add_url(Figure))
    data = {"company": company.pk, "metric": "revenue", "period": "2024", "value": "1000000", "unit": "yuan"}
    response = editor_client.post(add_url(Figure), posted_back(form, **data))
    assert Figure.objects.filter(company=company).exists() is saved
    if not saved:
        assert "outside your regions (331102)" in errors_of(response)


#
# Stale forms
#


def test_a_form_opened_before_someone_else_saved_is_refused(editor_client):
    baiqiao = project(BAIQIAO_PROJECT)
    form = editor_client.get(change_url(baiqiao))
    opened_version = form.context["adminform"].form["opened_version"].value()
    assert opened_version == baiqiao.version
    Project.objects.filter(pk=baiqiao.pk).update(name="Named by the other writer")
    assert project(BAIQIAO_PROJECT).version > opened_version
    response = editor_client.post(change_url(baiqiao), posted_back(form, name="Named by the editor"))
    assert response.status_code == 200
    assert STALE in response.content.decode()
    assert project(BAIQIAO_PROJECT).name == "Named by the other writer"


def test_a_change_form_that_does_not_say_when_it_was_opened_is_refused(editor_client):
    baiqiao = project(BAIQIAO_PROJECT)
    data = posted_back(editor_client.get(change_url(baiqiao)), name="Named without a version")
    del data["opened_version"]
    response = editor_client.post(change_url(baiqiao), data)
    assert response.status_code == 200
    assert "opened_version" in response.context["adminform"].form.errors
    assert project(BAIQIAO_PROJECT).name == baiqiao.name


#
# Users and their regions
#


def test_the_user_admin_shows_region_assignments_inline(admin_client, editor):
    response = admin_client.get(reverse("admin:auth_user_change", args=[editor.pk]))
    [inline] = [inline for inline in response.context["inline_admin_formsets"] if inline.opts.model is RegionAssignment]
    assert [form.instance.region.code for form in inline.formset.forms if form.instance.pk] == [LIANDU]
    assert "Liandu District (331102)" in response.content.decode()


def test_a_company_in_liandu_can_be_changed_by_its_editor_but_not_one_in_sichuan(editor_client):
    liandu_company = CompanyFactory(headquarters=Region.objects.get(code=LIANDU))
    kelun = Company.objects.get(slug="sichuan-kelun-pharmaceutical")
    assert editor_client.get(change_url(liandu_company)).context["has_change_permission"] is True
    assert editor_client.get(change_url(kelun)).context["has_change_permission"] is False
