"""The offline OC4IDS checks (exports.validation) find what they are meant to find."""

from __future__ import annotations

import copy

import pytest

from exports.validation import additional_checks, codelist_errors, schema_errors

PACKAGE = {
    "uri": "https://example.cn/api/v1/export/oc4ids/",
    "publisher": {"name": "Bureau"},
    "publishedDate": "2024-08-01T09:30:00+08:00",
    "version": "0.9",
    "projects": [
        {
            "id": "oc4ids-xxxxxx-1",
            "status": "implementation",
            "budget": {"amount": {"amount": 1, "currency": "CNY"}},
            "parties": [{"id": "CN-USCC-1", "name": "Kelun", "roles": ["funder", "publicAuthority"]}],
            "publicAuthority": {"id": "CN-USCC-1", "name": "Kelun"},
            "locations": [{"id": "331181", "gazetteer": {"scheme": "GB/T 2260", "identifiers": ["331181"]}}],
        }
    ],
}


def changed(path: list, value) -> dict:
    package = copy.deepcopy(PACKAGE)
    node = package
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return package


def test_a_good_package_passes_every_check():
    assert schema_errors(PACKAGE) == []
    assert codelist_errors(PACKAGE) == []
    assert additional_checks(PACKAGE) == {"missing-values": [], "missing-currency": [], "missing-org-refs": []}


def test_the_project_schema_is_resolved_from_the_vendored_files():
    errors = schema_errors(changed(["projects", 0, "status"], "landed"))
    assert errors == ["/projects/0/status: 'landed' is not one of " + errors[0].split(" is not one of ")[1]]
    assert schema_errors(changed(["projects", 0, "budget", "amount", "amount"], "1")) != []
    assert schema_errors(changed(["version"], "0.9.5")) != []


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (["projects", 0, "parties", 0, "roles"], ["investor"], "/projects/0/parties/0/roles/0: 'investor'"),
        (["projects", 0, "locations", 0, "gazetteer", "scheme"], "GB 2260", "gazetteer/scheme: 'GB 2260'"),
        (["projects", 0, "budget", "amount", "currency"], "RMB", "/currency: 'RMB'"),
    ],
)
def test_a_value_outside_its_codelist_is_found(path, value, problem):
    (error,) = codelist_errors(changed(path, value))
    assert problem in error


def test_the_three_additional_checks_find_what_they_look_for():
    package = changed(["projects", 0, "budget", "amount"], {"amount": 1})
    package["projects"][0]["title"] = " "
    package["projects"][0]["publicAuthority"]["id"] = "nobody"

    assert additional_checks(package) == {
        "missing-values": ["/projects/0/title"],
        "missing-currency": ["/projects/0/budget/amount/"],
        "missing-org-refs": ["/projects/0/publicAuthority/id"],
    }
