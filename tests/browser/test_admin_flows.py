"""The admin flows people actually click through, in a real chromium."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.leads.models import Handoff
from slawatch.quality import services
from slawatch.quality.models import LeadFeedback, QualityDispute
from tests.quality.world import assign, policy, rejection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def rejected(org):
    policy()
    lead = assign("L-100", "rep-7", at=ago(30), name="Ana Ruiz", company="Example Co")
    return rejection(lead, org.rep, reason="no_budget", comment="one-person shop")


def test_marketing_files_a_dispute(org, rejected, log_in, screenshot, live_server):
    page = log_in("marketer")
    page.click("#content-main a:text-is('Quality disputes')")
    page.click(".object-tools a.addlink")
    page.select_option("#id_feedback", str(rejected.pk))
    page.fill("#id_reason", "They booked a demo and have a signed budget for Q1.")
    screenshot("dispute-1-marketing-files")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    dispute = QualityDispute.objects.get()
    assert (dispute.filed_by, dispute.outcome) == (org.marketer, "open")
    assert "Ana Ruiz" in page.inner_text("#result_list")
    screenshot("dispute-2-filed")


def test_manager_resolves_a_dispute(org, rejected, log_in, screenshot, live_server):
    dispute = services.dispute_file(feedback=rejected, by=org.marketer,
                                    reason="They have a signed budget.")
    page = log_in("manager")
    page.goto(f"{live_server.url}/admin/quality/qualitydispute/{dispute.pk}/change/")
    page.click("a.resolvelink")
    page.check("input[name=outcome][value=overturned]")
    page.fill("#id_comment", "Budget confirmed with the customer; the lead is good.")
    screenshot("dispute-3-manager-resolves")
    page.click("#resolve-form input[type=submit]")
    page.wait_for_selector("ul.messagelist li.success")
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.resolved_by) == ("overturned", org.manager)
    assert "Overturned" in page.inner_text("#content")
    screenshot("dispute-4-resolved")


def test_rep_rejects_a_lead_with_a_reason(org, log_in, screenshot, live_server):
    policy()
    assign("L-200", "rep-7", at=ago(5), name="Ben Student", company="Uni")
    page = log_in("rep")
    page.click("#content-main a:text-is('My leads')")
    page.click("#result_list a:text('Ben Student')")
    page.select_option("#id_feedback-0-verdict", "rejected")
    page.select_option("#id_feedback-0-reason", "student_or_job_seeker")
    page.fill("#id_feedback-0-rating", "1")
    page.fill("#id_feedback-0-comment", "Writing a thesis, no purchase intent.")
    screenshot("feedback-1-rep-rejects")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    feedback = LeadFeedback.objects.get()
    assert (feedback.given_by, feedback.verdict, feedback.reason, feedback.rating) == \
        (org.rep, "rejected", "student_or_job_seeker", 1)
    assert "Rejected" in page.inner_text("#result_list")
    screenshot("feedback-2-my-leads")


def test_sla_board_renders_with_data_and_charts(org, log_in, screenshot, live_server):
    policy()
    assign("L-301", "rep-7", at=ago(20), name="Breached Lead")
    assign("L-302", "rep-8", at=ago(10), name="Warning Lead")
    assign("L-303", "rep-7", at=ago(1), name="Fresh Lead")
    met = assign("L-304", "rep-8", at=ago(60 * 24 * 3), name="Met Lead")
    Handoff.objects.filter(lead=met).update(status="met", speed_to_lead_seconds=420,
                                            closed_at=timezone.now())
    page = log_in("manager")  # a manager's home is the board
    rows = page.locator("#sla-board tbody tr")
    assert rows.count() == 3
    assert "Breached Lead" in rows.nth(0).inner_text()
    assert "state-breach" in rows.nth(0).get_attribute("class")
    assert "state-warn" in rows.nth(1).get_attribute("class")
    assert "state-ok" in rows.nth(2).get_attribute("class")
    first = page.locator("#sla-board tbody tr:nth-child(3) td.left")
    countdown = first.inner_text()
    assert re.fullmatch(r"1[0-4]m \d\ds", countdown), countdown
    page.wait_for_function(
        "t => document.querySelector('#sla-board tbody tr:nth-child(3) td.left').textContent !== t",
        arg=countdown)  # the page counts down by itself
    assert page.locator("svg.report-chart").count() == 3
    assert page.locator("svg.report-chart rect.bar").count() >= 3
    screenshot("sla-board")
