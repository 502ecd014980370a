"""Sources and citations: what a fact rests on cannot vanish while the fact still cites it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from psycopg.errors import ForeignKeyViolation

from sources.models import Citation, Source
from tests.factories import (
    CitationFactory,
    FigureFactory,
    MilestoneFactory,
    ObservationFactory,
    ProjectFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


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


def test_the_factories_make_a_valid_citation_of_a_valid_source() -> None:
    citation = CitationFactory()
    citation.source.full_clean()
    citation.full_clean()


# --- Check and unique constraints, with validation bypassed ------------------------------------------------------


def test_the_database_refuses_an_unknown_kind_of_source() -> None:
    source = SourceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Source.objects.filter(pk=source.pk).update(kind="rumour")
    assert refusal(caught) == "sources_source_kind_valid"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Source.objects.bulk_create([SourceFactory.build(kind="rumour")])
    assert refusal(caught) == "sources_source_kind_valid"


def test_source_slugs_are_unique_on_update_and_on_bulk_create() -> None:
    source, other = SourceFactory(), SourceFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Source.objects.filter(pk=other.pk).update(slug=source.slug)
    assert refusal(caught) == "sources_source_slug_key"
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Source.objects.bulk_create([SourceFactory.build(slug="twin"), SourceFactory.build(slug="twin")])
    assert refusal(caught) == "sources_source_slug_key"


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        pytest.param({"quote": " \n "}, "sources_citation_quote_not_blank", id="blank quote"),
        pytest.param({"locator": ""}, "sources_citation_locator_not_blank", id="blank locator"),
    ],
)
def test_the_database_refuses_a_citation_without_its_quote_or_place(changes: dict, constraint: str) -> None:
    citation = CitationFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Citation.objects.filter(pk=citation.pk).update(**changes)
    assert refusal(caught) == constraint
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Citation.objects.bulk_create([CitationFactory.build(source=citation.source, **changes)])
    assert refusal(caught) == constraint


def test_a_source_cannot_hold_the_same_quote_at_the_same_place_twice() -> None:
    citation = CitationFactory()
    twin = CitationFactory.build(source=citation.source, quote=citation.quote, locator=citation.locator)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Citation.objects.bulk_create([twin])
    assert refusal(caught) == "sources_citation_unique_quote"
    other = CitationFactory(source=citation.source, quote=citation.quote)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Citation.objects.filter(pk=other.pk).update(locator=citation.locator)
    assert refusal(caught) == "sources_citation_unique_quote"


def test_the_same_quote_may_stand_at_two_places_of_a_source() -> None:
    citation = CitationFactory()
    CitationFactory(source=citation.source, quote=citation.quote)
    assert citation.source.citations.count() == 2


# --- Protection ----------------------------------------------------------------------------------------------------


def test_a_source_with_citations_cannot_be_deleted() -> None:
    citation = CitationFactory()
    with pytest.raises(ProtectedError):
        citation.source.delete()
    assert Citation.objects.filter(pk=citation.pk).exists()


def test_the_database_refuses_a_raw_delete_of_a_source_with_citations() -> None:
    citation = CitationFactory()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        delete_raw("DELETE FROM sources_source WHERE id = %s", citation.source_id)
    assert isinstance(caught.value.__cause__, ForeignKeyViolation)


CITING = {
    "figure": lambda citation: FigureFactory(citation=citation),
    "milestone": lambda citation: MilestoneFactory(citation=citation),
    "observation": lambda citation: ObservationFactory(citation=citation),
    "project investment": lambda citation: ProjectFactory(investment_citation=citation),
}


@pytest.mark.parametrize("fact", CITING)
def test_a_citation_that_backs_a_fact_cannot_be_deleted(fact: str) -> None:
    citation = CitationFactory()
    CITING[fact](citation)
    with pytest.raises(ProtectedError):
        citation.delete()
    assert Citation.objects.filter(pk=citation.pk).exists()


@pytest.mark.parametrize("fact", CITING)
def test_the_database_refuses_a_raw_delete_of_a_citation_that_backs_a_fact(fact: str) -> None:
    citation = CitationFactory()
    CITING[fact](citation)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        delete_raw("DELETE FROM sources_citation WHERE id = %s", citation.pk)
    assert isinstance(caught.value.__cause__, ForeignKeyViolation)


def test_a_citation_no_fact_rests_on_can_be_deleted() -> None:
    citation = CitationFactory()
    citation.delete()
    assert not Citation.objects.filter(pk=citation.pk).exists()
