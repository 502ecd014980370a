"""Migrations hold their SQL as frozen text: a migration that imports SQL from app code changes what it does on a
fresh database whenever that code is edited, long after the databases it already ran on were built."""

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

# What a migration may take from the project's own code: the classes its model operations name, as Django's own
# migrations import field classes. Each is a class, not SQL text: LtreeField is the field of regions' and
# industries' `path`; SearchText and SearchGrams are the expressions the search indexes (AddIndex of a GinIndex)
# are built on.
ALLOWED = frozenset(
    {"core.fields.LtreeField", "core.fields.MoneyField", "core.search.SearchText", "core.search.SearchGrams"}
)

PROJECT_PACKAGES = frozenset(path.parent.name for path in REPO.glob("*/__init__.py"))
MIGRATIONS = sorted(REPO.glob("*/migrations/[0-9]*.py"))


def _dotted(node: ast.expr) -> str | None:
    """`core.search.SearchText` for the attribute chain that spells it; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def live_imports(source: str) -> list[str]:
    """What the migration's source takes from the project's packages beyond ALLOWED, as dotted names."""
    tree = ast.parse(source)
    refused: list[str] = []
    imported_modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                refused.extend(f"{'.' * node.level}{node.module or ''}.{alias.name}" for alias in node.names)
            elif node.module.split(".")[0] in PROJECT_PACKAGES:
                refused.extend(
                    name for name in (f"{node.module}.{alias.name}" for alias in node.names) if name not in ALLOWED
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] not in PROJECT_PACKAGES:
                    continue
                if alias.asname:
                    # `import core.search as s` hides which names the module uses behind another name.
                    refused.append(f"{alias.name} as {alias.asname}")
                else:
                    imported_modules.add(alias.name)
    if imported_modules:
        # With `import core.search`, what counts is each name used through it: the longest chain in each spot.
        inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute | ast.Name) or id(node) in inner:
                continue
            name = _dotted(node)
            inside = name and any(name.startswith(f"{module}.") or name == module for module in imported_modules)
            if inside and name not in ALLOWED:
                refused.append(name)
    return refused


def test_the_check_finds_the_migrations_that_used_to_import_sql():
    assert REPO / "core/migrations/0001_database_functions.py" in MIGRATIONS
    assert REPO / "projects/migrations/0010_page_cache_generation.py" in MIGRATIONS


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda path: str(path.relative_to(REPO)))
def test_a_migration_takes_nothing_from_app_code_but_field_and_expression_classes(path: Path):
    assert live_imports(path.read_text()) == []


def test_a_migration_importing_sql_from_app_code_is_refused():
    source = "from django.db import migrations\nfrom core.trees import TREE_FUNCTIONS_SQL, tree_triggers_sql\n"
    assert live_imports(source) == ["core.trees.TREE_FUNCTIONS_SQL", "core.trees.tree_triggers_sql"]


def test_a_migration_reading_sql_through_an_allowed_module_is_refused():
    source = "import core.search\nSQL = core.search.SEARCH_TEXT_SQL\nINDEX = core.search.SearchText('name')\n"
    assert live_imports(source) == ["core.search.SEARCH_TEXT_SQL"]


def test_a_migration_importing_app_code_under_another_name_is_refused():
    assert live_imports("import projects.summary_cache as cache\n") == ["projects.summary_cache as cache"]


def test_a_migration_importing_app_code_relatively_is_refused():
    assert live_imports("from ..summary_cache import CACHE_TABLE_SQL\n") == ["..summary_cache.CACHE_TABLE_SQL"]


def test_a_migration_importing_app_code_inside_a_function_is_refused():
    source = "def forwards(apps, schema_editor):\n    from core.periods import PERIOD_BOUNDS_SQL\n"
    assert live_imports(source) == ["core.periods.PERIOD_BOUNDS_SQL"]


def test_a_migration_may_name_the_ltree_field_class():
    assert live_imports("import core.fields\nFIELD = core.fields.LtreeField(editable=False)\n") == []
