"""Owner write-back: a reassignment from any entry point changes the owner in the CRM
exactly once; retries honour Retry-After; a 401 fails for good and shows in the admin;
the CRM's echo (and its stale reports of the old owner) open no new handoff."""

import json
from datetime import timedelta

import time_machine
from django.utils import timezone

from slawatch.crmsync import outbox
from slawatch.crmsync.models import CrmWrite
from slawatch.escalation import sweep
from slawatch.escalation.models import SlackAction
from slawatch.ingest.adapters import salesforce as sf_adapter
from slawatch.leads.models import Handoff, Lead, SlaPolicy
from slawatch.leads.services import apply_events
from tests.crmsync.conftest import assign
from tests.escalation.conftest import slack, slack_headers  # noqa: F401  (fixture)
from tests.escalation.test_interactions import _form
from tests.quality import world

NOW = "2026-11-23 09:05:00Z"


def _reassign_api(user, handoff, **body):
    return world.api(user).post(f"/api/v1/handoffs/{handoff.pk}/reassign/", body, format="json")


@time_machine.travel(NOW, tick=False)
def test_api_reassign_sets_the_hubspot_owner_exactly_once(org, hubspot,
                                                          django_capture_on_commit_callbacks):
    handoff = assign("hubspot", "51234567890", "81234567")
    with django_capture_on_commit_callbacks(execute=True):
        response = _reassign_api(org.manager_user, handoff, to=org.rep2.pk)
    assert response.status_code == 200, response.content
    assert response.json()["rep"] == org.rep2.pk and response.json()["id"] != handoff.pk
    [write] = hubspot.writes()
    assert write["path"] == "/crm/v3/objects/contacts/51234567890"
    assert json.loads(write["body"]) == {"properties": {"hubspot_owner_id": "81234568"}}
    assert CrmWrite.objects.get().status == "sent"
    # A second click on the old handoff, and another drain, write nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = _reassign_api(org.manager_user, handoff, to=org.rep2.pk)
    assert again.status_code == 400
    outbox.push_due()
    assert len(hubspot.writes()) == 1


@time_machine.travel(NOW, tick=False)
def test_slack_reassign_sets_the_salesforce_owner_exactly_once(
        org, salesforce, client, slack, django_capture_on_commit_callbacks):
    handoff = assign("salesforce", "00QRO00000AbCdE2AQ", "005REP7")
    body = _form("slawatch_reassign", handoff.pk, user="UMANAGER")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/slack/interactions/", data=body,
                               content_type="application/x-www-form-urlencoded",
                               **slack_headers(body))
    assert response.status_code == 200
    [write] = salesforce.writes()
    assert write["path"] == "/services/data/v59.0/sobjects/Lead/00QRO00000AbCdE2AQ"
    assert json.loads(write["body"]) == {"OwnerId": "005REP8"}
    assert salesforce.owners == {"00QRO00000AbCdE2AQ": "005REP8"}


@time_machine.travel(NOW, tick=False)
def test_board_reassign_sets_the_pipedrive_owner_exactly_once(
        org, pipedrive, client, django_capture_on_commit_callbacks):
    lead_uuid = "adf21080-0e10-11eb-879b-05d71fb426ec"
    handoff = assign("pipedrive", lead_uuid, "7001")
    person = assign("pipedrive", "1042", "7001")
    client.force_login(org.manager_user)
    for h in (handoff, person):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/admin/leads/slaboard/", {"action": "reassign", "handoff": h.pk,
                                                   "rep": org.rep2.pk})
    assert [(w["path"], json.loads(w["body"])) for w in pipedrive.writes()] == [
        (f"/api/v1/leads/{lead_uuid}", {"owner_id": 7002}),
        ("/api/v2/persons/1042", {"owner_id": 7002})]


