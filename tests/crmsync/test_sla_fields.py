"""SLA fields on the CRM record: due time and status follow the handoff, coalesced to the
latest values and sent in batches (HubSpot batch update, Salesforce sObject Collections)."""

import json

import time_machine

from slawatch.crmsync import outbox
from slawatch.crmsync.models import CrmWrite
from slawatch.escalation import sweep
from tests.crmsync.conftest import assign
from tests.quality import world

MS_0915 = "1795425300000"  # 2026-11-23T09:15:00Z


def _batches(fake, path):
    return [json.loads(r["body"]) for r in fake.requests if r["path"] == path]


def test_hubspot_sla_properties_follow_the_handoff_in_one_batch(org, hubspot, settings):
    settings.HUBSPOT_SLA_DUE_PROPERTY = "slawatch_first_touch_due"
    settings.HUBSPOT_SLA_STATUS_PROPERTY = "slawatch_sla_status"
    hubspot.missing = {"3"}
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False):
        for contact in ("1", "2", "3"):
            assign("hubspot", contact, "81234567")
        assert outbox.push_due() == {"sent": 2, "retrying": 0, "failed": 1}
    [batch] = _batches(hubspot, "/crm/v3/objects/contacts/batch/update")
    assert sorted(i["id"] for i in batch["inputs"]) == ["1", "2", "3"]
    assert hubspot.fields["1"] == {"slawatch_first_touch_due": MS_0915,
                                   "slawatch_sla_status": "open"}
    failed = CrmWrite.objects.get(external_id="3")
    assert failed.status == "failed" and "OBJECT_NOT_FOUND" in failed.last_error
    # The sweep records the breach at 09:15: the status follows, in one more batch.
    with time_machine.travel("2026-11-23 09:16:00Z", tick=False):
        sweep.sweep()
        outbox.push_due()
    assert hubspot.fields["1"]["slawatch_sla_status"] == "breached"
    assert len(_batches(hubspot, "/crm/v3/objects/contacts/batch/update")) == 2
    # Nothing changed: nothing more is written.
    with time_machine.travel("2026-11-23 09:17:00Z", tick=False):
        sweep.sweep()
        outbox.push_due()
    assert len(_batches(hubspot, "/crm/v3/objects/contacts/batch/update")) == 2


def test_salesforce_sla_fields_are_coalesced_to_the_latest_values(
        org, salesforce, settings, django_capture_on_commit_callbacks):
    settings.SALESFORCE_SLA_DUE_FIELD = "SLA_First_Touch_Due__c"
    settings.SALESFORCE_SLA_STATUS_FIELD = "SLA_Status__c"
    with time_machine.travel("2026-11-23 09:05:00Z", tick=False):
        handoff = assign("salesforce", "00QRO00000AbCdE2AQ", "005REP7",
                         at="2026-11-23T09:00:00Z")
        # Reassigned before anything was sent: one pending SLA row, holding the new values.
        world.api(org.manager_user).post(f"/api/v1/handoffs/{handoff.pk}/reassign/",
                                         {"to": org.rep2.pk}, format="json")
        assert CrmWrite.objects.filter(kind="sla", status="pending").count() == 1
        outbox.push_due()
    [batch] = _batches(salesforce, "/services/data/v59.0/composite/sobjects")
    assert batch["records"] == [{"attributes": {"type": "Lead"}, "id": "00QRO00000AbCdE2AQ",
                                 "SLA_First_Touch_Due__c": "2026-11-23T09:20:00.000+0000",
                                 "SLA_Status__c": "open"}]
    assert salesforce.owners == {"00QRO00000AbCdE2AQ": "005REP8"}


def test_without_field_names_no_sla_write_is_queued(org, hubspot):
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False):
        assign("hubspot", "1", "81234567")
    assert not CrmWrite.objects.exists()
