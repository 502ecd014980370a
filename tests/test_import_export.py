"""Bulk import and export in the admin (issue 6, point 4): projects and companies come in from CSV or
XLSX through a dry run and a confirmation, all rows or none, each row checked like an admin form (the
model's rules, the importing editor's regions) and recorded in the history with its importer; any
filtered changelist goes out as CSV or XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from pghistory.models import Events

from accounts.roles import Role
from companies.models import Company
from companies.resources import CompanyResource
from core.imports import ImportFileStorage
from core.seed import seed_load
from industries.models import Industry
from projects.models import Project
from projects.resources import ProjectResource
from regions.models import Region
from tests.accounts import for_the_module, user_with_role

DATA = Path(__file__).parent / "data"
pytestmark = pytest.mark.django_db
GOOD_CSV = DATA / "projects-good.csv"
ONE_BAD_ROW_CSV = DATA / "projects-one-bad-row.csv"
GOOD_SLUGS = {"import-longquan-bamboo-fibre", "import-liandu-power-devices", "import-baiqiao-skincare"}
LIANDU, LONGQUAN = "331102", "331181"
KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"  # in Longquan
CSV_FORMAT, XLSX_FORMAT = "0", "1"  # their places in the admin's format choices
HEADERS = ["slug", "name", "region", "industries", "planned_investment", "investment_qualifier"]


@pytest.fixture(scope="module")
def people(django_db_setup, django_db_blocker) -> dict:
    """An administrator, an editor who answers for Liandu and a viewer, all staff, with the article's data."""
    with for_the_module(django_db_blocker):
        seed_load()
        yield {
            "administrator": user_with_role(Role.BUREAU_ADMIN, is_staff=True),
            "editor": user_with_role(Role.REGIONAL_EDITOR, regions=(LIANDU,), is_staff=True),
            "viewer": user_with_role(Role.VIEWER, is_staff=True),
        }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def administrator(db, people) -> Client:
    return signed_in(people["administrator"])


@pytest.fixture
def editor(db, people) -> Client:
    return signed_in(people["editor"])


@pytest.fixture
def viewer(db, people) -> Client:
    return signed_in(people["viewer"])


def admin_url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def upload(
    client: Client, model, content: bytes, *, name: str = "projects.csv", file_format: str = CSV_FORMAT, language="en"
):
    """The first step: the file goes up and comes back as a dry run's preview (or its errors)."""
    return client.post(
        admin_url(model, "import"),
        {"resource": "0", "format": file_format, "import_file": SimpleUploadedFile(name, content)},
        headers={"accept-language": language},
    )


def confirm(client: Client, model, preview):
    """The second step: the preview's "Confirm import" button."""
    return client.post(admin_url(model, "process_import"), preview.context["confirm_form"].initial)


