"""The admin in a real browser: signing in, entering a project as staff type it, importing, switching language."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from projects.models import FundsInPlace, Project
from tests.factories import FundsInPlaceFactory, MilestoneFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ONE_BAD_ROW_CSV = Path(__file__).parents[1] / "data" / "projects-one-bad-row.csv"
NEW_PROJECT = "Longquan bamboo browser-entered project"
NEW_SLUG = "longquan-bamboo-browser-entered-project"
KELUN_COMPANY = "sichuan-kelun-pharmaceutical"
KELUN_PROJECT = "kelun-longquan-high-end-preparation-health-food"


def pick_autocomplete(page: Page, field_id: str, search: str, choice: str) -> None:
    """Chooses `choice` in the admin's autocomplete (select2) box for the select `field_id`."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(search)
    page.locator(".select2-results__option", has_text=choice).first.click()
    expect(page.locator(f"#{field_id} + .select2 .select2-selection__rendered")).to_contain_text(choice)


def test_an_administrator_signs_in_through_the_login_form_and_sees_the_records(
    signed_in: Page, screenshot, requested_urls, failed_responses
):
    expect(signed_in).to_have_title("Records | Investment Project Tracker")
    expect(signed_in.locator("#content-main")).to_contain_text("Investment projects")
    expect(signed_in.locator("#content-main")).to_contain_text("Milestones")
    screenshot("admin-index")
    # The live server serves the admin's static files and the project's own.
    for static in ("/static/admin/css/base.css", "/static/core/admin.css", "/static/core/language.js"):
        assert any(url.endswith(static) for url in requested_urls), static
    assert [failure for failure in failed_responses if "/static/" in failure] == []


def test_a_project_entered_with_its_lead_investor_and_landing_month_is_served_by_the_api(
    seeded, admin_page: Page, screenshot
):
    page = admin_page
    page.goto("/admin/projects/project/add/")
    page.locator("#id_name").fill(NEW_PROJECT)
    page.locator("#id_name").press("Tab")  # the admin fills the slug in from the name on change
    expect(page.locator("#id_slug")).to_have_value(NEW_SLUG)
    pick_autocomplete(page, "id_region", "Longquan", "Longquan City (331181)")
    # Full-width digits, as a Chinese input method types them, are read like ASCII ones.
    page.locator("#id_planned_investment").fill("\uff15\uff0c\uff16\uff10\uff10万元")
    expect(page.locator("#id_planned_investment ~ .money-units")).to_have_text("0.56 亿元 · 5,600.00 万元")
    page.locator("#id_planned_investment").fill("3亿")
    # Beside the box, the amount as the bureau reads it, as soon as it is typed.
    expect(page.locator("#id_planned_investment ~ .money-units")).to_have_text("3.00 亿元 · 30,000.00 万元")
    page.locator("#id_investment_qualifier").select_option("exact")

    page.locator("#participants-group .add-row a").click()
    pick_autocomplete(page, "id_participants-0-company", "Kelun", "Sichuan Kelun Pharmaceutical")
    page.locator("#id_participants-0-role").select_option("lead_investor")

    page.locator("#milestones-group .add-row a").click()
    page.locator("#id_milestones-0-stage").select_option("landed")
    page.locator("#id_milestones-0-date").fill("2024-07")
    # The precision list follows what was typed, so the form shows what will be saved.
    expect(page.locator("#id_milestones-0-date_precision")).to_have_value("month")
    screenshot("project-filled-in")

    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text(NEW_PROJECT)
    screenshot("project-saved")

    # The API, asked with the browser's cookies: the project as it was typed, in yuan and with its codes.
    listing = page.request.get("/api/v1/projects/?region=331181")
    assert listing.ok, listing.text()
    [row] = [row for row in listing.json()["results"] if row["slug"] == NEW_SLUG]
    assert row["region"]["code"] == "331181"
    assert (row["planned_investment"], row["currency"], row["investment_qualifier"]) == ("300000000.00", "CNY", "exact")
    assert row["lead_investor"]["slug"] == KELUN_COMPANY
    assert row["stage"] == "landed"  # the actual landing moved the project on

    detail = page.request.get(f"/api/v1/projects/{NEW_SLUG}/").json()
    milestones = [(m["stage"], m["date"], m["date_precision"], m["is_planned"]) for m in detail["milestones"]]
    assert milestones == [("landed", "2024-07-01", "month", False)]
    assert [(p["company"]["slug"], p["role"]) for p in detail["participants"]] == [(KELUN_COMPANY, "lead_investor")]


def test_a_clerk_in_the_chinese_admin_enters_funds_in_place_by_a_month_and_sees_it_as_typed(
    clerk_page_in_chinese: Page, screenshot
):
    page = clerk_page_in_chinese
    project = Project.objects.get(slug=KELUN_PROJECT)
    page.goto(f"/admin/projects/project/{project.pk}/change/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    page.locator("#funds_in_place-group .add-row a").click()
    page.locator("#id_funds_in_place-0-as_of").fill("2024-03")
    # The precision list follows what was typed: the form shows the month that will be saved.
    expect(page.locator("#id_funds_in_place-0-as_of_precision")).to_have_value("month")
    page.locator("#id_funds_in_place-0-amount").fill("3亿")
    screenshot("funds-by-a-month-filled-in")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".errornote")).to_have_count(0)

    funds = FundsInPlace.objects.get(project=project)
    assert (funds.as_of.isoformat(), funds.as_of_precision, str(funds.amount)) == (
        "2024-03-01",
        "month",
        "300000000.00",
    )

    # Opened again, the record reads as it was typed, in its form and in the list of funds in place.
    page.goto(f"/admin/projects/project/{project.pk}/change/")
    expect(page.locator("#id_funds_in_place-0-as_of")).to_have_value("2024-03")
    expect(page.locator("#id_funds_in_place-0-as_of_precision")).to_have_value("month")
    page.goto("/admin/projects/fundsinplace/")
    expect(page.locator("#result_list td.field-as_of_as_typed")).to_have_text(["2024-03"])
    expect(page.locator("#result_list")).not_to_contain_text("2024-03-01")
    expect(page.locator("#result_list")).not_to_contain_text("2024\u5e743\u67081\u65e5")
    screenshot("funds-by-a-month-listed")


