"""Free-text search over English and Chinese names and aliases.

Two ways, by what a record is found by:

- Its own names (companies, regions, industries): each indexes `tracker_search_text(name, name_zh,
  aliases)`, a lower-cased concatenation, with GIN `gin_trgm_ops`; `?search=` becomes `LIKE '%term%'`
  on that expression, which the index answers.
- Its own names and those of the records around it (a project: its regions, industries and participants,
  issue 10): a search document the database keeps in a table beside the records (projects.SearchDocument),
  one name a line, indexed by the characters and pairs of characters of its words (`tracker_search_grams`,
  core/migrations/0004). Pairs, not trigrams: most Chinese words have two characters, and a trigram index
  cannot find those.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func

MAX_SEARCH_LENGTH = 100


class SearchText(Func):
    function = "tracker_search_text"
    output_field = models.TextField()

    def __init__(self, name: str = "name", name_zh: str = "name_zh", aliases: str = "aliases") -> None:
        super().__init__(F(name), F(name_zh), F(aliases))


class SearchGrams(Func):
    """The characters and pairs of neighbouring characters of each word of a search document."""

    function = "tracker_search_grams"
    output_field = ArrayField(models.TextField())


class _QueryGrams(Func):
    function = "tracker_search_query_grams"
    output_field = ArrayField(models.TextField())


class _Normalised(Func):
    function = "tracker_search_normalize"
    output_field = models.TextField()


def document_index(name: str, field: str = "document") -> GinIndex:
    return GinIndex(SearchGrams(F(field)), name=name)


def document_search(queryset: models.QuerySet, term: str, documents: type[models.Model]) -> models.QuerySet:
    """Rows of `queryset` whose search document contains `term`, normalised as the document is (NFKC, any case).

    `documents` is the model of the documents: a `document` text and, in the column its `owner_column` names,
    the key of the record it is for (projects.SearchDocument).

    The grams of the term's words narrow the documents through their GIN index; the LIKE keeps those that
    hold the term itself. Both sides are normalised by the same SQL function, so Python and PostgreSQL never
    disagree on what a full-width letter or an upper-case one becomes.
    """
    term = term.strip()
    if not term:
        return queryset
    term_value = models.Value(term, output_field=models.TextField())
    found = documents.objects.alias(_search_grams=SearchGrams(F("document"))).filter(
        _search_grams__contains=_QueryGrams(term_value), document__contains=_Normalised(term_value)
    )
    return queryset.filter(pk__in=found.values(documents.owner_column))


def search_index(name: str) -> GinIndex:
    return GinIndex(OpClass(SearchText(), name="gin_trgm_ops"), name=name)


def search_filter(
    queryset: models.QuerySet, term: str, *code_fields: str, unindexed_code_fields: tuple[str, ...] = ()
) -> models.QuerySet:
    """Rows whose names or aliases contain `term` (any case), or whose codes start with it.

    `code_fields` hold codes written in capitals (a region's or industry's code, a credit code) in a
    unique column: they are matched with a case-sensitive `LIKE 'TERM%'` on the capitalised term,
    which the pattern-ops index Django gives such a column answers, so the whole condition stays a
    BitmapOr of index scans. `unindexed_code_fields` (a stock code) would force a scan of the table,
    so they are only tried for a term with a digit in it: a search by name never pays for them.
    """
    term = term.strip()
    if not term:
        return queryset
    condition = models.Q(search_text__contains=term.lower())
    code = term.upper()
    for field in code_fields:
        condition |= models.Q(**{f"{field}__startswith": code})
    if any(char.isdigit() for char in term):
        for field in unindexed_code_fields:
            condition |= models.Q(**{f"{field}__startswith": code})
    return queryset.alias(search_text=SearchText()).filter(condition)
