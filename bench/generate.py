"""Deterministic synthetic data in tiers, loaded set-wise (COPY and INSERT ... SELECT generate_series).

    python -m bench.generate --tier M          # into tracker_bench (see bench/db.py)
    python -m bench.generate --tier S --force  # reload even if the tier is already there

What the app's triggers would do is done here, and rows end up as the app would have them:

- Small trees and lookups (regions, industries, the citation source) are loaded with every trigger
  on: the database's own `tree_set_path` writes each path, `regions_check_level` checks levels, and
  pghistory records an insert event per row, exactly as for rows the app creates.
- The large tables (companies, projects, their industries, participants, milestones) are loaded with
  `SET LOCAL session_replication_role = replica`, which skips their row triggers, foreign-key
  triggers included (it needs a superuser, which the embedded server's `postgres` is). What those
  triggers would have changed is computed here instead: `version` is 1 (the version trigger only
  raises it on UPDATE); a project's `stage` is the furthest stage of its actual milestones (each
  generated milestone records the project's own stage, so `projects_sync_stage` would change
  nothing); a project's filter keys (`region_codes`, `industry_codes`) are aggregated from the trees and
  the drawn links; a project's search document is written by the function its trigger calls, once its
  industries and participants are drawn; the summaries' rollup (projects/migrations/0020) is rebuilt by
  the function the migration fills it with; the search text of the other tables is an expression index,
  computed by the index itself. Foreign keys hold
  by construction, and `check_integrity()` verifies them after the load. The one thing skipped is
  history: no pghistory insert events are written for these rows, as if they predated tracking.
  No benchmarked endpoint reads history.

Randomness is a hash of (row number, salt) in SQL and a seeded `random.Random` in Python, so the
same tier gives the same rows, ids and all, on every run. Distributions are skewed: regions and
industries by a power of a uniform draw over a shuffled list (a few get most projects), stages by
funnel weights (most projects are early), companies by a square (a few lead many projects).
"""

# Seeded randomness for reproducible data, not for secrets.
# ruff: noqa: S311
from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

SEED = 20260101
# Fixed clock: created_at/updated_at must not depend on when the data was generated.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)

BIG_TABLES = [
    "companies_company",
    "projects_project",
    "projects_project_industries",
    "projects_participant",
    "projects_milestone",
    "projects_searchdocument",
]


@dataclass(frozen=True)
class Tier:
    name: str
    projects: int
    companies: int
    provinces: int = 31
    cities_per_province: tuple[int, int] = (6, 14)
    counties_per_city: tuple[int, int] = (5, 11)
    zone_share: float = 0.08  # counties that have a development zone below them


TIERS = {
    "tiny": Tier(
        "tiny", projects=1_000, companies=300, provinces=4, cities_per_province=(2, 4), counties_per_city=(2, 5)
    ),
    "S": Tier("S", projects=100_000, companies=20_000),
    "M": Tier("M", projects=300_000, companies=30_000),
    "L": Tier("L", projects=1_000_000, companies=50_000),
}

