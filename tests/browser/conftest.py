"""Chromium, driven by Playwright, against pytest-django's live server, with a screenshot of each step.

The browser is Debian's `chromium` (`apt-get install chromium`; `.ci/run` installs it), found at
`CHROMIUM_PATH` or `/usr/bin/chromium`; Playwright never downloads one. In CI (`CI=true`) a missing
browser fails the run; elsewhere the tests are skipped with a note saying how to install it.

The live server is a thread against the test database, so these tests use `transactional_db`: what a
test writes is committed for the server to see and flushed when the test ends. A test that needs the
article's seed data (`seeded`) loads it again: half a second, more on a busy machine.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

from accounts.roles import Role
from core.seed import seed_load
from tests.accounts import user_with_role
from tests.factories import PASSWORD

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# The machine may be busy: generous, but bounded.
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}
INSTALL_HINT = "install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary"

_screenshots_taken: list[Path] = []


def find_chromium() -> str | None:
    """The Chromium binary to drive: `CHROMIUM_PATH` when set, else the one on the system."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if Path(configured).is_file() else None
    for candidate in (DEFAULT_CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        where = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
        message = f"No Chromium for the browser tests at {where}: {INSTALL_HINT}."
        if os.environ.get("CI"):
            pytest.fail(f"{message} CI must run the browser tests, not skip them.", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def playwright(chromium_path: str) -> Iterator[Playwright]:
    """Playwright's sync API, for one module's tests.

    It runs an event loop in the main thread, and Django refuses ORM calls (the test's own, and
    `transactional_db`'s flush) from a thread with a running loop unless told they are safe here.
    They are: the loop only waits for the browser. The permission ends with the module.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as driver:
            yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, live_server) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (no cookies), speaking English until told otherwise."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", extra_http_headers={"Accept-Language": "en"}, viewport=VIEWPORT
    )
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def requested_urls() -> list[str]:
    """Every URL the page asked for, in order (documents, scripts, styles, images, fetches)."""
    return []


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught script errors and the console's errors (a refused script, a resource that failed to load)."""
    return []


@pytest.fixture
def failed_responses() -> list[str]:
    """`<status> <url>` of every answer the page got with a 4xx or 5xx status."""
    return []


@pytest.fixture
def page(context: BrowserContext, requested_urls, page_errors, failed_responses, request) -> Iterator[Page]:
    def on_response(response: Response) -> None:
        if response.status >= 400:
            failed_responses.append(f"{response.status} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            page_errors.append(message.text)

    page = context.new_page()
    page.on("request", lambda sent: requested_urls.append(sent.url))
    page.on("response", on_response)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", on_console)
    yield page
    if has_failed(request.node):
        save_screenshot(page, request.node.name, "failure")


@pytest.fixture
def screenshot(page: Page, request) -> Callable[..., Path]:
    """`screenshot("saved")` keeps a full-page PNG of this step as `<test>-<nn>-saved.png`
    (`full_page=False`: only what the window shows, for a page too long to look at whole)."""
    test = request.node.name
    for old in SCREENSHOTS.glob(f"{safe_name(test)}-*.png"):
        old.unlink()
    steps = iter(range(1, 100))
    return lambda step, full_page=True: save_screenshot(page, test, f"{next(steps):02d}-{step}", full_page=full_page)


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def save_screenshot(page: Page, test: str, step: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{safe_name(test)}-{safe_name(step)}.png"
    page.screenshot(path=path, full_page=full_page)
    _screenshots_taken.append(path)
    return path


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so the page fixture knows whether to photograph a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def has_failed(item) -> bool:
    reports = (getattr(item, "report_setup", None), getattr(item, "report_call", None))
    return any(report is not None and report.failed for report in reports)


def pytest_terminal_summary(terminalreporter) -> None:
    if _screenshots_taken:
        terminalreporter.write_line(f"browser test screenshots ({len(_screenshots_taken)}): {SCREENSHOTS}")


#
# Data and people
#


@pytest.fixture
def seeded(transactional_db) -> None:
    """The article's seed data, committed for the live server to read."""
    seed_load()


@pytest.fixture
def administrator(transactional_db):
    """A bureau administrator who signs in with a password."""
    return user_with_role(Role.BUREAU_ADMIN, is_staff=True)


@pytest.fixture
def signed_in(page: Page, administrator, screenshot) -> Page:
    """The page, with the administrator signed in through the admin's login form."""
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(administrator.username)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot("login-form")
    page.locator("#login-form").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    expect(page.locator("#user-tools")).to_contain_text(administrator.username)
    return page


def sign_in_by_cookie(context: BrowserContext, user, live_server) -> None:
    """Gives the browser `user`'s session cookie: quicker than the login form, which `signed_in`
    (and its own test) goes through."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


@pytest.fixture
def admin_page(page: Page, context: BrowserContext, administrator, live_server) -> Page:
    """The page, with the administrator signed in."""
    sign_in_by_cookie(context, administrator, live_server)
    return page


@pytest.fixture
def longquan_clerk(seeded):
    """A data-entry clerk of the Longquan bureau: a regional editor for Longquan (331181)."""
    return user_with_role(Role.REGIONAL_EDITOR, regions=("331181",), is_staff=True)


@pytest.fixture
def clerk_page_in_chinese(page: Page, context: BrowserContext, longquan_clerk, live_server) -> Page:
    """The page, with the Longquan clerk signed in and the admin in Chinese (the language switcher's cookie)."""
    sign_in_by_cookie(context, longquan_clerk, live_server)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": live_server.url}])
    return page