@time_machine.travel(NOW, tick=False)
def test_sweep_reassign_on_breach_writes_the_owner_back(org, hubspot, cast,
                                                        django_capture_on_commit_callbacks):
    SlaPolicy.objects.filter(heat="hot").update(steps=[
        {"after_breach_minutes": 0, "action": "reassign"}])
    assign("hubspot", "51234567890", "81234567", at="2026-11-23T08:49:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep()
    assert hubspot.owners == {"51234567890": "81234568"}


@time_machine.travel(NOW, tick=False)
def test_without_writeback_nothing_is_queued(org, hubspot, settings,
                                             django_capture_on_commit_callbacks):
    settings.SLAWATCH_CRM_WRITEBACK = False
    handoff = assign("hubspot", "51234567890", "81234567")
    with django_capture_on_commit_callbacks(execute=True):
        assert _reassign_api(org.manager_user, handoff, to=org.rep2.pk).status_code == 200
    assert not CrmWrite.objects.exists() and hubspot.writes() == []


def test_429_is_retried_after_retry_after(org, hubspot, django_capture_on_commit_callbacks):
    hubspot.scripted.append((429, {"Retry-After": "120"},
                             {"status": "error", "message": "You have reached your secondly "
                              "limit.", "errorType": "RATE_LIMIT", "policyName": "SECONDLY"}))
    with time_machine.travel(NOW, tick=False):
        handoff = assign("hubspot", "51234567890", "81234567")
        with django_capture_on_commit_callbacks(execute=True):
            _reassign_api(org.manager_user, handoff, to=org.rep2.pk)
        write = CrmWrite.objects.get()
        assert (write.status, write.last_status_code) == ("pending", 429)
        assert write.next_attempt_at == timezone.now() + timedelta(seconds=120)
    with time_machine.travel("2026-11-23 09:06:59Z", tick=False):
        assert outbox.push_due()["sent"] == 0  # not before Retry-After
    with time_machine.travel("2026-11-23 09:07:00Z", tick=False):
        assert outbox.push_due()["sent"] == 1
    assert len(hubspot.writes()) == 2 and hubspot.owners == {"51234567890": "81234568"}


@time_machine.travel(NOW, tick=False)
def test_401_is_permanent_shown_in_the_admin_and_retryable(
        org, hubspot, client, settings, django_capture_on_commit_callbacks):
    settings.HUBSPOT_ACCESS_TOKEN = "revoked-token"
    handoff = assign("hubspot", "51234567890", "81234567")
    with django_capture_on_commit_callbacks(execute=True):
        _reassign_api(org.manager_user, handoff, to=org.rep2.pk)
    write = CrmWrite.objects.get()
    assert (write.status, write.last_status_code, write.attempts) == ("failed", 401, 1)
    assert outbox.push_due()["sent"] == 0 and len(hubspot.writes()) == 1  # never retried alone
    client.force_login(org.root)
    page = client.get("/admin/crmsync/crmwrite/?status__exact=failed").content.decode()
    assert "401" in page and "51234567890" in page
    settings.HUBSPOT_ACCESS_TOKEN = "hs-token"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/crmsync/crmwrite/", {"action": "retry", "_selected_action": [write.pk]})
    write.refresh_from_db()
    assert write.status == "sent" and hubspot.owners == {"51234567890": "81234568"}


@time_machine.travel(NOW, tick=False)
def test_the_crms_echo_and_its_stale_reports_open_no_new_handoff(
        org, salesforce, django_capture_on_commit_callbacks):
    lead_id = "00QRO00000AbCdE2AQ"
    handoff = assign("salesforce", lead_id, "005REP7")
    with django_capture_on_commit_callbacks(execute=True):
        _reassign_api(org.manager_user, handoff, to=org.rep2.pk)
    new = Handoff.objects.get(closed_at__isnull=True)

    def outbound(owner, modified):  # an Outbound Message / poll of the lead, via the adapter
        fields = {"Id": lead_id, "OwnerId": owner, "Rating": "Hot", "Status": "Open",
                  "IsConverted": "false", "CreatedDate": "2026-11-23T09:00:00.000Z",
                  "LastModifiedDate": modified}
        known = Lead.objects.get(external_id=lead_id).owner_crm_id
        apply_events(sf_adapter.lead_events(fields, lead_owner=lambda _: known))

    # Before the write-back landed: an edit in Salesforce still shows the old owner.
    outbound("005REP7", "2026-11-23T09:05:30.000Z")
    # The echo of our own write.
    outbound("005REP8", "2026-11-23T09:06:00.000Z")
    assert list(Handoff.objects.filter(closed_at__isnull=True)) == [new]
    assert Handoff.objects.count() == 2
    lead = Lead.objects.get(external_id=lead_id)
    assert (lead.owner, lead.owner_crm_id) == (org.rep2, "005REP8")
    # A real change made in Salesforce afterwards still counts.
    outbound("005REP7", "2026-11-23T09:30:00.000Z")
    assert Handoff.objects.get(closed_at__isnull=True).rep == org.rep


@time_machine.travel(NOW, tick=False)
def test_a_rep_without_a_crm_id_is_refused_clearly_in_slack_and_on_the_board(
        org, hubspot, client, slack, django_capture_on_commit_callbacks):
    handoff = assign("hubspot", "51234567890", "81234567")
    org.rep2.crm_identities.filter(crm="hubspot").delete()
    body = _form("slawatch_reassign", handoff.pk, user="UMANAGER")
    client.post("/slack/interactions/", data=body,
                content_type="application/x-www-form-urlencoded", **slack_headers(body))
    assert SlackAction.objects.get().outcome.startswith(
        "Not reassigned: team East has no other active rep with a hubspot owner id")
    client.force_login(org.manager_user)
    page = client.post("/admin/leads/slaboard/", {"action": "reassign", "handoff": handoff.pk,
                                                  "rep": org.rep2.pk}, follow=True)
    assert "Ravi Rep has no hubspot owner id, so the lead cannot be reassigned to them" \
        in page.content.decode()
    assert hubspot.writes() == [] and Handoff.objects.count() == 1
