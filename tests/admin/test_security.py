"""Admin boundaries from the security review (docs/SECURITY.md): every page with sales data
is row-scoped, every action declares its permission, team webhooks are not shown to
people who do not configure teams."""

from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from slawatch.escalation.models import Escalation, SlackAction
from slawatch.leads.models import Handoff, LeadEvent, Opportunity, Touch
from slawatch.quality.models import Commitment
from tests.quality.world import assign, policy

HOOK = "https://hooks.slack.com/services/T1/B2/secret-part"


@pytest.fixture
def rows(org):
    """One lead per team, each with a touch, an opportunity, its events and a commitment."""
    policy()
    out = {}
    for team, owner, key in (("east", "rep-7", "L-E"), ("west", "rep-9", "L-W")):
        lead = assign(key, owner, phone="+1 555 0100")
        at = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
        handoff = Handoff.objects.get(lead=lead)
        out[team] = {
            "lead": lead,
            "touch": Touch.objects.create(lead=lead, handoff=handoff, key=f"t-{key}", at=at),
            "opportunity": Opportunity.objects.create(lead=lead, external_id=f"o-{key}",
                                                      opened_at=at),
            "event": LeadEvent.objects.filter(lead=lead).first(),
            "slack": SlackAction.objects.create(slack_user_id="U1", action_id="slawatch_ack",
                                                handoff=handoff, outcome="x"),
        }
    out["east"]["commitment"] = Commitment.objects.create(rep=org.rep, year=2026, quarter=4,
                                                          leads_committed=10)
    out["west"]["commitment"] = Commitment.objects.create(team=org.west, year=2026, quarter=4,
                                                          leads_committed=30)
    return out


PAGES = {"touch": "leads/touch", "opportunity": "leads/opportunity", "event": "leads/leadevent",
         "commitment": "quality/commitment"}


@pytest.mark.parametrize("kind", list(PAGES))
def test_the_east_manager_sees_east_rows_only(org, rows, login, kind):
    client = login(org.manager_user)
    listed = client.get(f"/admin/{PAGES[kind]}/").context["cl"].queryset
    assert set(listed.values_list("pk", flat=True)) == {rows["east"][kind].pk}
    assert client.get(f"/admin/{PAGES[kind]}/{rows['west'][kind].pk}/change/").status_code == 404
    assert client.get(f"/admin/{PAGES[kind]}/{rows['east'][kind].pk}/change/").status_code == 200


def test_lead_events_with_customer_contact_data_stay_in_the_team(org, rows, login):
    west = rows["west"]["event"]
    assert "+1 555 0100" in str(west.data)  # what leaked: the CRM payload, phone included
    client = login(org.manager_user)
    assert client.get(f"/admin/leads/leadevent/{west.pk}/history/").status_code == 404


def test_a_rep_sees_only_the_touches_and_opportunities_of_their_leads(org, rows, login):
    client = login(org.rep_user)
    touches = client.get("/admin/leads/touch/").context["cl"].queryset
    assert list(touches.values_list("pk", flat=True)) == [rows["east"]["touch"].pk]
    assert client.get(f"/admin/leads/opportunity/{rows['west']['opportunity'].pk}/change/"
                      ).status_code == 404


def test_revops_sees_every_team_and_its_slack_clicks(org, rows, login):
    client = login(org.revops_user)
    for kind in PAGES:
        assert client.get(f"/admin/{PAGES[kind]}/").context["cl"].result_count == 2, kind
    assert client.get("/admin/escalation/slackaction/").context["cl"].result_count == 2


def test_every_admin_action_declares_its_permission(org):
    """slawatch's own admins (django-axes' lockout pages are for superusers only)."""
    request = RequestFactory().get("/admin/")
    request.user = org.root
    undeclared = []
    for model in apps.get_models():
        if not model.__module__.startswith("slawatch.") or not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        for name, (func, _, _) in model_admin.get_actions(request).items():
            if not getattr(func, "allowed_permissions", None):
                undeclared.append(f"{model._meta.label}.{name}")
    assert undeclared == []


@pytest.fixture
def failed(org, rows):
    return Escalation.objects.create(handoff=Handoff.objects.get(lead=rows["east"]["lead"]),
                                     recipient=f"person:{org.manager.pk}", channel="slack",
                                     status="failed", last_error="slack webhook HTTP 404")


def _retry(client, row):
    return client.post("/admin/escalation/escalation/",
                       {"action": "retry", "_selected_action": [row.pk]}, follow=True)


def test_a_view_only_manager_cannot_retry_an_escalation(org, failed, login):
    client = login(org.manager_user)
    page = client.get("/admin/escalation/escalation/")
    assert page.status_code == 200 and 'value="retry"' not in page.content.decode()
    _retry(client, failed)
    failed.refresh_from_db()
    assert failed.status == "failed"


def test_revops_retries_a_failed_escalation(org, failed, login, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queue only; the broker may be absent
    _retry(login(org.revops_user), failed)
    failed.refresh_from_db()
    assert failed.status == "pending"


def test_team_webhook_url_is_shown_only_to_who_configures_teams(org, login):
    org.team.slack_webhook_url = HOOK
    org.team.save()
    url = f"/admin/people/team/{org.team.pk}/change/"
    for user in (org.manager_user, org.marketer_user):
        response = login(user).get(url)
        assert response.status_code == 200
        assert "secret-part" not in response.content.decode(), user
    assert "secret-part" in login(org.revops_user).get(url).content.decode()


@pytest.mark.parametrize("bad", ["http://169.254.169.254/latest/meta-data/",
                                 "https://hooks.example.com/x"])
def test_the_admin_refuses_a_webhook_url_outside_the_outbound_policy(org, login, settings, bad):
    settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ()
    form = {"name": "East", "slack_webhook_url": bad, "slack_channel": "",
            "max_reroutes_per_lead": "2", "manager": org.manager.pk,
            "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    response = login(org.root).post(f"/admin/people/team/{org.team.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the error
    assert "SLAWATCH_OUTBOUND_ALLOWED_HOSTS" in response.content.decode()
    org.team.refresh_from_db()
    assert org.team.slack_webhook_url == ""
