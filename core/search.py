"""Free-text search over English and Chinese names and aliases.

Two ways, by what a record is found by:

- Its own names (companies, regions, industries): each indexes `tracker_search_text(name, name_zh,
  aliases)`, a lower-cased concatenation, with GIN `gin_trgm_ops`; `?search=` becomes `LIKE '%term%'`
  on that expression, which the index answers.
- Its own names and those of the records around it (a project: its regions, industries and participants, issue 10):
  a search document the database keeps in a table beside the records (projects.SearchDocument), one name a line,
  indexed twice: by the characters and pairs of characters of its words (`tracker_search_grams`,
  core/migrations/0004, kept in a stored column beside the document), since most Chinese words have two characters
  and a trigram index cannot find those; and by pg_trgm's trigrams, which find a Latin word of three letters or
  more through much shorter lists than pairs (`en`, `he` are in most documents) and which PostgreSQL can estimate
  (see `document_search`).
"""

from __future__ import annotations

import re
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func
from django.db.models.functions import Lower
from django.db.models.lookups import In
from django.utils.translation import gettext_lazy as _
from psycopg import sql

MAX_SEARCH_LENGTH = 100
# A run of characters pg_trgm makes trigrams of in any locale: a term with one is found through them.
_TRIGRAM_WORD = re.compile(r"[a-z0-9]{3}")


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


def document_grams_field() -> models.GeneratedField:
    """A search document's grams (`SearchGrams`), stored beside it: its GIN index finds a term's documents, and a
    plan that walks a list's order tests a document against the term's grams by reading this column instead of
    computing the grams of the whole document again (a third of a millisecond a document: a bounded count of a
    common two-letter word tested 2,000 documents in 330 ms)."""
    return models.GeneratedField(
        expression=SearchGrams(F("document")),
        output_field=ArrayField(models.TextField()),
        db_persist=True,
        verbose_name=_("search grams"),
        editable=False,
    )


def document_index(name: str, field: str = "grams") -> GinIndex:
    return GinIndex(fields=[field], name=name)


def document_trigram_index(name: str, field: str = "document") -> GinIndex:
    """pg_trgm's index of lower(`field`) (a search document is lower-case already: see `_DocumentSearch`)."""
    return GinIndex(OpClass(Lower(field), name="gin_trgm_ops"), name=name)


def document_search(queryset: models.QuerySet, term: str, documents: type[models.Model]) -> models.QuerySet:
    """Rows of `queryset` whose search document contains `term`, normalised as the document is (NFKC, any case).

    `documents` is the model of the documents: a `document` text and, in the column its `owner_column` names,
    the key of the record it is for (projects.SearchDocument). Both sides are normalised by the same SQL
    function, so Python and PostgreSQL never disagree on what a full-width letter or an upper-case one becomes.
    How the documents are found depends on the statement (`_DocumentSearch`).
    """
    term = term.strip()
    if not term:
        return queryset
    return queryset.filter(_DocumentSearch(term, documents))


# Pages from the first one up to this offset may walk the list's order testing documents (`_DocumentSearch`).
MAX_WALKED_OFFSET = 200


class _DocumentSearch(models.Expression):
    """`pk IN (the documents that hold the term)`, written one of two ways, each a LIKE on the normalised term.

    - Estimated: a term with three Latin letters or digits in a row, in a statement that wants the first rows of an
      order (a list's first pages) or a bounded count: the LIKE alone, on lower(document), which the documents'
      trigram index answers and whose share of documents PostgreSQL estimates from the statistics ANALYZE keeps of
      that index's expression. A common word (a tenth of all projects) then gets its page by walking the list's
      order and testing each project's document (1,600 tests at tier M, milliseconds) instead of taking its 19,000
      matches and sorting them (250 ms); a rare word the other way round.
    - Found first: any other term (a two-character Chinese word, which a trigram index cannot find), a summary
      or a deep page: the grams of the term's words narrow the documents through their grams index
      as well. The estimate of that condition is a product of the grams' frequencies, always small, so these
      plans take every match first: a deep page never tests tens of thousands of documents one by one. The
      documents' grams are a stored column, so a plan that tests documents one by one anyway (a count of a
      common two-letter word, stopping at the cap) reads them instead of computing them.

    The term goes into the statement as a literal, not bound: a prepared statement's generic plan would not
    know the word, and one plan cannot serve a rare word and a common one.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, term: str, documents: type[models.Model], forms: list | None = None) -> None:
        super().__init__()
        self.term, self.documents = term, documents
        self.forms = forms or []

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.term!r}, {self.documents.__name__})"

    def get_source_expressions(self) -> list:
        return list(self.forms)

    def set_source_expressions(self, exprs) -> None:
        self.forms = list(exprs)

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        literal = _Literal(self.term)
        # The trigram index is on lower(document), the same text (documents are lower-case already): `document
        # LIKE` below is not something it answers, so the planner never ANDs the two indexes (a lossy trigram
        # page would recheck every row's grams, a function of the whole document: seconds). ANALYZE keeps
        # statistics of the index's expression, from which PostgreSQL estimates the LIKE.
        found = self.documents.objects.alias(_lowered=Lower("document")).filter(_lowered__contains=_Normalised(literal))
        narrowed = self.documents.objects.filter(
            grams__contains=_QueryGrams(literal), document__contains=_Normalised(literal)
        )
        estimable = _TRIGRAM_WORD.search(unicodedata.normalize("NFKC", self.term).lower()) is not None
        forms = []
        for documents in (found, narrowed) if estimable else (narrowed,):
            key = F("pk").resolve_expression(query, allow_joins, reuse, summarize)
            owners = documents.values(self.documents.owner_column).resolve_expression(query, allow_joins, reuse)
            forms.append(In(key, owners))
        return _DocumentSearch(self.term, self.documents, forms)

    def as_sql(self, compiler, connection):
        query = compiler.query
        ordered = bool(query.order_by or (query.default_ordering and query.get_meta().ordering))
        # A bounded count (no order, a limit) stops at its cap: with the LIKE's estimate PostgreSQL starts from
        # a selective filter beside the term (a township's hundred projects) instead of from every match.
        bounded = not ordered and query.high_mark is not None
        walks = len(self.forms) == 2 and (bounded or (ordered and query.low_mark <= MAX_WALKED_OFFSET))
        return compiler.compile(self.forms[0] if walks else self.forms[-1])


class _Literal(models.Value):
    """A text value written into the statement as an SQL literal (psycopg quotes it), not as a parameter."""

    def __init__(self, value: str) -> None:
        super().__init__(value, output_field=models.TextField())

    def as_sql(self, compiler, connection):
        # `%` is doubled: the statement still goes through the driver's parameter formatting.
        return sql.quote(self.value, connection.connection).replace("%", "%%"), []


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
