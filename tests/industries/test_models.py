"""Industries: codes that match their scheme and a tree whose paths the database keeps."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError

from industries.models import Industry
from tests.factories import CompanyFactory, IndustryFactory

pytestmark = pytest.mark.django_db

Scheme = Industry.Scheme


def refusal(caught: pytest.ExceptionInfo[IntegrityError]) -> str:
    """The constraint the database named when it refused a write."""
    return caught.value.__cause__.diag.constraint_name


def path_of(industry: Industry) -> str:
    return Industry.objects.values_list("path", flat=True).get(pk=industry.pk)


def dotted(*industries: Industry) -> str:
    return ".".join(str(industry.pk) for industry in industries)


@pytest.fixture
def manufacturing() -> dict[str, Industry]:
    """Section C > division C39 (electronics) > group C397 > class C3973 (integrated circuits)."""
    section = IndustryFactory(code="C", name="Manufacturing", gbt4754=True)
    division = IndustryFactory(code="C39", name="Electronic equipment", gbt4754=True, parent=section)
    group = IndustryFactory(code="C397", name="Electronic devices", gbt4754=True, parent=division)
    leaf = IndustryFactory(code="C3973", name="Integrated circuits", gbt4754=True, parent=group)
    return {"section": section, "division": division, "group": group, "class": leaf}


def test_the_industry_factory_makes_valid_chains_and_gbt4754_classes() -> None:
    chain, classified = IndustryFactory(), IndustryFactory(gbt4754=True)
    chain.full_clean()
    classified.full_clean()
    assert chain.code.startswith("CHAIN-")
    assert classified.scheme == Scheme.GBT_4754


# --- Paths kept by the database ----------------------------------------------------------------------------------


def test_the_database_sets_the_path_of_a_new_industry_from_its_parent(manufacturing: dict[str, Industry]) -> None:
    section, division, group = manufacturing["section"], manufacturing["division"], manufacturing["group"]
    assert path_of(section) == dotted(section)
    assert path_of(group) == dotted(section, division, group)


def test_bulk_created_industries_get_their_path_from_the_database() -> None:
    chain = IndustryFactory(code="CHAIN-SEMICONDUCTOR")
    created = Industry.objects.bulk_create(
        [
            Industry(code=f"CHAIN-SEMICONDUCTOR-{part}", name=part, scheme=Scheme.CHAIN, parent=chain)
            for part in ("DESIGN", "FAB", "PACKAGING")
        ]
    )
    paths = dict(Industry.objects.filter(pk__in=[i.pk for i in created]).values_list("pk", "path"))
    assert paths == {industry.pk: dotted(chain, industry) for industry in created}


def test_the_subtree_of_an_industry_is_itself_and_everything_below_it_in_one_query(
    manufacturing: dict[str, Industry], django_assert_num_queries
) -> None:
    IndustryFactory(code="C27", gbt4754=True, parent=manufacturing["section"])  # a sibling that must stay out
    with django_assert_num_queries(1):
        codes = [industry.code for industry in manufacturing["division"].subtree()]
    assert codes == ["C39", "C397", "C3973"]


def test_the_ancestors_of_an_industry_come_root_first_in_one_query(
    manufacturing: dict[str, Industry], django_assert_num_queries
) -> None:
    with django_assert_num_queries(1):
        codes = [industry.code for industry in manufacturing["class"].ancestors()]
    assert codes == ["C", "C39", "C397"]


def test_moving_an_industry_rewrites_the_paths_of_all_its_descendants(manufacturing: dict[str, Industry]) -> None:
    division, group, leaf = manufacturing["division"], manufacturing["group"], manufacturing["class"]
    other = IndustryFactory(code="C40", gbt4754=True, parent=manufacturing["section"])

    group.parent = other
    group.save()

    assert path_of(leaf) == dotted(manufacturing["section"], other, group, leaf)
    assert not division.subtree().filter(pk=leaf.pk).exists()


def test_moving_an_industry_with_a_queryset_update_rewrites_the_paths_of_its_descendants(
    manufacturing: dict[str, Industry],
) -> None:
    group, leaf = manufacturing["group"], manufacturing["class"]
    other = IndustryFactory(code="C40", gbt4754=True, parent=manufacturing["section"])

    Industry.objects.filter(pk=group.pk).update(parent=other)

    assert path_of(group) == dotted(manufacturing["section"], other, group)
    assert path_of(leaf) == dotted(manufacturing["section"], other, group, leaf)


def test_an_industry_cannot_become_a_child_of_its_own_descendant(manufacturing: dict[str, Industry]) -> None:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.filter(pk=manufacturing["division"].pk).update(parent=manufacturing["class"])
    assert refusal(caught) == "industries_industry_no_cycle"


def test_an_industry_cannot_become_its_own_parent() -> None:
    industry = IndustryFactory()
    # The path trigger sees the cycle before the row's own check constraint is evaluated.
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.filter(pk=industry.pk).update(parent=F("id"))
    assert refusal(caught) in {"industries_industry_no_cycle", "industries_industry_not_own_parent"}


# --- Check and unique constraints, with validation bypassed ------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "code", "constraint"),
    [
        pytest.param(Scheme.GBT_4754, "CHAIN-EV", "industries_industry_code_matches_scheme", id="chain code"),
        pytest.param(Scheme.GBT_4754, "U27", "industries_industry_code_matches_scheme", id="no section U"),
        pytest.param(Scheme.GBT_4754, "C2", "industries_industry_code_matches_scheme", id="one digit"),
        pytest.param(Scheme.GBT_4754, "C27101", "industries_industry_code_matches_scheme", id="five digits"),
        pytest.param(Scheme.CHAIN, "C27", "industries_industry_code_matches_scheme", id="gbt code in a chain"),
        pytest.param(Scheme.CHAIN, "CHAIN-ev", "industries_industry_code_matches_scheme", id="lowercase chain"),
        pytest.param("nace", "C27", "industries_industry_code_matches_scheme", id="unknown scheme"),
    ],
)
def test_the_database_refuses_an_industry_whose_code_does_not_match_its_scheme(
    scheme: str, code: str, constraint: str
) -> None:
    industry = IndustryFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.filter(pk=industry.pk).update(scheme=scheme, code=code)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.bulk_create([Industry(scheme=scheme, code=code, name="Bad")])
    assert refusal(caught) == constraint


def test_industry_codes_are_unique_on_update_and_on_bulk_create() -> None:
    industry, other = IndustryFactory(), IndustryFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.filter(pk=other.pk).update(code=industry.code)
    assert refusal(caught) == "industries_industry_code_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Industry.objects.bulk_create([Industry(code=industry.code, name="Twin", scheme=industry.scheme)])
    assert refusal(caught) == "industries_industry_code_key"


# --- Protection ----------------------------------------------------------------------------------------------------


def test_an_industry_with_children_cannot_be_deleted(manufacturing: dict[str, Industry]) -> None:
    with pytest.raises(ProtectedError):
        manufacturing["group"].delete()
    assert Industry.objects.filter(pk=manufacturing["class"].pk).exists()


def test_deleting_an_industry_unfiles_its_companies_rather_than_deleting_them() -> None:
    industry = IndustryFactory()
    company = CompanyFactory()
    company.industries.add(industry)

    industry.delete()

    assert company.industries.count() == 0