# Project names are "<place> <industry> <noun> <number>". SEARCH_TERM occurs in no other word (checked
# below), so a search for it finds exactly the projects named with it, by name and alias alike.
PLACE_WORDS = [
    "Lishui", "Longquan", "Qingtian", "Jinyun", "Suichang", "Songyang", "Yunhe", "Qingyuan", "Jingning", "Liandu",
    "Wenzhou", "Ningbo", "Hangzhou", "Jiaxing", "Huzhou", "Shaoxing", "Jinhua", "Quzhou", "Zhoushan", "Taizhou",
    "Anji", "Deqing", "Tongxiang", "Haining", "Yiwu", "Dongyang", "Yongkang", "Lanxi", "Jiangshan", "Kaihua",
]  # fmt: skip
INDUSTRY_WORDS = [
    "graphene", "semiconductor", "battery", "photovoltaic", "pharmaceutical", "textile", "valve", "bamboo",
    "tea", "mushroom", "metaverse", "robotics", "packaging", "furniture", "ceramics", "logistics", "tourism",
    "hydrogen", "optical", "software", "precision", "sensor", "machinery", "biotech", "fastener", "porcelain",
    "sword", "stone", "wind", "silk",
]  # fmt: skip
NOUN_WORDS = ["Industrial Park", "Production Base", "Plant", "Centre", "Expansion", "Upgrade", "Hub", "Project"]
ZH_WORDS = ["丽水", "龙泉", "青田", "缙云", "遂昌", "松阳", "云和", "庆元", "景宁", "莲都", "温州", "宁波"]
ZH_NOUNS = ["产业园", "生产基地", "工厂", "中心", "扩建项目", "技改项目", "综合体", "项目"]
SEARCH_TERM = "graphene"
SYLLABLES = [
    "an", "bai", "chang", "dong", "feng", "gu", "hai", "jin", "kang", "lin", "ming", "nan", "ping", "qing",
    "rui", "shan", "tai", "wen", "xi", "yang", "zhou", "hua", "long", "yun", "song", "he", "quan", "shui",
]  # fmt: skip
ZH_CHARS = "安白长东丰古海金康林明南平青瑞山泰文西阳州华龙云松和泉水"
STAGES = [
    # stage, cumulative share of projects
    ("conceived", 0.30),
    ("negotiating", 0.50),
    ("signed", 0.65),
    ("landed", 0.75),
    ("construction_started", 0.84),
    ("in_production", 0.91),
    ("at_capacity", 0.95),
    ("on_hold", 0.98),
    ("cancelled", 1.00),
]
SECTIONS = "ABCDEFGHIJKLMNOPQRST"
CHAINS = ["SEMICONDUCTOR", "HEALTH", "NEW-ENERGY", "METAVERSE", "ECO-AGRI", "PRECISION", "TOURISM", "MATERIALS"]


def _check_vocabulary() -> None:
    words = [w.lower() for w in PLACE_WORDS + INDUSTRY_WORDS + NOUN_WORDS + SYLLABLES if w != SEARCH_TERM]
    assert not any(SEARCH_TERM in w for w in words), "the search term must occur in one word only"


# --------------------------------------------------------------------------------------------------
# Small trees, built in Python and copied in with every trigger on.
# --------------------------------------------------------------------------------------------------


def _name(rng: random.Random, parts: int = 2) -> tuple[str, str]:
    picks = [rng.randrange(len(SYLLABLES)) for _ in range(parts)]
    return "".join(SYLLABLES[i] for i in picks).capitalize(), "".join(ZH_CHARS[i] for i in picks)


def build_regions(tier: Tier, rng: random.Random) -> list[tuple]:
    """(id, code, name, name_zh, level, parent_id) in insertion order, parents first.

    Four levels: province (the roots), prefecture-level city, district/county/county-level city,
    development zone. Codes follow GB/T 2260 and the app's internal-code pattern.
    """
    rows: list[tuple] = []
    provinces = sorted(rng.sample(range(11, 66), tier.provinces))
    for pp in provinces:
        name, zh = _name(rng)
        rows.append((len(rows) + 1, f"{pp}0000", f"{name} Province", f"{zh}省", "province", None))
    cities = []
    for province_id, pp in enumerate(provinces, start=1):
        for cc in range(1, rng.randint(*tier.cities_per_province) + 1):
            name, zh = _name(rng)
            rows.append((len(rows) + 1, f"{pp}{cc:02d}00", f"{name} City", f"{zh}市", "prefecture_city", province_id))
            cities.append((len(rows), f"{pp}{cc:02d}"))
    counties = []
    for city_id, prefix in cities:
        for dd in range(1, rng.randint(*tier.counties_per_city) + 1):
            name, zh = _name(rng)
            level, suffix, zh_suffix = rng.choices(
                [("district", "District", "区"), ("county", "County", "县"), ("county_city", "City", "市")],
                weights=[3, 5, 2],
            )[0]
            rows.append((len(rows) + 1, f"{prefix}{dd:02d}", f"{name} {suffix}", f"{zh}{zh_suffix}", level, city_id))
            counties.append((len(rows), f"{prefix}{dd:02d}", name, zh))
    for county_id, code, name, zh in counties:
        if rng.random() < tier.zone_share:
            rows.append(
                (len(rows) + 1, f"{code}-HTZ", f"{name} High-tech Zone", f"{zh}高新区", "development_zone", county_id)
            )
    return rows


