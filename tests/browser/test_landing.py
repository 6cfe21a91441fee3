"""Each role logs in, in a real chromium, and lands on its own page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.ingest.models import PollCursor
from slawatch.quality.models import LeadFeedback
from tests.quality.world import assign, policy, rejection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def leads(org):
    policy()
    fresh = assign("L-1", "rep-7", at=ago(3), name="Fresh Lead", company="Example Co")
    late = assign("L-2", "rep-7", at=ago(20), name="Late Lead")
    rejection(late, org.rep, reason="no_budget")
    assign("L-3", "unknown-owner", at=ago(3), name="Nobody's Lead")
    return fresh


def test_a_rep_lands_on_leads_due_next_and_accepts_one_in_one_click(org, leads, log_in,
                                                                     screenshot):
    page = log_in("rep")
    assert page.inner_text("#site-name") == "slawatch"
    assert page.title().endswith("slawatch")
    rows = page.locator("#due-next tbody tr")
    assert rows.count() == 2
    assert "Late Lead" in rows.nth(0).inner_text() and "overdue" in rows.nth(0).inner_text()
    assert "Fresh Lead" in rows.nth(1).inner_text()
    screenshot("home-rep")
    rows.nth(1).locator("button.accept").click()
    page.wait_for_selector("ul.messagelist li.success")
    assert LeadFeedback.objects.get(lead=leads).verdict == "accepted"
    assert "given" in page.locator("#due-next tbody tr").nth(1).inner_text()


def test_a_manager_lands_on_the_sla_board(org, leads, log_in, screenshot):
    page = log_in("manager")
    page.wait_for_selector("#sla-board")
    assert page.locator("#sla-board tbody tr").count() == 2
    assert page.inner_text("#site-name") == "slawatch"
    screenshot("home-manager")


def test_marketing_lands_on_quality_rejections_and_economics(org, leads, log_in, screenshot):
    page = log_in("marketer")
    assert "Late Lead" in page.inner_text("#awaiting")
    assert page.locator("#economics").is_visible()
    assert "Lead quality, last 30 days" in page.inner_text("#landing")
    screenshot("home-marketing")


def test_revops_lands_on_configuration_health(org, leads, log_in, screenshot):
    PollCursor.objects.create(stream="salesforce:Lead", last_error="session expired")
    page = log_in("revops")
    assert "unknown-owner" in page.inner_text("#unmapped")
    assert page.inner_text("#poll-errors") == "1"
    assert "session expired" in page.inner_text("#landing")
    screenshot("home-revops")
