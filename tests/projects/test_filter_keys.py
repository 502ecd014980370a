"""A project's filter keys (the codes of its region and industries with everything above them) are the
database's: they follow every write that changes what they summarise, so a filtered list can never disagree
with the region and industry trees (projects/migrations/0012)."""

from __future__ import annotations

import pytest
from django.db import connection

from industries.models import Industry
from projects.models import Project
from regions.models import Region
from tests.factories import CityFactory, IndustryFactory, ProjectFactory, RegionFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def keys(project: Project) -> tuple[list[str], list[str]]:
    row = Project.objects.values_list("region_codes", "industry_codes").get(pk=project.pk)
    return list(row[0]), list(row[1])


def version(project: Project) -> int:
    return Project.objects.values_list("version", flat=True).get(pk=project.pk)


def codes_above(region: Region) -> list[str]:
    return [*(a.code for a in region.ancestors()), region.code]


def test_a_new_project_carries_its_region_and_every_region_above_it_root_first():
    zone = ZoneFactory()
    project = ProjectFactory(region=zone)

    assert keys(project) == (codes_above(zone), [])
    assert len(keys(project)[0]) == 4  # province, city, county, zone


def test_moving_a_project_to_another_region_rewrites_its_region_codes():
    project = ProjectFactory()
    elsewhere = RegionFactory()

    project.region = elsewhere
    project.save()

    assert keys(project)[0] == codes_above(elsewhere)


def test_industries_carry_their_broader_industries_and_follow_links_added_and_removed():
    chain = IndustryFactory(code="CHAIN-NEW-MATERIALS")
    narrow = IndustryFactory(code="CHAIN-NEW-MATERIALS-FIBRE", parent=chain)
    other = IndustryFactory(code="CHAIN-HEALTH")
    project = ProjectFactory()

    project.industries.set([narrow, other])
    assert keys(project)[1] == ["CHAIN-HEALTH", "CHAIN-NEW-MATERIALS", "CHAIN-NEW-MATERIALS-FIBRE"]

    project.industries.remove(narrow)
    assert keys(project)[1] == ["CHAIN-HEALTH"]

    project.industries.clear()
    assert keys(project)[1] == []


def events(project: Project) -> int:
    return Project.pgh_event_model.objects.filter(pgh_obj_id=project.pk).count()


def test_rewriting_the_keys_is_no_change_of_the_project_neither_its_version_nor_its_history():
    """The keys are derived: the write that changed the links (the project's own save, through the API or the
    admin) records the change; the keys that follow it must not turn a client's ETag stale a second time."""
    chain = IndustryFactory(code="CHAIN-A")
    project = ProjectFactory()
    before, history = version(project), events(project)

    project.industries.add(chain, IndustryFactory(code="CHAIN-B"))
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM projects_project_industries WHERE project_id = %s AND industry_id = %s", [project.pk, chain.pk]
        )
    Region.objects.filter(pk=project.region.parent_id).update(code="339900")

    assert keys(project) == (codes_above(Region.objects.get(pk=project.region_id)), ["CHAIN-B"])
    assert (version(project), events(project)) == (before, history)


def test_a_real_change_of_the_project_still_raises_its_version_and_writes_its_history():
    project = ProjectFactory()
    before, history = version(project), events(project)

    Project.objects.filter(pk=project.pk).update(name="Renamed")

    assert version(project) == before + 1
    assert events(project) == history + 1


def test_moving_a_region_rewrites_the_codes_of_every_project_below_it_and_no_other():
    old_city, new_city = CityFactory(), CityFactory()
    county = RegionFactory(parent=old_city)
    zone = ZoneFactory(parent=county)
    in_zone, in_county, untouched = ProjectFactory(region=zone), ProjectFactory(region=county), ProjectFactory()
    untouched_keys, untouched_version = keys(untouched), version(untouched)

    county.parent = new_city
    county.save()
    zone.refresh_path()

    assert keys(in_zone)[0] == codes_above(Region.objects.get(pk=zone.pk))
    assert keys(in_county)[0] == codes_above(Region.objects.get(pk=county.pk))
    assert new_city.code in keys(in_zone)[0]
    assert old_city.code not in keys(in_zone)[0]
    assert (keys(untouched), version(untouched)) == (untouched_keys, untouched_version)


def test_recoding_a_region_or_an_industry_rewrites_the_codes_below_it():
    county = RegionFactory()
    zone = ZoneFactory(parent=county)
    chain = IndustryFactory(code="CHAIN-OLD")
    narrow = IndustryFactory(code="CHAIN-OLD-1", parent=chain)
    project = ProjectFactory(region=zone)
    project.industries.set([narrow])

    Region.objects.filter(pk=county.pk).update(code="339999")
    Industry.objects.filter(pk=chain.pk).update(code="CHAIN-RENAMED")

    assert "339999" in keys(project)[0]
    assert county.code not in keys(project)[0]
    assert keys(project)[1] == ["CHAIN-OLD-1", "CHAIN-RENAMED"]


def test_moving_an_industry_under_another_rewrites_the_codes_of_its_projects():
    old_parent, new_parent = IndustryFactory(code="CHAIN-P1"), IndustryFactory(code="CHAIN-P2")
    narrow = IndustryFactory(code="CHAIN-X", parent=old_parent)
    project = ProjectFactory()
    project.industries.set([narrow])

    narrow.parent = new_parent
    narrow.save()

    assert keys(project)[1] == ["CHAIN-P2", "CHAIN-X"]


def test_a_client_cannot_write_the_keys_the_database_keeps():
    project = ProjectFactory()
    Project.objects.filter(pk=project.pk).update(region_codes=["CN"], industry_codes=["CHAIN-FAKE"])

    assert keys(project) == (codes_above(project.region), [])


def test_the_region_filter_agrees_with_the_region_tree_at_every_level():
    zone = ZoneFactory()
    county, city = zone.parent, zone.parent.parent
    province = city.parent
    projects = [ProjectFactory(region=region) for region in (zone, county, city, province, RegionFactory())]

    for region in (zone, county, city, province):
        expected = set(Project.objects.filter(region__path__descendant_of=region.path).values_list("pk", flat=True))
        found = set(Project.objects.filter(region_codes__contains=[region.code]).values_list("pk", flat=True))
        assert found == expected
        assert found <= {project.pk for project in projects}