def build_industries(rng: random.Random) -> list[tuple]:
    """(id, code, name, name_zh, scheme, parent_id): GB/T 4754 sections, divisions and groups, and chains.

    Section C (manufacturing) has most divisions, as in the real classification.
    """
    rows: list[tuple] = []
    division_counts = {section: (31 if section == "C" else rng.randint(2, 4)) for section in SECTIONS}
    division = 1
    for section in SECTIONS:
        rows.append((len(rows) + 1, section, f"Section {section}", f"门类{section}", "gbt4754", None))
        section_id = len(rows)
        for _ in range(division_counts[section]):
            name, zh = _name(rng)
            rows.append(
                (len(rows) + 1, f"{section}{division:02d}", f"{name} industry", f"{zh}业", "gbt4754", section_id)
            )
            division_id = len(rows)
            for group in range(1, rng.randint(2, 5) + 1):
                name, zh = _name(rng)
                code = f"{section}{division:02d}{group}"
                rows.append((len(rows) + 1, code, f"{name} products", f"{zh}制品", "gbt4754", division_id))
            division += 1
    for chain in CHAINS:
        rows.append((len(rows) + 1, f"CHAIN-{chain}", f"{chain.title()} chain", f"{chain}产业链", "chain", None))
        chain_id = len(rows)
        for k in range(1, 4):
            rows.append(
                (len(rows) + 1, f"CHAIN-{chain}-{k}", f"{chain.title()} link {k}", f"环节{k}", "chain", chain_id)
            )
    return rows


# --------------------------------------------------------------------------------------------------
# The load.
# --------------------------------------------------------------------------------------------------