def csv_bytes(rows: list[list[str]], headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([headers, *rows])
    return out.getvalue().encode()


def xlsx_bytes(rows: list[list], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    for row in [headers, *rows]:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row_errors(preview) -> dict[int, dict[str, list[str]]]:
    """Each refused row's number and, per column, what is wrong with it."""
    result = preview.context["result"]
    return {row.number: {field: [str(e) for e in errors] for field, errors in row.field_specific_errors.items()}
            for row in result.invalid_rows}  # fmt: skip


def stored_uploads() -> set[str]:
    """The uploads waiting for confirmation, in the shared cache (the database cache in tests)."""
    with connection.cursor() as cursor:
        pattern = f"%{ImportFileStorage.key('')}%"
        cursor.execute("SELECT cache_key FROM tracker_cache WHERE cache_key LIKE %s", [pattern])
        return {key for (key,) in cursor.fetchall()}


def imported(slugs) -> list[str]:
    return sorted(Project.objects.filter(slug__in=slugs).values_list("slug", flat=True))


#
# Dry run, then confirmation
#


def test_a_dry_run_previews_every_row_and_writes_nothing(administrator):
    preview = upload(administrator, Project, GOOD_CSV.read_bytes())
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert [row.import_type for row in result.valid_rows()] == ["new", "new", "new"]
    assert "Liandu power devices packaging line" in preview.content.decode()
    assert "confirm_form" in preview.context
    assert imported(GOOD_SLUGS) == []


def test_confirming_the_import_writes_every_row_with_exact_money_and_keys(administrator):
    preview = upload(administrator, Project, GOOD_CSV.read_bytes())
    response = confirm(administrator, Project, preview)
    assert response.status_code == 302
    assert response.url == admin_url(Project, "changelist")
    assert imported(GOOD_SLUGS) == sorted(GOOD_SLUGS)
    line = Project.objects.get(slug="import-liandu-power-devices")
    assert line.planned_investment == Decimal("1200000000.50")
    assert line.region.code == LIANDU
    assert sorted(line.industries.values_list("code", flat=True)) == ["C3972", "CHAIN-POWER-DEVICES"]
    skincare = Project.objects.get(slug="import-baiqiao-skincare")
    assert skincare.aliases == ["Baiqiao skincare", "Skincare plant"]
    assert skincare.planned_investment is None
    assert skincare.investment_qualifier == ""


def test_an_imported_row_is_recorded_in_the_history_with_the_importer_as_actor(editor, people):
    rows = [["import-liandu-drones", "Liandu drone assembly", LIANDU, "CHAIN-LOW-ALTITUDE", "80000000.00", "exact"]]
    confirm(editor, Project, upload(editor, Project, csv_bytes(rows)))
    project = Project.objects.get(slug="import-liandu-drones")
    [event] = Events.objects.tracks(project).filter(pgh_label="insert")
    assert event.pgh_context["user"] == people["editor"].pk
    assert event.pgh_context["url"] == admin_url(Project, "process_import")


#
# All or nothing: a bad row is named, with its column, and nothing is written
#


def test_a_csv_with_one_bad_row_names_the_row_and_the_field_and_writes_nothing(administrator):
    waiting = stored_uploads()
    preview = upload(administrator, Project, ONE_BAD_ROW_CSV.read_bytes())
    assert stored_uploads() == waiting  # an upload that cannot be confirmed is not kept
    assert row_errors(preview).keys() == {3}
    assert list(row_errors(preview)[3]) == ["planned_investment"]
    assert "“about two billion” is not an amount" in row_errors(preview)[3]["planned_investment"][0]
    page = preview.content.decode()
    assert "<td>3 </td>" in page
    assert 'validation-error-field-label">planned_investment<' in page
    assert "confirm_form" not in preview.context
    assert imported([*GOOD_SLUGS, "import-liandu-bad-amount"]) == []


def test_an_unknown_region_code_is_an_error_on_the_region_column(administrator):
    rows = [
        ["import-good", "A good row", LIANDU, "", "1.00", "exact"],
        ["import-nowhere", "A row in no known region", "339999", "", "1.00", "exact"],
    ]
    preview = upload(administrator, Project, csv_bytes(rows))
    assert row_errors(preview) == {2: {"region": ["No region has the code “339999”."]}}
    assert imported(["import-good", "import-nowhere"]) == []


def test_an_unknown_industry_code_is_an_error_on_the_industries_column(administrator):
    rows = [["import-unknown-industry", "Unknown industry", LIANDU, "CHAIN-SEMICONDUCTOR|NOPE", "1.00", "exact"]]
    preview = upload(administrator, Project, csv_bytes(rows))
    assert row_errors(preview) == {1: {"industries": ["No industry has the code NOPE."]}}


def test_a_row_that_fails_at_confirmation_rolls_back_the_rows_before_it(administrator):
    """The data may change between the dry run and the confirmation: the import is still all or nothing."""
    passing = Industry.objects.create(code="CHAIN-PASSING", name="Passing industry", scheme="chain")
    rows = [
        ["import-first", "First row", LIANDU, "", "1.00", "exact"],
        ["import-second", "Second row", LIANDU, "CHAIN-PASSING", "2.00", "exact"],
    ]
    preview = upload(administrator, Project, csv_bytes(rows))
    passing.delete()
    response = confirm(administrator, Project, preview)
    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert row_errors(response) == {2: {"industries": ["No industry has the code CHAIN-PASSING."]}}
    assert imported(["import-first", "import-second"]) == []


def test_an_xlsx_with_numeric_cells_imports_exact_decimals_and_codes(administrator):
    rows = [
        ["import-xlsx-amount", "Amount typed as a number", int(LONGQUAN), "", 350000000.5, "about"],
        ["import-xlsx-tenth", "A tenth of a yuan", LIANDU, "", 0.1, "exact"],
        ["import-xlsx-whole", "A whole amount", LIANDU, "", 2000000000, "exact"],
    ]
    preview = upload(administrator, Project, xlsx_bytes(rows), name="projects.xlsx", file_format=XLSX_FORMAT)
    assert row_errors(preview) == {}
    confirm(administrator, Project, preview)
    amounts = dict(Project.objects.filter(slug__startswith="import-xlsx").values_list("slug", "planned_investment"))
    assert amounts == {
        "import-xlsx-amount": Decimal("350000000.50"),
        "import-xlsx-tenth": Decimal("0.10"),
        "import-xlsx-whole": Decimal("2000000000.00"),
    }
    assert Project.objects.get(slug="import-xlsx-amount").region.code == LONGQUAN


def test_an_xlsx_with_one_bad_row_names_the_row_and_the_field_and_writes_nothing(administrator):
    rows = [
        ["import-xlsx-good", "Good row", LIANDU, "", 1000, "exact"],
        ["import-xlsx-fraction", "A third of a yuan", LIANDU, "", 1 / 3, "exact"],
        ["import-xlsx-nowhere", "Nowhere", 339999, "", 1000, "exact"],
    ]
    preview = upload(administrator, Project, xlsx_bytes(rows), name="projects.xlsx", file_format=XLSX_FORMAT)
    errors = row_errors(preview)
    assert list(errors) == [2, 3]
    assert list(errors[2]) == ["planned_investment"]  # 0.333...: more than two decimal places
    assert errors[3] == {"region": ["No region has the code “339999”."]}
    assert "confirm_form" not in preview.context
    assert Project.objects.filter(slug__startswith="import-xlsx").count() == 0


def test_rows_breaking_a_check_constraint_are_each_refused_with_its_message_and_the_others_pass(administrator):
    """Rows with the same values share one verdict of the database (core.imports.ConstraintVerdicts)."""
    headers = ["slug", "name", "region", "stage", "stage_reason"]
    rows = [
        ["import-held-a", "Held without a reason", LIANDU, "on_hold", ""],
        ["import-held-b", "Held without a reason too", LIANDU, "on_hold", ""],
        ["import-held-c", "Held for a reason", LIANDU, "on_hold", "Land not yet approved"],
        ["import-blank-name", " ", LIANDU, "signed", ""],
    ]
    preview = upload(administrator, Project, csv_bytes(rows, headers=headers))
    refused = {
        row.number: [str(e) for e in row.non_field_specific_errors] for row in preview.context["result"].invalid_rows
    }
    reason = "A project on hold or cancelled needs the reason."
    assert refused == {1: [reason], 2: [reason], 4: ["A project needs a name."]}
    assert imported(["import-held-a", "import-held-b", "import-held-c"]) == []


#
# Region scope: an editor imports only records in their regions
#


def test_an_editor_importing_a_row_of_another_region_is_refused_and_nothing_is_written(editor):
    rows = [
        ["import-liandu-ok", "In Liandu", LIANDU, "", "1.00", "exact"],
        ["import-longquan-not-mine", "In Longquan", LONGQUAN, "", "1.00", "exact"],
    ]
    preview = upload(editor, Project, csv_bytes(rows))
    errors = row_errors(preview)
    assert list(errors) == [2]
    assert list(errors[2]) == ["region"]
    assert "outside your regions (331102)" in errors[2]["region"][0]
    assert "confirm_form" not in preview.context
    assert imported(["import-liandu-ok", "import-longquan-not-mine"]) == []


def test_an_editor_cannot_change_or_move_a_record_of_another_region_by_import(editor):
    kelun = Project.objects.get(slug=KELUN_PROJECT)
    rows = [[KELUN_PROJECT, "Kelun, moved to Liandu by import", LIANDU, "", "1.00", "exact"]]
    preview = upload(editor, Project, csv_bytes(rows))
    assert "lies outside your regions" in row_errors(preview)[1]["region"][0]
    assert Project.objects.get(pk=kelun.pk).name == kelun.name


def test_an_editor_importing_a_company_headquartered_elsewhere_gets_an_error_on_headquarters(editor):
    content = csv_bytes(
        [["import-longquan-firm", "Longquan Firm Co., Ltd.", "enterprise", LONGQUAN]],
        headers=["slug", "name", "kind", "headquarters"],
    )
    preview = upload(editor, Company, content)
    assert list(row_errors(preview)[1]) == ["headquarters"]
    assert not Company.objects.filter(slug="import-longquan-firm").exists()


def test_a_row_exported_before_someone_else_changed_the_record_is_refused(administrator):
    project = Project.objects.get(slug=KELUN_PROJECT)
    exported_version = project.version
    Project.objects.filter(pk=project.pk).update(name="Renamed meanwhile")
    content = csv_bytes(
        [[KELUN_PROJECT, "Edited in the export", exported_version]], headers=["slug", "name", "version"]
    )
    preview = upload(administrator, Project, content)
    assert "Someone else changed this record" in row_errors(preview)[1]["version"][0]
    assert Project.objects.get(pk=project.pk).name == "Renamed meanwhile"


#
# Companies, headers in words
#


def test_companies_import_with_their_parent_by_slug_and_an_empty_credit_code_as_none(administrator):
    kelun = Company.objects.get(stock_code="SZ 002422")
    content = csv_bytes(
        [
            ["import-firm-a", "Firm A Co., Ltd.", "enterprise", "", LIANDU, kelun.slug, "C27"],
            ["import-firm-b", "Firm B Co., Ltd.", "enterprise", "", LONGQUAN, "", ""],
        ],
        headers=["slug", "name", "kind", "credit_code", "headquarters", "parent", "industries"],
    )
    confirm(administrator, Company, upload(administrator, Company, content))
    firm_a, firm_b = Company.objects.filter(slug__startswith="import-firm").order_by("slug")
    assert (firm_a.parent, firm_a.credit_code, firm_a.headquarters.code) == (kelun, None, LIANDU)
    assert list(firm_a.industries.values_list("code", flat=True)) == ["C27"]
    assert firm_b.parent is None
    assert firm_b.credit_code is None


def test_column_headers_may_be_the_fields_labels_in_chinese(administrator):
    with translation.override("zh-hans"):
        headers = [str(Project._meta.get_field(name).verbose_name) for name in ("slug", "name", "region")]
    content = csv_bytes([["import-chinese-headers", "Chinese headers", LIANDU]], headers=headers)
    confirm(administrator, Project, upload(administrator, Project, content))
    assert Project.objects.get(slug="import-chinese-headers").region.code == LIANDU


def test_national_codes_and_statistics_dates_import_an_empty_code_as_none_and_a_wrong_one_on_its_column(administrator):
    headers = ["slug", "name", "region", "national_code", "fai_registered_at"]
    good = [
        ["import-coded", "Coded", LIANDU, "2111-331102-04-01-342068", "2024-10-31"],
        ["import-uncoded", "Uncoded", LIANDU, "", ""],
    ]
    confirm(administrator, Project, upload(administrator, Project, csv_bytes(good, headers=headers)))
    rows = Project.objects.filter(slug__startswith="import-").order_by("slug")
    assert [(row.national_code, row.fai_registered_at) for row in rows] == [
        ("2111-331102-04-01-342068", dt.date(2024, 10, 31)),
        (None, None),
    ]

    off_branch = [["import-off-branch", "Off its branch", LIANDU, "2111-331181-04-01-342069", ""]]
    preview = upload(administrator, Project, csv_bytes(off_branch, headers=headers))
    assert list(row_errors(preview)[1]) == ["national_code"]
    assert "not on the branch" in row_errors(preview)[1]["national_code"][0]


#
# Cells as the admin's form takes them: money as its money box reads it, choices by their labels
#

FORM_HEADERS = ["slug", "name", "region", "kind", "stage", "stage_reason", "planned_investment", "currency"]
FORM_HEADERS += ["investment_qualifier"]
# As a Chinese input method types them: full-width digits, comma and full stop.
WAN_FULL_WIDTH = "５，６００万元"  # noqa: RUF001
YI_FULL_WIDTH = "５．６亿元"  # noqa: RUF001
AS_TYPED_ROWS = [
    ["import-typed-yi", "In yi", LIANDU, "项目", "洽谈", "", "3亿元", "CNY", "约"],
    ["import-typed-wan", "In wan", LIANDU, "Project", "Signed (签约)", "", WAN_FULL_WIDTH, "cny", "more than"],
    ["import-typed-point", "Pt", LIANDU, "project", " AT DESIGN  CAPACITY (达产)", "", YI_FULL_WIDTH, "CNY", "精确"],
    ["import-typed-plain", "Pl", LIANDU, "Programme or cluster", "on_hold", "No", "2,000,000,000", "CNY", "exactly"],
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_amounts_and_choices_import_as_the_admin_form_reads_them_in_either_language(administrator, language):
    content = csv_bytes(AS_TYPED_ROWS, headers=FORM_HEADERS)
    preview = upload(administrator, Project, content, language=language)
    assert row_errors(preview) == {}
    assert not preview.context["result"].has_errors()
    confirm(administrator, Project, preview)
    stored = {
        project.slug: (project.kind, project.stage, project.planned_investment, project.currency,
                       project.investment_qualifier)
        for project in Project.objects.filter(slug__startswith="import-typed")
    }  # fmt: skip
    assert stored == {
        "import-typed-yi": ("project", "negotiating", Decimal("300000000.00"), "CNY", "about"),
        "import-typed-wan": ("project", "signed", Decimal("56000000.00"), "CNY", "more_than"),
        "import-typed-point": ("project", "at_capacity", Decimal("560000000.00"), "CNY", "exact"),
        "import-typed-plain": ("programme", "on_hold", Decimal("2000000000.00"), "CNY", "exact"),
    }


def test_an_xlsx_cell_of_text_in_yi_imports_as_the_form_reads_it(administrator):
    rows = [["import-xlsx-yi", "Amount in yi", LIANDU, "", "3亿元", "约"]]
    preview = upload(administrator, Project, xlsx_bytes(rows), name="projects.xlsx", file_format=XLSX_FORMAT)
    assert row_errors(preview) == {}
    confirm(administrator, Project, preview)
    project = Project.objects.get(slug="import-xlsx-yi")
    assert (project.planned_investment, project.investment_qualifier) == (Decimal("300000000.00"), "about")


def test_a_company_kind_and_precision_may_be_their_chinese_labels(administrator):
    kelun = Company.objects.get(stock_code="SZ 002422")
    content = csv_bytes(
        [["import-bureau", "Import Bureau", "政府机关", LIANDU, kelun.slug, "2024-07-01", "月"]],
        headers=["slug", "name", "kind", "headquarters", "parent", "parent_since", "parent_since_precision"],
    )
    preview = upload(administrator, Company, content)
    assert row_errors(preview) == {}
    confirm(administrator, Company, preview)
    bureau = Company.objects.get(slug="import-bureau")
    assert (bureau.kind, bureau.parent_since_precision) == ("government", "month")


QUALIFIERS_ACCEPTED = (
    "exact / exactly / 精确, about / 约, more_than / more than / 超过, at_least / at least / 不少于, "
    "less_than / less than / 少于"
)


def test_a_cell_that_is_no_choice_is_refused_with_every_accepted_value(administrator):
    rows = [
        ["import-bad-qualifier", "Approximate amount", LIANDU, "", "3亿元", "approximately"],
        ["import-bad-amount", "Amount in words", LIANDU, "", "三亿元", "约"],
    ]
    preview = upload(administrator, Project, csv_bytes(rows))
    assert row_errors(preview) == {
        1: {
            "investment_qualifier": [
                f"“approximately” is not one of the accepted values. Accepted: {QUALIFIERS_ACCEPTED}."
            ]
        },
        2: {
            "planned_investment": [
                "“三亿元” is not an amount: write it as 2000000000, 2,000,000,000.00, 3亿元 or 5600万元."
            ]
        },
    }
    assert imported(["import-bad-qualifier", "import-bad-amount"]) == []


def test_a_refused_stage_lists_the_stages_in_the_importers_language_on_the_page_itself(administrator):
    rows = [["import-bad-stage", "Misspelt stage", LIANDU, "洽淡"]]
    preview = upload(
        administrator, Project, csv_bytes(rows, headers=["slug", "name", "region", "stage"]), language="zh-hans"
    )
    [error] = row_errors(preview)[1]["stage"]
    assert error.startswith("“洽淡”不是可接受的值。可接受的值：conceived / conceived (谋划) / 谋划, ")  # noqa: RUF001
    assert "negotiating / negotiating (洽谈) / 洽谈" in error
    assert error.endswith("on_hold / on hold / 暂缓, cancelled / 取消。")
    # In the page's text, not in an attribute a pointer has to find (the admin's CSS shows it: core/admin.css).
    assert f"<li>{error}</li>" in preview.content.decode()


#
# Export
#


def export(client: Client, model, resource, query: str, file_format: str):
    """The changelist's Export button (which carries the list's filters), then the export form."""
    url = f"{admin_url(model, 'export')}?{query}"
    assert client.get(url).status_code == 200
    selected = {f"{resource.__name__.lower()}_{name}": "on" for name in resource().get_export_order()}
    return client.post(url, {"format": file_format, "resource": "0", **selected})


def test_the_changelist_export_button_carries_the_filters_and_search(administrator):
    page = administrator.get(admin_url(Project, "changelist"), {"stage__exact": "signed", "q": "Kelun"})
    assert f'href="{admin_url(Project, "export")}?q=Kelun&amp;stage__exact=signed"' in page.content.decode()


def test_a_filtered_changelist_exports_exactly_its_rows_to_csv(administrator):
    expected = set(Project.objects.filter(stage="signed").values_list("slug", flat=True))
    assert 0 < len(expected) < Project.objects.count()
    response = export(administrator, Project, ProjectResource, "stage__exact=signed", CSV_FORMAT)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert expected
    assert {row["slug"] for row in rows} == expected


def test_a_searched_changelist_exports_exactly_its_rows_to_xlsx_with_money_as_exact_text(administrator):
    expected = {project.slug: project for project in Project.objects.filter(name__icontains="Kelun")}
    response = export(administrator, Project, ProjectResource, "q=Kelun", XLSX_FORMAT)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert expected
    assert {record["slug"] for record in records} == set(expected)
    for record in records:
        amount = expected[record["slug"]].planned_investment
        assert record["planned_investment"] == (str(amount) if amount is not None else None)
        assert record["region"] == expected[record["slug"]].region.code


def test_an_exported_file_imports_again_without_changing_anything(administrator):
    response = export(administrator, Project, ProjectResource, "", CSV_FORMAT)
    preview = upload(administrator, Project, response.content)
    result = preview.context["result"]
    assert row_errors(preview) == {}
    assert not result.has_errors()
    assert {row.import_type for row in result.valid_rows()} == {"skip"}


def test_an_exported_xlsx_of_companies_imports_again_without_changing_anything(administrator):
    assert Company.objects.filter(parent_since__isnull=False).exists()  # dates make the round trip too
    response = export(administrator, Company, CompanyResource, "", XLSX_FORMAT)
    preview = upload(administrator, Company, response.content, name="companies.xlsx", file_format=XLSX_FORMAT)
    assert row_errors(preview) == {}
    assert {row.import_type for row in preview.context["result"].valid_rows()} == {"skip"}


def test_the_export_form_labels_each_column_in_the_readers_language(administrator):
    page = administrator.get(admin_url(Project, "export"), headers={"accept-language": "zh-hans"})
    with translation.override("zh-hans"):
        label = str(Project._meta.get_field("region").verbose_name)
    assert f"{label} (region)" in page.content.decode()


def test_an_editor_exports_every_record_they_can_see_including_other_regions(editor):
    response = export(editor, Project, ProjectResource, "", CSV_FORMAT)
    slugs = {row["slug"] for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert slugs == set(Project.objects.values_list("slug", flat=True))
    assert KELUN_PROJECT in slugs


@pytest.mark.parametrize("model", [Region, Industry], ids=["regions", "industries"])
def test_regions_and_industries_export_by_code(administrator, model):
    url = admin_url(model, "export")
    response = administrator.post(url, {"format": CSV_FORMAT, "resource": "0"} | export_all(administrator, url))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {row["code"] for row in rows} == set(model.objects.values_list("code", flat=True))


def export_all(client: Client, url: str) -> dict[str, str]:
    """Every field box of the export form, ticked."""
    form = client.get(url).context["form"]
    return {name: "on" for name, field in form.fields.items() if getattr(field, "is_selectable_field", False)}


#
# Who may import
#


def test_a_viewer_sees_no_import_button_and_the_import_pages_refuse_them(viewer):
    page = viewer.get(admin_url(Project, "changelist"))
    assert page.status_code == 200
    assert admin_url(Project, "import") not in page.content.decode()
    assert admin_url(Project, "export") in page.content.decode()
    assert viewer.get(admin_url(Project, "import")).status_code == 403
    assert upload(viewer, Project, GOOD_CSV.read_bytes()).status_code == 403
    refused = viewer.post(
        admin_url(Project, "process_import"),
        {"import_file_name": "0" * 32, "original_file_name": "projects.csv", "format": CSV_FORMAT, "resource": "0"},
    )
    assert refused.status_code == 403
    assert imported(GOOD_SLUGS) == []


def test_an_editor_may_import_projects_but_not_regions_which_have_no_import(editor):
    assert admin_url(Project, "import") in editor.get(admin_url(Project, "changelist")).content.decode()
    with pytest.raises(NoReverseMatch):
        admin_url(Region, "import")


def test_a_confirmation_naming_a_file_that_is_not_an_upload_is_refused(administrator):
    response = administrator.post(
        admin_url(Project, "process_import"),
        {"import_file_name": "../etc/passwd", "original_file_name": "x.csv", "format": CSV_FORMAT, "resource": "0"},
        follow=True,
    )
    assert "Upload the file again" in response.content.decode()
