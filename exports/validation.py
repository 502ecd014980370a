"""Offline validation of an OC4IDS project package: what the Open Contracting validator (libcoveoc4ids) checks,
against the vendored schema and codelists (exports/standards/), without the network.

- `schema_errors`: JSON Schema (draft 4), the `$ref`s to the standard's website resolved to the vendored files;
- `codelist_errors`: every value of a field with a codelist is in that codelist's CSV, or, for an open codelist,
  one of the extensions the export declares (`EXTENDED_OPEN_CODES`, docs/oc4ids.md);
- `additional_checks`: the validator's additional checks, "missing values" (empty or blank fields), "missing
  currency" (an amount without a currency) and "missing organisation references" (a reference to a party that
  is not in the project's parties), as libcoveoc4ids 0.9.1 defines them. The library itself is not used: it
  would bring about 35 packages (libcove, libcoveocds, flattentool, ZODB, lxml, requests-cache ...) for these
  three small functions, and it downloads the schema unless configured otherwise (docs/oc4ids.md).

jsonschema and referencing are development dependencies: only the test suite imports this module.
"""

from __future__ import annotations

import csv
import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

STANDARD = Path(__file__).resolve().parent / "standards" / "oc4ids-0.9.5"
BASE_URI = "https://standard.open-contracting.org/infrastructure/schema/0__9__5/"
SCHEMAS = ("project-package-schema.json", "project-schema.json")

# Values of open codelists that are not in the standard's CSVs, where no code of theirs fits.
EXTENDED_OPEN_CODES = {
    "locationGazetteers.csv": {"GB/T 2260"},
    "classificationScheme.csv": {"GB/T 4754-2017", "CN-LOCAL-INDUSTRY-CHAIN"},
}

# Organisation references of a project, as JSON pointers below /projects/N/ (the paths libcoveoc4ids checks).
ORGANISATION_REFERENCES = re.compile(
    r"^/projects/(\d+)/(publicAuthority"
    r"|budget/budgetBreakdowns/\d+/budgetBreakdown/\d+/sourceParty"
    r"|contractingProcesses/\d+/summary/(tender/(tenderers/\d+|procuringEntity|administrativeEntity)|suppliers/\d+)"
    r")/id$"
)


@functools.cache
def schema(name: str = "project-package-schema.json") -> dict[str, Any]:
    return json.loads((STANDARD / name).read_text(encoding="utf-8"))


def schema_errors(package: dict[str, Any]) -> list[str]:
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resources(
        (BASE_URI + name, Resource.from_contents(schema(name), default_specification=DRAFT4)) for name in SCHEMAS
    )
    validator = Draft4Validator(schema(), registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [
        f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in sorted(validator.iter_errors(package), key=lambda error: list(map(str, error.absolute_path)))
    ]


@functools.cache
def codelist(name: str) -> frozenset[str]:
    with (STANDARD / "codelists" / name).open(encoding="utf-8", newline="") as file:
        return frozenset(row["Code"] for row in csv.DictReader(file))


def _codelist_fields(node: Any, pointer: str = "") -> Iterator[tuple[str, str, bool]]:
    """(JSON pointer pattern, codelist file, open?) of every field of the project schema with a codelist;
    `*` stands for an array index."""
    definitions = schema("project-schema.json")["definitions"]

    def walk(node: Any, pointer: str, seen: frozenset[str]) -> Iterator[tuple[str, str, bool]]:
        if not isinstance(node, dict):
            return
        ref = node.get("$ref", "")
        if ref.startswith("#/definitions/"):
            name = ref.removeprefix("#/definitions/")
            if name not in seen:
                yield from walk(definitions[name], pointer, seen | {name})
            return
        if "codelist" in node:
            yield pointer, node["codelist"], bool(node.get("openCodelist"))
        for key, child in node.get("properties", {}).items():
            yield from walk(child, f"{pointer}/{key}", seen)
        if "items" in node:
            yield from walk(node["items"], f"{pointer}/*", seen)

    yield from walk(node, pointer, frozenset())


@functools.cache
def codelist_fields() -> tuple[tuple[re.Pattern[str], str, bool], ...]:
    fields = _codelist_fields(schema("project-schema.json"), "/projects/*")
    return tuple(
        (re.compile("^" + re.escape(pointer).replace(r"\*", r"\d+") + r"(/\d+)?$"), name, is_open)
        for pointer, name, is_open in fields
    )


def flatten(value: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """(JSON pointer, value) of every leaf, and of every empty object or array."""
    if isinstance(value, dict):
        if not value:
            yield pointer, value
        for key, item in value.items():
            yield from flatten(item, f"{pointer}/{key}")
    elif isinstance(value, list):
        if not value:
            yield pointer, value
        for index, item in enumerate(value):
            yield from flatten(item, f"{pointer}/{index}")
    else:
        yield pointer, value


def codelist_errors(package: dict[str, Any]) -> list[str]:
    errors = []
    for pointer, value in flatten(package):
        for pattern, name, is_open in codelist_fields():
            if not pattern.match(pointer) or not isinstance(value, str):
                continue
            allowed = codelist(name) | (EXTENDED_OPEN_CODES.get(name, set()) if is_open else set())
            if value not in allowed:
                errors.append(f"{pointer}: {value!r} is not in {name}")
    return errors


def additional_checks(package: dict[str, Any]) -> dict[str, list[str]]:
    """The validator's additional checks: each check's id and the pointers it flags (none when the data passes)."""
    flat = dict(flatten(package))
    missing_values = [
        pointer
        for pointer, value in flat.items()
        if (isinstance(value, str) and not value.strip()) or (isinstance(value, dict | list) and not value)
    ]
    missing_currency = [
        pointer.removesuffix("amount")
        for pointer in flat
        if pointer.endswith("amount") and pointer.removesuffix("amount") + "currency" not in flat
    ]
    missing_references = []
    for pointer, value in flat.items():
        match = ORGANISATION_REFERENCES.match(pointer)
        if match:
            parties = package["projects"][int(match.group(1))].get("parties", [])
            if value not in {party.get("id") for party in parties if isinstance(party, dict)}:
                missing_references.append(pointer)
    return {
        "missing-values": missing_values,
        "missing-currency": missing_currency,
        "missing-org-refs": missing_references,
    }