# u(k, salt): a uniform draw in [0, 1) from a hash, the same on every run and every server.
U_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.u(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ('x' || substr(md5(k::text || '/' || salt::text), 1, 12))::bit(48)::bigint / 281474976710656.0 $$
"""


def _stage_case(column: str) -> str:
    branches = " ".join(f"WHEN {column} < {share} THEN '{stage}'" for stage, share in STAGES[:-1])
    return f"CASE {branches} ELSE '{STAGES[-1][0]}' END"


def _tables_to_reset(conn: psycopg.Connection) -> list[str]:
    """The app's data tables (and their history tables), emptied before a load."""
    prefixes = ("regions_", "industries_", "companies_", "projects_", "sources_", "indicators_", "accounts_region")
    rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").fetchall()
    return [name for (name,) in rows if name.startswith(prefixes)]


def _drop_secondary_indexes(conn: psycopg.Connection, tables: list[str]) -> list[str]:
    """Drop the indexes of `tables` that back no constraint; return their definitions."""
    rows = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
        " WHERE indrelid = ANY(%s::regclass[])"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        " ORDER BY 1",
        [tables],
    ).fetchall()
    for name, _definition in rows:
        conn.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def _copy(conn: psycopg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _stamp(i: int) -> datetime:
    return EPOCH + timedelta(minutes=i)


def load(conn: psycopg.Connection, tier: Tier, *, analyze: bool = True, log=print) -> dict[str, float]:
    """Replace the app's data with `tier`'s; return seconds per step. `conn` must be in autocommit mode."""
    _check_vocabulary()
    rng = random.Random(SEED)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 3)
        log(f"  {name}: {timings[name]:.2f} s")
        started = now

    regions = build_regions(tier, rng)
    industries = build_industries(rng)
    with conn.transaction():
        tables = _tables_to_reset(conn)
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute("SET LOCAL synchronous_commit = off")
        step("truncate")

        # Trees and the citation source, with every trigger on (paths, level checks, history).
        _copy(
            conn,
            "regions_region",
            ["id", "code", "name", "name_zh", "level", "parent_id", "aliases", "path", "created_at", "updated_at",
             "version"],
            [(*r, [], "", _stamp(0), _stamp(0), 1) for r in regions],
        )  # fmt: skip
        _copy(
            conn,
            "industries_industry",
            ["id", "code", "name", "name_zh", "scheme", "parent_id", "aliases", "path", "description", "created_at",
             "updated_at", "version"],
            [(*r, [], "", "", _stamp(0), _stamp(0), 1) for r in industries],
        )  # fmt: skip
        conn.execute(
            "INSERT INTO sources_source (id, slug, title, publisher, url, published_on, kind, language, notes,"
            " created_at, updated_at, version) VALUES (1, 'bench-source', 'Synthetic benchmark source', 'bench', '',"
            " '2024-01-01', 'other', 'en', '', %s, %s, 1)",
            [_stamp(0), _stamp(0)],
        )
        citations = [(i, 1, f"L{i}", f"Synthetic sentence {i}.", _stamp(0), _stamp(0), 1) for i in range(1, 201)]
        _copy(conn, "sources_citation", ["id", "source_id", "locator", "quote", "created_at", "updated_at", "version"],
              citations)  # fmt: skip
        step("regions, industries, citations (triggers on)")

        # Skewed picks: a shuffled list, drawn from by floor(n * u^k).
        conn.execute(U_FUNCTION)
        placeable = [r[0] for r in regions if r[4] != "province"]
        rng.shuffle(placeable)
        leaves = [r[0] for r in industries if r[5] is not None and (len(r[1]) == 4 or r[4] == "chain")]
        rng.shuffle(leaves)
        conn.execute("CREATE TEMP TABLE pick_region (rank int PRIMARY KEY, id bigint) ON COMMIT DROP")
        conn.execute("CREATE TEMP TABLE pick_industry (rank int PRIMARY KEY, id bigint) ON COMMIT DROP")
        _copy(conn, "pick_region", ["rank", "id"], list(enumerate(placeable)))
        _copy(conn, "pick_industry", ["rank", "id"], list(enumerate(leaves)))
        # The filter keys the project triggers would write (projects/migrations/0012), per region.
        conn.execute(
            """
            CREATE TEMP TABLE region_codes ON COMMIT DROP AS
            SELECT r.id, array_agg(a.code ORDER BY nlevel(a.path))::varchar[] AS codes
            FROM regions_region r JOIN regions_region a ON a.path @> r.path
            GROUP BY r.id
            """
        )
        conn.execute("ALTER TABLE region_codes ADD PRIMARY KEY (id)")
        conn.execute("ANALYZE pick_region; ANALYZE pick_industry; ANALYZE region_codes")

        # The large tables skip their row triggers (see the module docstring for what stands in).
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        # Building an index once is much faster than growing it row by row (the trigram GIN above all):
        # the secondary indexes go, and come back from their own definitions, exactly as migrated.
        indexes = _drop_secondary_indexes(conn, BIG_TABLES)
        step(f"drop {len(indexes)} secondary indexes")
        params = {
            "n_projects": tier.projects,
            "n_companies": tier.companies,
            "n_regions": len(placeable),
            "n_industries": len(leaves),
            "epoch": EPOCH,
            "places": PLACE_WORDS,
            "industries": INDUSTRY_WORDS,
            "nouns": NOUN_WORDS,
            "zh": ZH_WORDS,
            "zh_nouns": ZH_NOUNS,
        }
        conn.execute(
            """
            INSERT INTO companies_company (id, name, name_zh, aliases, slug, kind, credit_code, credit_code_unverified,
                headquarters_id, parent_id, parent_since, parent_since_precision, parent_citation_id, stock_code,
                website, description, created_at, updated_at, version)
            SELECT g,
                   (%(places)s::text[])[1 + floor(pg_temp.u(g, 1) * 30)::int] || ' '
                       || initcap((%(industries)s::text[])[1 + floor(pg_temp.u(g, 2) * 30)::int]) || ' Co., Ltd. ' || g,
                   (%(zh)s::text[])[1 + floor(pg_temp.u(g, 1) * 12)::int] || '公司' || g,
                   '{}', 'bench-company-' || g,
                   CASE WHEN pg_temp.u(g, 3) < 0.90 THEN 'enterprise' WHEN pg_temp.u(g, 3) < 0.94 THEN 'platform'
                        WHEN pg_temp.u(g, 3) < 0.98 THEN 'government' ELSE 'association' END,
                   NULL, FALSE, pr.id,
                   CASE WHEN g > 1 AND pg_temp.u(g, 4) < 0.05 THEN 1 + floor(pg_temp.u(g, 5) * (g - 1))::bigint END,
                   NULL, '', NULL, '', '', '',
                   %(epoch)s::timestamptz + g * interval '1 minute', %(epoch)s::timestamptz + g * interval '1 minute', 1
            FROM generate_series(1, %(n_companies)s) AS g
            JOIN pick_region pr ON pr.rank = floor(%(n_regions)s * pg_temp.u(g, 6) ^ 2)::int
            """,
            params,
        )
        step(f"companies ({tier.companies:,})")
        # 1 to 3 industries a project (5 %: none), skewed towards the first of the shuffled leaves; drawn
        # before the projects, whose industry codes (with the broader industries') they give.
        conn.execute(
            """
            CREATE TEMP TABLE project_links ON COMMIT DROP AS
            SELECT DISTINCT g AS project_id, pi.id AS industry_id
            FROM generate_series(1, %(n_projects)s) AS g
            CROSS JOIN LATERAL generate_series(1, CASE WHEN pg_temp.u(g, 21) < 0.05 THEN 0
                WHEN pg_temp.u(g, 21) < 0.55 THEN 1 WHEN pg_temp.u(g, 21) < 0.85 THEN 2 ELSE 3 END) AS j
            JOIN pick_industry pi ON pi.rank = floor(%(n_industries)s * pg_temp.u(g * 4 + j, 22) ^ 2)::int
            """,
            params,
        )
        conn.execute(
            """
            CREATE TEMP TABLE industry_codes ON COMMIT DROP AS
            SELECT l.project_id AS id, array_agg(DISTINCT a.code ORDER BY a.code)::varchar[] AS codes
            FROM project_links l
            JOIN industries_industry i ON i.id = l.industry_id
            JOIN industries_industry a ON a.path @> i.path
            GROUP BY l.project_id
            """
        )
        conn.execute("ALTER TABLE industry_codes ADD PRIMARY KEY (id); ANALYZE industry_codes")
        conn.execute(
            f"""
            INSERT INTO projects_project (id, name, name_zh, aliases, slug, kind, programme_id, description, region_id,
                stage, stage_reason, planned_investment, currency, investment_qualifier, investment_citation_id,
                tracked_by_id, created_at, updated_at, version, region_codes, industry_codes)
            SELECT g,
                   (%(places)s::text[])[1 + floor(u1 * 30)::int] || ' '
                       || initcap((%(industries)s::text[])[1 + floor(u2 * 30)::int]) || ' '
                       || (%(nouns)s::text[])[1 + floor(u3 * 8)::int] || ' ' || g,
                   CASE WHEN u3 < 0.7 THEN (%(zh)s::text[])[1 + floor(u1 * 12)::int]
                        || (%(zh_nouns)s::text[])[1 + floor(u3 * 8)::int] || g ELSE '' END,
                   CASE WHEN u4 < 0.1 THEN ARRAY['P-' || g] ELSE '{{}}' END,
                   'bench-project-' || g,
                   CASE WHEN g %% 500 = 0 THEN 'programme' ELSE 'project' END,
                   CASE WHEN g %% 500 <> 0 AND u4 > 0.95 AND %(n_projects)s >= 500
                        THEN 500 * (1 + floor(u5 * (%(n_projects)s / 500))::bigint) END,
                   CASE WHEN u5 < 0.3 THEN 'Synthetic project ' || g || '.' ELSE '' END,
                   pr.id, stage,
                   CASE WHEN stage IN ('on_hold', 'cancelled') THEN 'Synthetic reason.' ELSE '' END,
                   CASE WHEN u6 >= 0.12 THEN (floor(power(10, 6 + 4 * u7) / 10000) * 10000)::numeric(20, 2) END,
                   CASE WHEN u8 < 0.04 THEN 'USD' ELSE 'CNY' END,
                   CASE WHEN u6 < 0.12 THEN '' WHEN u9 < 0.70 THEN 'exact' WHEN u9 < 0.85 THEN 'about'
                        WHEN u9 < 0.95 THEN 'more_than' WHEN u9 < 0.98 THEN 'at_least' ELSE 'less_than' END,
                   CASE WHEN u8 > 0.8 THEN 1 + floor(u2 * 200)::bigint END,
                   NULL,
                   %(epoch)s::timestamptz + g * interval '1 minute', %(epoch)s::timestamptz + g * interval '1 minute',
                   1, rc.codes, coalesce(ic.codes, '{{}}')
            FROM (
                SELECT g, pg_temp.u(g, 11) AS u1, pg_temp.u(g, 12) AS u2, pg_temp.u(g, 13) AS u3,
                       pg_temp.u(g, 14) AS u4, pg_temp.u(g, 15) AS u5, pg_temp.u(g, 16) AS u6,
                       pg_temp.u(g, 17) AS u7, pg_temp.u(g, 18) AS u8, pg_temp.u(g, 28) AS u9,
                       {_stage_case("pg_temp.u(g, 19)")} AS stage,
                       floor(%(n_regions)s * pg_temp.u(g, 20) ^ 3)::int AS region_rank
                FROM generate_series(1, %(n_projects)s) AS g
            ) AS draws
            JOIN pick_region pr ON pr.rank = region_rank
            JOIN region_codes rc ON rc.id = pr.id
            LEFT JOIN industry_codes ic ON ic.id = g
            """,  # noqa: S608 - only constants of this module are formatted in
            params,
        )
        step(f"projects ({tier.projects:,})")
        conn.execute(
            """
            INSERT INTO projects_project_industries (project_id, industry_id)
            SELECT project_id, industry_id FROM project_links ORDER BY project_id, industry_id
            """
        )
        step("project industries")
        # A lead investor for 70 % of projects, another investor for 25 %; companies skewed to low ids.
        conn.execute(
            """
            INSERT INTO projects_participant (project_id, company_id, role, share, note, citation_id,
                created_at, updated_at, version)
            SELECT g, 1 + floor(%(n_companies)s * pg_temp.u(g, 23 + r) ^ 2)::bigint,
                   CASE r WHEN 0 THEN 'lead_investor' ELSE 'investor' END, NULL, '', NULL,
                   %(epoch)s::timestamptz + g * interval '1 minute', %(epoch)s::timestamptz + g * interval '1 minute', 1
            FROM generate_series(1, %(n_projects)s) AS g
            CROSS JOIN generate_series(0, 1) AS r
            WHERE g %% 500 <> 0 AND pg_temp.u(g, 25 + r) < CASE r WHEN 0 THEN 0.70 ELSE 0.25 END
            ORDER BY g, r
            """,
            params,
        )
        step("participants")
        # Each project's search document (projects/migrations/0015), by the function its trigger calls. Statistics
        # first: planned against tables it saw empty, the function would scan them for every project.
        conn.execute("ANALYZE companies_company; ANALYZE projects_participant; ANALYZE projects_project_industries")
        conn.execute(
            "INSERT INTO projects_searchdocument (project_id, document)"
            " SELECT id, projects_search_document(id, name, name_zh, aliases, region_id) FROM projects_project"
            " ORDER BY id"
        )
        step("search documents")
        # An actual milestone of the project's own stage for 30 % of funnel projects: what the stage
        # trigger derives from them is then the stage the project already has.
        conn.execute(
            """
            INSERT INTO projects_milestone (project_id, stage, date, date_precision, is_planned, note, citation_id,
                created_at, updated_at, version)
            SELECT p.id, p.stage, DATE '2020-01-01' + (p.id % 1800)::int, 'day', FALSE, '', NULL,
                   p.created_at, p.created_at, 1
            FROM projects_project p
            WHERE p.stage NOT IN ('on_hold', 'cancelled') AND pg_temp.u(p.id, 27) < 0.30
            ORDER BY p.id
            """,
        )
        step("milestones")
        for definition in indexes:
            conn.execute(definition)
        step("rebuild indexes")
        # The summaries' rollup, which the projects' statement triggers would have kept (projects/migrations/0020).
        conn.execute("SELECT projects_rebuild_summary()")
        step("summary rollup")
        keyed_by_id = [t for t in BIG_TABLES if t != "projects_searchdocument"]  # a document's key is its project's
        for table in ["regions_region", "industries_industry", "sources_source", "sources_citation", *keyed_by_id]:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        # The big tables were written with triggers off, so their statement triggers never raised the data
        # generation (projects/summary_cache.py): one UPDATE here, or cached summaries would outlive the load.
        conn.execute("UPDATE core_datageneration SET n = n + 1 WHERE id = 1")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (tier text NOT NULL, seed int NOT NULL, loaded_at timestamptz)"
        )
        conn.execute("TRUNCATE bench_meta")
        conn.execute("INSERT INTO bench_meta VALUES (%s, %s, now())", [tier.name, SEED])
    step("commit")
    check_integrity(conn)
    step("integrity check")
    if analyze:
        # VACUUM too: a freshly written table has no visibility map, so every index-only scan (the list's
        # covering indexes, docs/operations/performance.md) would visit the heap until autovacuum came by,
        # and the timings would depend on when it did. A running site's tables are vacuumed.
        conn.execute("VACUUM (ANALYZE)")
        step("vacuum, analyze")
    return timings


