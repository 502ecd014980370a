"""How much code exists only to give the same answer faster (issue 19: under 600 lines).

    python -m bench.machinery   -> one line per part, then the total, in lines of code and raw lines

Lines of code leave out blank lines, comments and docstrings (what `cloc` counts); raw lines are the files'
lengths. What counts as machinery: code that could be deleted with every answer staying the same, only
slower. The projection (PostgreSQL writes the JSON), the answer cache and its release key, orjson's
renderer, the PostgreSQL backend's server-side binding and health-check bypass, and the viewset's two
methods that hand a read to the projection. Not counted: what users see or rely on even if it were slow
(the bounded count and the cursor of the pagination, ETags, the summaries' own SQL, the throttle), and the
`SQLField` declarations in serializers, which are the domain's (one per computed field).
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIMIT = 600

# (file, names of top-level or class-level functions to count, or None for the whole file)
PARTS: list[tuple[str, frozenset[str] | None]] = [
    ("api/projection.py", None),
    ("projects/summary_cache.py", None),
    ("api/release.py", None),
    ("api/renderers.py", None),
    ("database/postgresql/base.py", None),
    ("api/viewsets.py", frozenset({"projection", "_projected_object"})),
]


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def _spans(tree: ast.AST, names: frozenset[str]) -> set[int]:
    return {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name in names
        for line in range(node.lineno - len(node.decorator_list), node.end_lineno + 1)
    }


def count(path: Path, names: frozenset[str] | None = None) -> tuple[int, int]:
    """(lines of code, raw lines) of `path`, or of its functions called `names`."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    within = _spans(tree, names) if names is not None else set(range(1, source.count("\n") + 2))
    skip = _docstring_lines(tree)
    code: set[int] = set()
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in ignored:
            code.update(line for line in range(token.start[0], token.end[0] + 1) if line in within and line not in skip)
    raw = len(within) if names is not None else source.count("\n")
    return len(code), raw


def measure() -> list[tuple[str, int, int]]:
    return [
        (name if names is None else f"{name} ({', '.join(sorted(names))})", *count(REPO / name, names))
        for name, names in PARTS
    ]


def main() -> None:
    rows = measure()
    for name, code, raw in rows:
        print(f"{code:5d} {raw:5d}  {name}")
    code, raw = sum(row[1] for row in rows), sum(row[2] for row in rows)
    print(f"{code:5d} {raw:5d}  total: lines of code, raw lines (limit {LIMIT} lines of code)")


if __name__ == "__main__":
    main()
