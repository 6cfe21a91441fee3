"""Playwright + Debian's chromium against pytest-django's live_server.

Playwright's sync API runs an asyncio loop in this thread, which trips Django's
async-safety check on every ORM call the test makes; the test thread is not
serving requests, so allowing it is safe here.
"""

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.quality import world

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(autouse=True)
def allow_orm_beside_playwright(monkeypatch):
    # Only for these tests: the rest of the suite keeps Django's async-safety check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    # Per test, not per session: only one sync Playwright may run in a thread at a time,
    # and other areas' browser tests start their own.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def org(cast, django_user_model):
    return world.make_org(cast, django_user_model)


@pytest.fixture
def log_in(page, live_server):
    def as_user(username):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", world.PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#user-tools")
        return page
    return as_user


@pytest.fixture
def screenshot(page):
    def save(name):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path
    return save