def check_integrity(conn: psycopg.Connection) -> None:
    """The foreign keys and the stage rule that the skipped triggers would have enforced hold."""
    problems = {
        "project region": "SELECT count(*) FROM projects_project p LEFT JOIN regions_region r ON r.id = p.region_id"
        " WHERE r.id IS NULL",
        "project programme": "SELECT count(*) FROM projects_project p JOIN projects_project q ON q.id = p.programme_id"
        " WHERE q.kind <> 'programme'",
        "company parent": "SELECT count(*) FROM companies_company c LEFT JOIN companies_company q"
        " ON q.id = c.parent_id WHERE c.parent_id IS NOT NULL AND q.id IS NULL",
        "participant company": "SELECT count(*) FROM projects_participant x LEFT JOIN companies_company c"
        " ON c.id = x.company_id WHERE c.id IS NULL",
        "industry link": "SELECT count(*) FROM projects_project_industries x LEFT JOIN industries_industry i"
        " ON i.id = x.industry_id WHERE i.id IS NULL",
        "stage vs milestones": "SELECT count(*) FROM projects_milestone m"
        " JOIN projects_project p ON p.id = m.project_id"
        " WHERE NOT m.is_planned AND p.stage <> m.stage",
        # What projects_set_filter_keys() and projects_write_search_document() would have written
        # (projects/migrations/0012 and 0015); sampled, since the functions run a query per row.
        "filter keys": "SELECT count(*) FROM projects_project p WHERE p.id % 97 = 0"
        " AND (p.region_codes IS DISTINCT FROM projects_region_codes(p.region_id)"
        " OR p.industry_codes IS DISTINCT FROM projects_industry_codes(p.id))",
        "search documents": "SELECT count(*) FROM projects_project p"
        " LEFT JOIN projects_searchdocument s ON s.project_id = p.id WHERE p.id % 97 = 0"
        " AND s.document IS DISTINCT FROM projects_search_document(p.id, p.name, p.name_zh, p.aliases, p.region_id)",
    }
    bad = {name: n for name, q in problems.items() if (n := conn.execute(q).fetchone()[0])}
    if bad:
        raise RuntimeError(f"generated data breaks the schema's rules: {bad}")


