"""Regions: codes that match their level, a tree whose paths the database keeps, and rows that are protected."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from psycopg.errors import ForeignKeyViolation

from regions.models import Region
from tests.factories import (
    CityFactory,
    CountryFactory,
    CountyFactory,
    DistrictFactory,
    ProjectFactory,
    ProvinceFactory,
    RegionFactory,
    ZoneFactory,
)

pytestmark = pytest.mark.django_db

Level = Region.Level


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named when it refused a write."""
    return caught.value.__cause__.diag.constraint_name


def delete_raw(statement: str, pk: int) -> None:
    """Run a DELETE past Django's collector, checking foreign keys at once.

    Django creates foreign keys DEFERRABLE INITIALLY DEFERRED: without SET CONSTRAINTS they would be checked
    at a commit that a test never reaches.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement, [pk])


def path_of(region: Region) -> str:
    return Region.objects.values_list("path", flat=True).get(pk=region.pk)


def dotted(*regions: Region) -> str:
    return ".".join(str(region.pk) for region in regions)


@pytest.fixture
def chain() -> dict[str, Region]:
    """Zhejiang > Lishui > Liandu > a development zone > a block inside it."""
    province = ProvinceFactory(code="330000", name="Zhejiang")
    city = CityFactory(code="331100", name="Lishui", parent=province)
    district = DistrictFactory(code="331102", name="Liandu", parent=city)
    zone = ZoneFactory(code="331102-HTZ", name="High-tech zone", parent=district)
    block = ZoneFactory(code="331102-BQ", name="Biyun block", parent=zone, block=True)
    return {"province": province, "city": city, "district": district, "zone": zone, "block": block}


# --- Factories ---------------------------------------------------------------------------------------------------


def test_the_region_factory_makes_a_valid_county_under_a_city_under_a_province() -> None:
    county = RegionFactory()
    county.full_clean()
    assert county.level == Level.COUNTY
    assert county.parent.level == Level.PREFECTURE_CITY
    assert county.parent.parent.level == Level.PROVINCE
    assert county.code[:4] == county.parent.code[:4]


@pytest.mark.parametrize(
    "factory",
    [CountryFactory, ProvinceFactory, CityFactory, CountyFactory, DistrictFactory, ZoneFactory],
)
def test_every_region_factory_makes_regions_that_pass_full_clean(factory) -> None:
    for region in (factory(), factory()):
        region.full_clean()


# --- Paths kept by the database ----------------------------------------------------------------------------------


def test_the_database_sets_the_path_of_a_new_region_from_its_parent(chain: dict[str, Region]) -> None:
    province, city, district = chain["province"], chain["city"], chain["district"]
    assert path_of(province) == dotted(province)
    assert path_of(district) == dotted(province, city, district)
    assert district.path == dotted(province, city, district)


def test_bulk_created_regions_get_their_path_from_the_database(chain: dict[str, Region]) -> None:
    city = chain["city"]
    created = Region.objects.bulk_create(
        [Region(code=f"3311{n:02d}", name=f"County {n}", level=Level.COUNTY, parent=city) for n in (21, 22, 23)]
    )
    paths = dict(Region.objects.filter(pk__in=[r.pk for r in created]).values_list("pk", "path"))
    assert paths == {region.pk: f"{city.path}.{region.pk}" for region in created}


def test_the_subtree_of_a_region_is_itself_and_everything_below_it_in_one_query(
    chain: dict[str, Region], django_assert_num_queries
) -> None:
    CityFactory(parent=chain["province"])  # a sibling branch that must stay out
    with django_assert_num_queries(1):
        codes = [region.code for region in chain["district"].subtree()]
    assert codes == ["331102", "331102-BQ", "331102-HTZ"]


def test_the_ancestors_of_a_region_come_root_first_in_one_query(
    chain: dict[str, Region], django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        codes = [region.code for region in chain["block"].ancestors()]
    assert codes == ["330000", "331100", "331102", "331102-HTZ"]


def test_a_root_region_has_no_ancestors(chain: dict[str, Region]) -> None:
    assert not chain["province"].ancestors().exists()


def test_the_subtree_query_uses_the_gist_index_on_path() -> None:
    province = ProvinceFactory(code="330000")
    cities = Region.objects.bulk_create(
        [
            Region(code=f"33{c:02d}00", name=f"City {c}", level=Level.PREFECTURE_CITY, parent=province)
            for c in range(1, 41)
        ]
    )
    Region.objects.bulk_create(
        [
            Region(code=f"{city.code[:4]}{d:02d}", name=f"County {d}", level=Level.COUNTY, parent=city)
            for city in cities
            for d in range(1, 100)
        ]
    )
    assert Region.objects.count() == 1 + 40 + 40 * 99
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE regions_region")
    city = Region.objects.get(pk=cities[7].pk)

    # A city's subtree is 100 of 3,999 rows, selective enough that the planner picks a bitmap scan of the GiST
    # index on its own after ANALYZE; no enable_seqscan = off is needed to show it is used.
    plan = city.subtree().explain()

    assert "regions_region_path_gist" in plan, plan
    assert city.subtree().count() == 100


# --- Moving a subtree --------------------------------------------------------------------------------------------


def test_moving_a_region_to_another_parent_rewrites_the_paths_of_all_its_descendants(
    chain: dict[str, Region],
) -> None:
    province, district, zone, block = chain["province"], chain["district"], chain["zone"], chain["block"]
    other_city = CityFactory(parent=province)

    district.parent = other_city
    district.save()

    assert path_of(district) == dotted(province, other_city, district)
    assert path_of(zone) == dotted(province, other_city, district, zone)
    assert path_of(block) == dotted(province, other_city, district, zone, block)
    assert list(other_city.subtree().values_list("pk", flat=True).order_by("path")) == [
        other_city.pk,
        district.pk,
        zone.pk,
        block.pk,
    ]


@pytest.mark.parametrize("move", ["queryset_update", "save_update_fields"])
def test_moving_a_region_without_writing_its_path_still_rewrites_the_paths_of_its_descendants(
    chain: dict[str, Region], move: str
) -> None:
    province, district, zone, block = chain["province"], chain["district"], chain["zone"], chain["block"]
    other_city = CityFactory(parent=province)

    if move == "queryset_update":
        Region.objects.filter(pk=district.pk).update(parent=other_city)
    else:
        district.parent = other_city
        district.save(update_fields=["parent"])

    assert path_of(district) == dotted(province, other_city, district)
    assert path_of(zone) == dotted(province, other_city, district, zone)
    assert path_of(block) == dotted(province, other_city, district, zone, block)


def test_a_region_cannot_become_a_child_of_its_own_descendant(chain: dict[str, Region]) -> None:
    # The level rule fires first (a descendant always sits at a lower level); the cycle check would refuse it too.
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=chain["city"].pk).update(parent=chain["zone"])
    assert refusal(caught) in {"regions_region_below_parent_level", "regions_region_no_cycle"}
    assert path_of(chain["zone"]) == dotted(*[chain[k] for k in ("province", "city", "district", "zone")])


def test_a_region_cannot_become_its_own_parent() -> None:
    county = CountyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=county.pk).update(parent=F("id"))
    assert refusal(caught) in {"regions_region_below_parent_level", "regions_region_no_cycle"}


# --- Levels in order ---------------------------------------------------------------------------------------------


def test_a_province_cannot_be_moved_below_a_county() -> None:
    county, province = CountyFactory(), ProvinceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=province.pk).update(parent=county)
    assert refusal(caught) == "regions_region_below_parent_level"


def test_a_county_cannot_be_moved_below_another_county() -> None:
    county, other = CountyFactory(), CountyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=other.pk).update(parent=county)
    assert refusal(caught) == "regions_region_below_parent_level"


@pytest.mark.parametrize(
    ("level", "code"),
    [(Level.PROVINCE, "340000"), (Level.PREFECTURE_CITY, "331200"), (Level.COUNTY_CITY, "331199")],
)
def test_a_region_at_or_above_its_parents_level_cannot_be_bulk_created(level: str, code: str) -> None:
    county = CountyFactory(code="331181", parent=CityFactory(code="331100"))
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.bulk_create([Region(code=code, name="Misplaced", level=level, parent=county)])
    assert refusal(caught) == "regions_region_below_parent_level"


def test_a_region_cannot_change_its_level_to_one_at_or_above_its_childrens() -> None:
    county = CountyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=county.parent.pk).update(level=Level.DISTRICT)
    assert refusal(caught) == "regions_region_below_parent_level"


# --- Check and unique constraints, with validation bypassed ------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param({"code": "331100"}, "regions_region_code_matches_level", id="city code on a county"),
        pytest.param({"code": "330000"}, "regions_region_code_matches_level", id="province code on a county"),
        pytest.param({"code": "33118A"}, "regions_region_code_matches_level", id="letter in a county code"),
        pytest.param({"code": "331181-BQ"}, "regions_region_code_matches_level", id="zone code on a county"),
        pytest.param({"name": "  "}, "regions_region_name_not_blank", id="blank name"),
        pytest.param({"parent": None}, "regions_region_parent_required", id="county without parent"),
    ],
)
def test_the_database_refuses_an_update_that_breaks_a_region_rule(changes: dict, constraint: str) -> None:
    county = CountyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=county.pk).update(**changes)
    assert refusal(caught) == constraint


@pytest.mark.parametrize(
    ("level", "code", "constraint"),
    [
        pytest.param(Level.COUNTRY, "CHN", "regions_region_code_matches_level", id="three-letter country"),
        pytest.param(Level.PROVINCE, "331100", "regions_region_code_matches_level", id="province ending in 00"),
        pytest.param(Level.PROVINCE, "010000", "regions_region_code_matches_level", id="province starting with 0"),
        pytest.param(Level.PREFECTURE_CITY, "330000", "regions_region_code_matches_level", id="city ending 0000"),
        pytest.param(Level.DISTRICT, "331100", "regions_region_code_matches_level", id="district ending 00"),
        pytest.param(Level.COUNTY_CITY, "3311811", "regions_region_code_matches_level", id="seven digits"),
        pytest.param(Level.DEVELOPMENT_ZONE, "331102BQ", "regions_region_code_matches_level", id="zone no dash"),
        pytest.param(Level.BLOCK, "331102-bq", "regions_region_code_matches_level", id="lowercase suffix"),
        pytest.param(Level.BLOCK, "331102-" + "X" * 21, "regions_region_code_matches_level", id="long suffix"),
        # An unknown level has no code form, and PostgreSQL checks constraints in name order.
        pytest.param("township", "331102", "regions_region_code_matches_level", id="unknown level"),
    ],
)
def test_the_database_refuses_a_bulk_created_region_whose_code_does_not_match_its_level(
    level: str, code: str, constraint: str
) -> None:
    # Below a country every other level may sit, so only the code rule is at stake.
    parent = None if level == Level.COUNTRY else CountryFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.bulk_create([Region(code=code, name="Somewhere", level=level, parent=parent)])
    assert refusal(caught) == constraint


def test_the_database_refuses_a_bulk_created_district_without_a_parent() -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.bulk_create([Region(code="331102", name="Liandu", level=Level.DISTRICT)])
    assert refusal(caught) == "regions_region_parent_required"


def test_region_codes_are_unique_on_update_and_on_bulk_create() -> None:
    county, other = CountyFactory(), CountyFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.filter(pk=other.pk).update(code=county.code)
    assert refusal(caught) == "regions_region_code_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Region.objects.bulk_create([Region(code=county.code, name="Twin", level=Level.COUNTY, parent=county.parent)])
    assert refusal(caught) == "regions_region_code_key"


# --- full_clean ----------------------------------------------------------------------------------------------------


def test_full_clean_reports_a_code_that_does_not_match_the_level(chain: dict[str, Region]) -> None:
    region = Region(code="331100", name="Misfiled", level=Level.COUNTY, parent=chain["city"])
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert "331100 is not" in caught.value.message_dict["code"][0]


def test_full_clean_reports_a_county_code_that_does_not_start_with_its_citys_prefix() -> None:
    hangzhou = CityFactory(code="330100", parent=ProvinceFactory(code="330000"))
    region = Region(code="331181", name="Longquan", level=Level.COUNTY_CITY, parent=hangzhou)
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert "should start with 3301" in caught.value.message_dict["code"][0]


def test_full_clean_accepts_a_county_code_under_its_own_city(chain: dict[str, Region]) -> None:
    Region(code="331181", name="Longquan", level=Level.COUNTY_CITY, parent=chain["city"]).full_clean()


def test_full_clean_accepts_a_block_coded_after_the_district_it_sits_in() -> None:
    liandu = DistrictFactory(code="331102", parent=CityFactory(code="331100"))
    Region(code="331102-BQ", name="Biyun block", level=Level.BLOCK, parent=liandu).full_clean()


def test_full_clean_reports_a_block_coded_after_another_district(chain: dict[str, Region]) -> None:
    region = Region(code="331181-BQ", name="Biyun block", level=Level.BLOCK, parent=chain["zone"])
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert "should start with 331102-" in caught.value.message_dict["code"][0]


def test_full_clean_reports_a_province_under_a_county(chain: dict[str, Region]) -> None:
    region = Region(code="340000", name="Anhui", level=Level.PROVINCE, parent=chain["district"])
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert caught.value.message_dict["parent"] == ["A province cannot sit below a district."]


def test_full_clean_reports_a_region_placed_below_its_own_descendant(chain: dict[str, Region]) -> None:
    district = chain["district"]
    district.parent = chain["block"]
    with pytest.raises(ValidationError) as caught:
        district.full_clean()
    assert "A region cannot be placed below itself." in caught.value.message_dict["parent"]


def test_full_clean_reports_a_duplicate_code(chain: dict[str, Region]) -> None:
    region = Region(code="331102", name="Liandu again", level=Level.DISTRICT, parent=chain["city"])
    with pytest.raises(ValidationError) as caught:
        region.full_clean()
    assert "code" in caught.value.message_dict


# --- Protection ----------------------------------------------------------------------------------------------------


def test_a_region_with_projects_cannot_be_deleted() -> None:
    project = ProjectFactory()
    with pytest.raises(ProtectedError):
        project.region.delete()
    assert Region.objects.filter(pk=project.region.pk).exists()


def test_a_region_with_children_cannot_be_deleted(chain: dict[str, Region]) -> None:
    with pytest.raises(ProtectedError):
        chain["zone"].delete()
    assert Region.objects.filter(pk=chain["block"].pk).exists()


@pytest.mark.parametrize("referrer", ["child", "project"])
def test_the_database_refuses_a_raw_delete_of_a_region_still_referenced(referrer: str) -> None:
    region = CountyFactory()
    if referrer == "child":
        ZoneFactory(parent=region)
    else:
        ProjectFactory(region=region)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        delete_raw("DELETE FROM regions_region WHERE id = %s", region.pk)
    assert isinstance(caught.value.__cause__, ForeignKeyViolation)
