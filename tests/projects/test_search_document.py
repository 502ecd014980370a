"""Finding a project in Chinese (issue 10, item 1): `?search=` and the admin's search match the project's names and
those of its region and every region above it, its industries and every broader one, and the companies taking
part, in both languages. The database keeps that text (projects/migrations/0015) through every write that
changes one of those names, without raising the project's version or writing its history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Company
from industries.models import Industry
from projects.models import Participant, Project, SearchDocument
from regions.models import Region
from tests.contract import client_for
from tests.factories import (
    CompanyFactory,
    CountyFactory,
    IndustryFactory,
    ParticipantFactory,
    ProjectFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"
METAVERSE_CLUSTER = "qingtian-metaverse-cluster"


def found(term: str) -> set[str]:
    response = client_for().get("/api/v1/projects/", {"search": term, "page_size": 500})
    assert response.status_code == 200, response.json()
    return {row["slug"] for row in response.json()["results"]}


def version_and_events(project: Project) -> tuple[int, int]:
    return (
        Project.objects.values_list("version", flat=True).get(pk=project.pk),
        Project.pgh_event_model.objects.filter(pgh_obj_id=project.pk).count(),
    )


# --- the article's examples -----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("article")
def test_longquan_in_chinese_finds_the_project_in_longquan_by_its_region() -> None:
    assert KELUN_PROJECT in found("龙泉")
    assert all(Project.objects.get(slug=slug).region.code.startswith("331181") for slug in found("龙泉"))


@pytest.mark.usefixtures("article")
def test_kelun_in_chinese_finds_the_project_kelun_takes_part_in() -> None:
    assert found("科伦") == {KELUN_PROJECT}
    assert found("科伦药业") == {KELUN_PROJECT}


@pytest.mark.usefixtures("article")
def test_metaverse_in_chinese_finds_the_cluster_by_its_industry() -> None:
    assert METAVERSE_CLUSTER in found("元宇宙")


@pytest.mark.usefixtures("article")
@pytest.mark.parametrize("term", ["ＫＯＬＥＮ", "ｋｅｌｕｎ", "科伦　"])  # noqa: RUF001 - full-width letters, ideographic space
def test_full_width_letters_read_as_ascii_ones(term: str) -> None:
    assert found(term) == {KELUN_PROJECT}


@pytest.mark.usefixtures("article")
def test_the_admin_search_finds_a_project_by_its_participant_in_chinese(admin_client) -> None:
    response = admin_client.get(reverse("admin:projects_project_changelist"), {"q": "科伦"})
    assert response.status_code == 200
    assert [p.slug for p in response.context["cl"].result_list] == [KELUN_PROJECT]


@pytest.mark.usefixtures("article")
def test_every_word_of_an_admin_search_must_be_found(admin_client) -> None:
    url = reverse("admin:projects_project_changelist")
    both = admin_client.get(url, {"q": "龙泉 科伦"}).context["cl"].result_list
    neither = admin_client.get(url, {"q": "龙泉 元宇宙"}).context["cl"].result_list
    assert [p.slug for p in both] == [KELUN_PROJECT]
    assert list(neither) == []


def test_a_term_never_matches_across_two_names() -> None:
    project = ProjectFactory(name="Green valley", name_zh="绿谷")
    assert project.slug in found("green valley")
    assert project.slug not in found("valley 绿谷")


def test_a_single_character_finds_words_that_hold_it() -> None:
    tea = ProjectFactory(name_zh="白茶基地")
    other = ProjectFactory(name_zh="物流园")
    assert tea.slug in found("茶")
    assert other.slug not in found("茶")


# --- the database keeps the text ------------------------------------------------------------------------------------


def test_a_participant_added_renamed_and_removed_is_followed() -> None:
    project = ProjectFactory()
    company = CompanyFactory(name="Heyuan Valve", name_zh="合源阀门")
    link = ParticipantFactory(project=project, company=company)
    assert project.slug in found("合源")

    Company.objects.filter(pk=company.pk).update(name_zh="禾源阀门", aliases=["Heyuan Valves Group"])
    assert project.slug not in found("合源")
    assert project.slug in found("禾源")
    assert project.slug in found("valves group")

    Participant.objects.filter(pk=link.pk).delete()
    assert project.slug not in found("禾源")


def test_a_region_renamed_or_a_project_moved_is_followed_down_the_tree() -> None:
    county = CountyFactory(name="Yunhe County", name_zh="云和县")
    project = ProjectFactory(region=ZoneFactory(parent=county))
    assert project.slug in found("云和")

    Region.objects.filter(pk=county.pk).update(name_zh="云和山县")
    assert project.slug in found("云和山")

    project.region = CountyFactory(name="Jingning County", name_zh="景宁县")
    project.save()
    assert project.slug in found("景宁")
    assert project.slug not in found("云和")


def test_an_industry_linked_renamed_or_unlinked_is_followed_with_its_broader_industries() -> None:
    chain = IndustryFactory(code="CHAIN-TEST", name="Test chain", name_zh="测试链")
    narrow = IndustryFactory(code="CHAIN-TEST-ONE", parent=chain, name="Bamboo goods", name_zh="竹制品")
    project = ProjectFactory()

    project.industries.add(narrow)
    assert project.slug in found("竹制")
    assert project.slug in found("测试链")

    Industry.objects.filter(pk=chain.pk).update(name_zh="试验链")
    assert project.slug in found("试验链")

    project.industries.remove(narrow)
    assert project.slug not in found("竹制")


def test_following_the_names_raises_no_version_and_writes_no_history() -> None:
    """The text is derived: the change that caused it (a participant added, a company renamed) is recorded
    where it was made; the project's ETag must not turn stale for it."""
    project = ProjectFactory()
    company = CompanyFactory()
    before = version_and_events(project)

    ParticipantFactory(project=project, company=company)
    Company.objects.filter(pk=company.pk).update(name_zh="新名字")
    project.industries.add(IndustryFactory())
    Region.objects.filter(pk=project.region_id).update(name_zh="新地名")

    assert project.slug in found("新名字")
    assert project.slug in found("新地名")
    assert version_and_events(project) == before


def test_renaming_the_project_itself_is_a_change_and_is_found() -> None:
    project = ProjectFactory(name_zh="旧名")
    before_version, before_events = version_and_events(project)

    project.name_zh = "新项目名"
    project.save()

    assert project.slug in found("新项目名")
    assert project.slug not in found("旧名")
    assert version_and_events(project) == (before_version + 1, before_events + 1)


def test_a_project_has_its_search_text_from_its_first_write_and_takes_it_along_when_deleted() -> None:
    project = ProjectFactory(name="Fresh project", name_zh="新项目甲")
    assert SearchDocument.objects.get(project=project).document.startswith("fresh project\n新项目甲\n")

    Project.objects.filter(pk=project.pk).delete()
    assert not SearchDocument.objects.filter(project_id=project.pk).exists()