def loaded_tier(conn: psycopg.Connection) -> str | None:
    exists = conn.execute("SELECT to_regclass('bench_meta') IS NOT NULL").fetchone()[0]
    if not exists:
        return None
    row = conn.execute("SELECT tier FROM bench_meta WHERE seed = %s", [SEED]).fetchone()
    return row[0] if row else None


def checksum(conn: psycopg.Connection) -> dict[str, str]:
    """An md5 of every generated table's rows in id order: equal checksums, equal data."""
    result = {}
    for table in ["regions_region", "industries_industry", *BIG_TABLES]:
        order = {"projects_project_industries": "project_id, industry_id", "projects_searchdocument": "project_id"}.get(
            table, "id"
        )
        cols = "project_id, industry_id" if table == "projects_project_industries" else f"{table}.*"
        query = f"SELECT md5(coalesce(string_agg(({cols})::text, '|' ORDER BY {order}), '')) FROM {table}"  # noqa: S608
        result[table] = conn.execute(query).fetchone()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tier", default="S", choices=list(TIERS))
    parser.add_argument("--database-url", help="default: tracker_bench on DATABASE_URL's server or the embedded one")
    parser.add_argument("--force", action="store_true", help="reload even when the tier is already loaded")
    parser.add_argument("--no-migrate", action="store_true", help="the database is already migrated")
    args = parser.parse_args(argv)
    from bench import db

    url = args.database_url or db.bench_url()
    if not args.no_migrate:
        db.ensure_database(url)
    with psycopg.connect(url, autocommit=True) as conn:
        if not args.force and loaded_tier(conn) == args.tier:
            print(f"tier {args.tier} is already loaded in {url.split('?')[0]}; --force reloads it")
            return 0
        print(f"loading tier {args.tier} into {url.split('?')[0]}")
        started = time.perf_counter()
        load(conn, TIERS[args.tier])
        print(f"tier {args.tier} loaded in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
