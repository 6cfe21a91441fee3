"""List pages run a fixed number of queries: the count at 50 rows equals the count at 5."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slawatch.leads.models import Handoff, Lead, Milestone
from slawatch.quality.models import LeadFeedback, QualityDispute

PAGES = ["/admin/leads/lead/", "/admin/leads/handoff/", "/admin/quality/leadfeedback/",
         "/admin/quality/qualitydispute/", "/admin/quality/mylead/", "/admin/leads/slaboard/",
         "/admin/people/person/"]


def add_rows(org, start, count):
    """Leads, open handoffs with a pending milestone, rejections and open disputes."""
    now = timezone.now()
    reps = [org.rep, org.rep2, org.west_rep]
    for i in range(start, start + count):
        rep = reps[i % 3]
        lead = Lead.objects.create(crm="acme", external_id=f"Q-{i}", name=f"Lead {i}",
                                   company=f"Co {i}", source=f"src-{i % 4}", heat="hot", owner=rep)
        handoff = Handoff.objects.create(lead=lead, rep=rep, team=rep.team, heat="hot",
                                         handed_off_at=now - timedelta(minutes=i),
                                         status="breached" if i % 2 else "open")
        Milestone.objects.create(handoff=handoff, seq=0, kind="first_touch",
                                 started_at=handoff.handed_off_at,
                                 due_at=handoff.handed_off_at + timedelta(minutes=15))
        feedback = LeadFeedback.objects.create(lead=lead, given_by=rep, verdict="rejected",
                                               reason="no_budget", rating=2)
        dispute = QualityDispute.objects.create(feedback=feedback, filed_by=org.marketer,
                                                reason="fit")
        dispute.comments.create(author=org.marketer, body="look again")


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 403), (url, response.status_code)
    return response.status_code, len(queries)


@pytest.mark.parametrize("who", ["root", "manager_user", "rep_user", "marketer_user"])
def test_list_pages_do_not_grow_queries_with_rows(org, login, who, django_assert_max_num_queries):
    client = login(getattr(org, who))
    add_rows(org, 0, 5)
    small = {url: count_queries(client, url) for url in PAGES}
    add_rows(org, 5, 45)
    for url, (status, queries) in small.items():
        if status != 200:
            continue
        with django_assert_max_num_queries(queries, info=url):
            response = client.get(url)
        assert response.status_code == 200
    assert any(status == 200 for status, _ in small.values())
