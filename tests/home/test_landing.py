"""Each role's home page: what it shows, and the one-click feedback of a rep."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from slawatch.economics.models import Spend
from slawatch.escalation.models import Escalation
from slawatch.ingest.models import CrmEvent, PollCursor
from slawatch.leads.models import Lead
from slawatch.quality.models import LeadFeedback
from tests.quality.world import assign, make_org, policy, rejection

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(cast, django_user_model):
    return make_org(cast, django_user_model)


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user


def ago(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


def test_header_and_titles_say_slawatch(org, login):
    html = login(org.root).get("/admin/").content.decode()
    assert '<a href="/admin/">slawatch</a>' in html and "| slawatch</title>" in html
    assert "Django administration" not in html and "Django site admin" not in html


def test_a_rep_lands_on_the_leads_due_next_with_time_left(org, login):
    policy()
    assign("L-1", "rep-7", at=ago(5), name="Soon Lead")
    assign("L-2", "rep-7", at=ago(20), name="Late Lead")
    assign("L-3", "rep-8", at=ago(5), name="Not Mine")
    html = login(org.rep_user).get("/admin/").content.decode()
    table = html[html.index('id="due-next"'):html.index("</table>", html.index('id="due-next"'))]
    assert table.index("Late Lead") < table.index("Soon Lead") and "Not Mine" not in table
    assert re.search(r">overdue [45]m<", table) and re.search(r">(9|10)m<", table)
    assert "My leads" in html  # what they may open is still listed below


def test_one_click_accepts_or_rejects_a_lead(org, login):
    policy()
    lead = assign("L-1", "rep-7", at=ago(5), name="Soon Lead")
    client = login(org.rep_user)
    response = client.post("/admin/home/feedback/", {"lead": lead.pk, "verdict": "rejected",
                                                     "reason": "no_budget"}, follow=True)
    feedback = LeadFeedback.objects.get()
    assert (feedback.given_by, feedback.verdict, feedback.reason) == \
        (org.rep, "rejected", "no_budget")
    assert "Soon Lead: rejected." in response.content.decode()
    client.post("/admin/home/feedback/", {"lead": lead.pk, "verdict": "accepted"})
    assert LeadFeedback.objects.get().verdict == "accepted"


def test_a_rep_cannot_give_feedback_on_another_reps_lead(org, login):
    policy()
    other = assign("L-3", "rep-8", at=ago(5))
    response = login(org.rep_user).post("/admin/home/feedback/",
                                        {"lead": other.pk, "verdict": "accepted"}, follow=True)
    assert "not yours" in response.content.decode()
    assert not LeadFeedback.objects.exists()


def test_a_manager_lands_on_the_sla_board(org, login):
    response = login(org.manager_user).get("/admin/")
    assert response.status_code == 302 and response.url == "/admin/board/"
    assert login(org.manager_user).get("/admin/", {"models": 1}).status_code == 200


def test_marketing_lands_on_quality_rejections_and_this_months_economics(org, login):
    policy()
    lead = assign("L-1", "rep-7", at=ago(5), name="Rejected Lead", source="web")
    rejection(lead, org.rep, reason="no_budget")
    Lead.objects.filter(pk=lead.pk).update(created_in_crm_at=timezone.now() - timedelta(minutes=5))
    Spend.objects.create(month=timezone.localdate().replace(day=1), source="web",
                         amount="400.00", currency="USD")
    html = login(org.marketer_user).get("/admin/").content.decode()
    awaiting = html[html.index('id="awaiting"'):]
    assert "Rejected Lead" in awaiting[:awaiting.index("</table>")]
    economics = html[html.index('id="economics"'):]
    assert "400.00 USD" in economics[:economics.index("</table>")]
    assert "Quality disputes" in html


def test_revops_lands_on_configuration_health(org, login):
    policy()
    assign("L-9", "nobody-42", at=ago(5))
    CrmEvent.objects.create(source="generic", event_id="e1", status="pending", body="{}")
    PollCursor.objects.create(stream="hubspot:contacts", last_error="401 Unauthorized")
    html = login(org.revops_user).get("/admin/").content.decode()
    assert "nobody-42" in html[html.index('id="unmapped"'):]
    assert 'id="inbox-pending">1<' in html and "401 Unauthorized" in html
    assert Escalation.objects.filter(status="failed").count() == 0
    assert 'status__exact=failed">0</a>' in html
