"""A record named in Chinese needs no invented Latin slug (issue 10, item 3): left empty on create, in the API or
the admin, the slug is made from the name (pinyin for Chinese), unique, and it never changes afterwards."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from core.slugs import latin_slug
from projects.models import Project
from tests.admin_forms import posted_back
from tests.contract import client_for
from tests.factories import CompanyFactory, ProjectFactory, RegionFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

KELUN_ZH = "科伦龙泉高端制剂项目"


def test_chinese_becomes_pinyin_and_latin_text_stays_as_it_is():
    assert latin_slug(KELUN_ZH, 120) == "ke-lun-long-quan-gao-duan-zhi-ji-xiang-mu"
    assert latin_slug("Kelun 龙泉 2024", 120) == "kelun-long-quan-2024"
    assert latin_slug("元宇宙", 5) == "yuan"  # cut to the field's length, never ending in a hyphen


def test_a_project_created_through_the_api_without_a_slug_gets_one_from_its_chinese_name():
    admin = StaffUserFactory(is_superuser=True)
    body = {"name": KELUN_ZH, "region": RegionFactory().code}

    first = client_for(admin).post("/api/v1/projects/", body, format="json")
    second = client_for(admin).post("/api/v1/projects/", body, format="json")

    assert first.status_code == second.status_code == 201, (first.json(), second.json())
    assert first.json()["slug"] == "ke-lun-long-quan-gao-duan-zhi-ji-xiang-mu"
    assert second.json()["slug"] == "ke-lun-long-quan-gao-duan-zhi-ji-xiang-mu-2"
    assert client_for().get(f"/api/v1/projects/{first.json()['slug']}/").status_code == 200


def test_a_slug_sent_empty_on_update_keeps_the_one_the_record_has():
    admin = StaffUserFactory(is_superuser=True)
    project = ProjectFactory(slug="kelun-longquan")
    url = f"/api/v1/projects/{project.pk}/"
    etag = client_for(admin).get(url)["ETag"]

    response = client_for(admin).patch(url, {"slug": "", "name": "科伦"}, format="json", headers={"if-match": etag})

    assert response.status_code == 200, response.json()
    assert response.json()["slug"] == "kelun-longquan"


def test_a_company_saved_without_a_slug_gets_one_and_a_renamed_one_keeps_it():
    company = CompanyFactory(slug="", name="浙江科伦药业")
    assert company.slug == "zhe-jiang-ke-lun-yao-ye"

    company.name = "Zhejiang Kelun"
    company.save()
    company.refresh_from_db()
    assert company.slug == "zhe-jiang-ke-lun-yao-ye"


def test_the_database_refuses_an_empty_slug_written_around_the_model():
    project = ProjectFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(slug="")


def test_the_admin_saves_a_project_named_only_in_chinese_with_the_slug_left_empty(client):
    client.force_login(StaffUserFactory(is_superuser=True))
    region = RegionFactory()
    form = client.get("/admin/projects/project/add/")

    response = client.post(
        "/admin/projects/project/add/", posted_back(form, name=KELUN_ZH, slug="", region=str(region.pk))
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Project.objects.get(name=KELUN_ZH).slug == "ke-lun-long-quan-gao-duan-zhi-ji-xiang-mu"