def test_a_csv_with_one_bad_row_is_refused_with_its_row_and_column_and_nothing_is_imported(
    seeded, admin_page: Page, screenshot
):
    page = admin_page
    projects_before = Project.objects.count()
    page.goto("/admin/projects/project/")
    page.get_by_role("link", name="Import").click()
    page.wait_for_url("**/admin/projects/project/import/")
    page.locator("#id_import_file").set_input_files(ONE_BAD_ROW_CSV)
    page.locator("#id_format").select_option(label="csv")
    screenshot("import-form")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="Some rows failed to validate")).to_be_visible()
    errors = page.locator("table.import-preview tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.locator("td").first).to_have_text("3")
    expect(errors.locator(".validation-error-field-label")).to_have_text("planned_investment")
    expect(errors.locator(".validation-error-list")).to_contain_text("“about two billion” is not an amount")
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    screenshot("import-refused")

    page.goto("/admin/projects/project/")
    expect(page.locator("#changelist .paginator")).to_contain_text(f"{projects_before} investment projects")
    assert Project.objects.count() == projects_before
    assert not Project.objects.filter(slug__startswith="import-").exists()


def test_a_refused_cell_in_the_chinese_admin_lists_the_accepted_values_without_hovering(
    seeded, admin_page: Page, context, live_server, screenshot
):
    page = admin_page
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}])
    content = "slug,name,region,stage,planned_investment,investment_qualifier\n"
    content += "import-browser-typo,Browser typo,331102,洽淡,3亿元,约\n"
    page.goto("/admin/projects/project/import/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#id_import_file").set_input_files(
        {"name": "projects.csv", "mimeType": "text/csv", "buffer": content.encode()}
    )
    page.locator("#id_format").select_option(label="csv")
    page.locator("form[enctype] input[type=submit]").click()

    errors = page.locator("table.import-preview tbody tr")
    expect(errors).to_have_count(1)
    listed = errors.locator(".validation-error-list")
    # Read as it stands, the pointer elsewhere: not faded out until hovered, not in a title attribute.
    page.mouse.move(0, 0)
    expect(listed).to_be_visible()
    expect(listed.locator("xpath=ancestor::div[contains(@class, 'validation-error-container')]")).to_have_css(
        "opacity", "1"
    )
    expect(listed).to_contain_text("“洽淡”不是可接受的值。可接受的值：conceived / conceived (谋划) / 谋划")  # noqa: RUF001
    expect(listed).to_contain_text("negotiating / negotiating (洽谈) / 洽谈")
    # Laid out in its row, which grows to hold it, rather than floating over the rows below.
    listed_box, row_box = listed.bounding_box(), errors.bounding_box()
    assert listed_box["y"] + listed_box["height"] <= row_box["y"] + row_box["height"] + 1
    screenshot("import-refused-in-chinese", full_page=False)
    assert not Project.objects.filter(slug="import-browser-typo").exists()


def test_the_language_switcher_turns_the_admin_into_chinese(admin_page: Page, screenshot):
    page = admin_page
    page.goto("/admin/")
    expect(page.locator("#content-main")).to_contain_text("Investment projects")
    page.locator("#language-select").select_option("zh-hans")  # submits itself
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#content-main caption", has_text="投资项目")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("里程碑")
    expect(page.locator("#content-main")).to_contain_text("区域")
    expect(page.locator("#content-main")).not_to_contain_text("Investment projects")
    screenshot("admin-in-chinese")

    page.goto("/admin/projects/project/")
    expect(page.locator("#content h1")).to_contain_text("投资项目")
    screenshot("projects-in-chinese")


def test_a_project_saved_in_chinese_reads_back_in_its_history_without_bookkeeping(
    admin_page: Page, context, live_server, screenshot, page_errors
):
    """Issue 21, items 7 and 8, in a real browser: saving the page as Chromium posts it writes only what
    was changed, and the history names each change by its Chinese label, before → after."""
    project = ProjectFactory(name="Longquan history project", planned_investment=Decimal("2000000000.00"))
    untouched = MilestoneFactory(project=project, note="Announced at the fair.\nSigning planned.", is_planned=True)
    funds = FundsInPlaceFactory(project=project, amount=Decimal("300000000.00"))
    versions = {"milestone": untouched.version, "funds": funds.version}
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = admin_page
    page.goto(f"/admin/projects/project/{project.pk}/change/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("#id_planned_investment").fill("25亿")
    page.get_by_role("button", name="保存并继续编辑").click()
    expect(page.locator(".messagelist")).to_be_visible()
    untouched.refresh_from_db()
    funds.refresh_from_db()
    assert {"milestone": untouched.version, "funds": funds.version} == versions

    page.locator(".object-tools").get_by_role("link", name="历史").click()
    history = page.locator("#content-main")
    expect(history).to_contain_text("总投资")
    expect(history).to_contain_text("2,000,000,000.00 (20.00 亿元) → 2,500,000,000.00 (25.00 亿元)")
    expect(history).to_contain_text("里程碑")
    screenshot("history-in-chinese")
    shown = page.locator("body").inner_text()
    for bookkeeping in ("pgh_", "opened_version", "version", "updated_at"):
        assert bookkeeping not in shown
    assert not page_errors
