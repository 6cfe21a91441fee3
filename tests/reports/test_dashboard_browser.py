"""The reports dashboard in Debian's chromium: the charts render, the filters work."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.reports.builders import T0, handoff, lead, opportunity

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # see tests/browser/conftest.py
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
pytestmark = pytest.mark.browser


@pytest.fixture
def page(live_server):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.fixture
def history(cast, django_user_model):
    django_user_model.objects.create_superuser("vp", "vp@example.com", "pw")
    for n, (rep, status, minutes) in enumerate([
            (cast.rep, "met", 4), (cast.rep, "breached", 55), (cast.rep, "met", 9),
            (cast.rep2, "met", 2), (cast.rep2, "breached", 80), (cast.rep2, "breached", None)]):
        h = handoff(rep, at=T0 + timedelta(hours=n), status=status, stl_minutes=minutes,
                    lead_=lead(campaign=["q4-webinar", "ebook"][n % 2]))
        if n % 3 == 0:
            opportunity(h.lead, h.handed_off_at + timedelta(days=1))
    return cast


def test_dashboard_charts_and_filters_in_a_browser(page, live_server, history):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/reports/")
    page.fill("#id_username", "vp")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/reports/?family=funnel&start=2026-11-01&end=2026-12-01")
    chart = page.locator("svg.report-chart")
    assert chart.is_visible()
    assert page.locator("svg.report-chart rect.bar").count() >= 3
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-funnel.png"), full_page=True)
    page.select_option("select[name=group_by]", "campaign")
    page.click("input[value=Show]")
    page.wait_for_url("**group_by=campaign**")
    assert page.locator("#report-table tbody tr").count() == 2
    page.click("text=SLA compliance")
    page.wait_for_selector("svg.report-chart")
    page.screenshot(path=str(SCREENSHOTS / "reports-sla.png"), full_page=True)
    assert "q4-webinar" in page.inner_text("#report-table")  # the tab kept the grouping
