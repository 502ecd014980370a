"""The code that exists only for speed stays small (issue 19): bench.machinery counts it."""

from __future__ import annotations

from bench.machinery import LIMIT, PARTS, REPO, count, measure


def test_the_performance_machinery_is_under_its_limit_in_lines_of_code():
    rows = measure()
    assert sum(code for _name, code, _raw in rows) < LIMIT, rows


def test_every_part_it_counts_exists_and_is_counted():
    for name, names in PARTS:
        code, raw = count(REPO / name, names)
        assert 0 < code <= raw, name


def test_comments_docstrings_and_blank_lines_are_not_code(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        '"""Doc."""\n\n# why\ndef f():\n    """Doc\n    more."""\n    return 1  # no\n\n\ndef g():\n    pass\n'
    )
    assert count(module) == (4, 11)
    assert count(module, frozenset({"f"})) == (2, 4)
