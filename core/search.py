"""Free-text search over English and Chinese names and aliases, backed by a trigram index.

Each searchable model indexes `tracker_search_text(name, name_zh, aliases)`, a lower-cased
concatenation, with GIN `gin_trgm_ops`; `?search=` becomes `LIKE '%term%'` on that expression,
which the index answers.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func

MAX_SEARCH_LENGTH = 100


class SearchText(Func):
    function = "tracker_search_text"
    output_field = models.TextField()

    def __init__(self, name: str = "name", name_zh: str = "name_zh", aliases: str = "aliases") -> None:
        super().__init__(F(name), F(name_zh), F(aliases))


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
