from django.db import migrations

# Search by substring in any language (issue 10, item 1), as frozen text (tests/test_migrations_frozen.py).
#
# pg_trgm cannot find a two-character word: `LIKE '%龙泉%'` gives it no trigram, so its GIN index hands back every
# row to check, and most Chinese words (place names, 科伦) have two characters. The grams below are every
# character and every pair of neighbouring characters of each word: a term is found through the pairs of its
# words (or the character of a one-character word), whatever its script, and the LIKE on the text itself then
# keeps only real substrings.
#
# Text and terms are normalised alike: NFKC (full-width letters and digits read as ASCII ones, the ideographic
# space as a space), lower case, runs of spaces and tabs as one space. Lines stay apart (a document puts each
# name on its own line), so a term never matches across two names.
SEARCH_GRAMS_SQL = r"""
CREATE OR REPLACE FUNCTION tracker_search_normalize(text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(regexp_replace(normalize(text, NFKC), '[ \t]+', ' ', 'g'))
$$;

CREATE OR REPLACE FUNCTION tracker_search_grams(document text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
    FROM regexp_split_to_table(document, '\s+') AS w,
         generate_series(1, length(w)) AS i,
         LATERAL (VALUES (substr(w, i, 1)), (substr(w, i, 2))) AS grams(g)
    WHERE g <> ''
$$;

CREATE OR REPLACE FUNCTION tracker_search_query_grams(term text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g ORDER BY g), '{}')
    FROM regexp_split_to_table(tracker_search_normalize(term), '\s+') AS w,
         generate_series(1, greatest(length(w) - 1, 1)) AS i,
         LATERAL (SELECT substr(w, i, least(length(w), 2)) AS g) AS grams
    WHERE g <> ''
$$;
"""

DROP_SQL = """
DROP FUNCTION IF EXISTS tracker_search_query_grams(text);
DROP FUNCTION IF EXISTS tracker_search_grams(text);
DROP FUNCTION IF EXISTS tracker_search_normalize(text);
"""


class Migration(migrations.Migration):
    """SQL functions for searching text by the characters and pairs of characters of its words."""

    dependencies = [("core", "0003_restorable_functions")]

    operations = [migrations.RunSQL(SEARCH_GRAMS_SQL, DROP_SQL)]
