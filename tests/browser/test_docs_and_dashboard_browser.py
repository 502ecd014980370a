"""The API documentation and the dashboard, as a browser draws them: everything from this server, nothing missing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import from_this_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CHARTS = ("region", "industry", "stage")
LONGQUAN = "331181"
LIANDU = "331102"


def operation(page: Page, method: str, path: str):
    """Swagger UI's block for one operation, e.g. GET /api/v1/projects/."""
    return page.locator(f".opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def test_the_api_docs_render_every_operation_from_this_server_alone(
    live_server, page: Page, screenshot, requested_urls, page_errors
):
    schema = page.request.get("/api/schema/?format=json").json()
    operations = sum(method in HTTP_METHODS for methods in schema["paths"].values() for method in methods)

    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Investment Project Tracker API")
    expect(page.locator(".opblock")).to_have_count(operations)
    for method, path in [
        ("GET", "/api/v1/projects/"),
        ("POST", "/api/v1/projects/"),
        ("GET", "/api/v1/projects/summary/"),
        ("GET", "/api/v1/regions/{key}/"),
        ("POST", "/api/v1/auth/token/"),
    ]:
        expect(operation(page, method, path)).to_have_count(1)
    screenshot("swagger-ui", full_page=False)

    projects_list = operation(page, "GET", "/api/v1/projects/")
    projects_list.locator(".opblock-summary").click()
    expect(projects_list.locator(".parameters")).to_contain_text("region")
    projects_list.scroll_into_view_if_needed()
    screenshot("projects-list-operation-opened", full_page=False)

    assert any("swagger-ui-dist" in url for url in requested_urls), requested_urls
    assert [url for url in requested_urls if not from_this_server(url, live_server.url)] == []
    assert page_errors == []


def test_the_dashboard_draws_its_three_charts_and_redraws_them_for_a_county(
    live_server, seeded, page: Page, screenshot, requested_urls, page_errors
):
    page.goto("/dashboard/")
    expect(page.locator("body")).to_have_attribute("data-charts-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "3")
    for chart in CHARTS:
        # A bar per group (some of zero length; on hold and cancelled are in the stage table only).
        rows = page.locator(f'table[data-table="{chart}"] tbody tr:not(.exit)').count()
        assert rows > 1
        expect(page.locator(f'svg[data-chart="{chart}"] rect.bar')).to_have_count(rows)
        expect(page.locator(f'svg[data-chart="{chart}"] rect.bar:not([data-value="0.00"])').first).to_be_visible()
    longquan = page.locator(f'table[data-table="region"] tr[data-key="{LONGQUAN}"]')
    expect(longquan.locator('td[data-field="total_investment"]')).to_have_attribute("data-value", "2000000000.00")
    expect(longquan.locator('td[data-field="total_investment_yi"]')).to_have_text("20.00")
    # Liandu: the Baiqiao block's stated 2.95 billion (L13), exact, not its two projects' "more than 1 billion" each.
    liandu = page.locator(f'table[data-table="region"] tr[data-key="{LIANDU}"]')
    expect(liandu.locator('td[data-field="total_investment_yi"]')).to_have_text("29.50")
    expect(page.locator('svg[data-chart="region"] rect.bar[data-value="2950000000.00"]')).to_have_count(1)
    expect(page.locator('svg[data-chart="region"] rect.bar[data-value="2000000000.00"]')).to_have_count(1)
    screenshot("dashboard-lishui")

    page.locator("#filter-region").select_option(LONGQUAN)  # the charts redraw as soon as it changes
    expect(page.locator("body")).to_have_attribute("data-charts-query", f"region={LONGQUAN}")
    expect(page.locator("body")).to_have_attribute("data-charts-ready", "3")
    expect(page.locator('table[data-table="stage"] tr[data-key="landed"] td[data-field="project_count"]')).to_have_text(
        "1"
    )
    screenshot("dashboard-longquan")

    assert any("dashboard/dashboard.js" in url for url in requested_urls), requested_urls
    assert [url for url in requested_urls if not from_this_server(url, live_server.url)] == []
    assert page_errors == []
