"""Reading leads and handoffs with the pinned filters, and acknowledging a handoff."""

import re

import pytest
import time_machine

from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, Lead
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, at, event

API = "/api/v1"
NOW = "2026-11-23 12:00:00Z"
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.fixture
def leads(cast):
    """L-1 hot for Rita (met), L-2 warm for Ravi (open), L-3 hot for Rita then Ravi."""
    PolicyFactory(heat="hot", first_touch_minutes=15)
    PolicyFactory(heat="warm", first_touch_minutes=240)
    with time_machine.travel(NOW, tick=False):
        apply_events([
            event("1", "lead.assigned", "2026-11-23T09:00:00Z", external_id="L-1", owner="rep-7",
                  heat="hot", source="demo_request"),
            event("2", "lead.touched", "2026-11-23T09:05:00Z", external_id="L-1",
                  touch={"kind": "call", "by": "rep-7"}),
            event("3", "lead.assigned", "2026-11-23T11:00:00Z", external_id="L-2", owner="rep-8",
                  heat="warm"),
            event("4", "lead.assigned", "2026-11-23T10:00:00Z", external_id="L-3", owner="rep-7",
                  heat="hot"),
            event("5", "lead.assigned", "2026-11-23T10:05:00Z", external_id="L-3", owner="rep-8"),
            event("6", "lead.assigned", "2026-11-23T10:00:00Z", external_id="L-1",
                  crm="other-crm", owner="x-1"),
        ])
    return {lead.external_id + ("" if lead.crm == "acme" else "@" + lead.crm): lead
            for lead in Lead.objects.all()}


def ids(response):
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


def handoff_ids(**filters):
    return set(Handoff.objects.filter(**filters).values_list("pk", flat=True))


def test_handoff_filters(admin_api, cast, leads):
    url = f"{API}/handoffs/"
    assert ids(admin_api.get(url)) == handoff_ids()
    assert len(handoff_ids()) == 4
    assert ids(admin_api.get(url, {"status": "met"})) == handoff_ids(lead=leads["L-1"])
    assert ids(admin_api.get(url, {"status": "closed"})) == handoff_ids(lead=leads["L-3"],
                                                                        rep=cast.rep)
    assert ids(admin_api.get(url, {"heat": "warm"})) == handoff_ids(lead=leads["L-2"])
    assert ids(admin_api.get(url, {"rep": cast.rep2.pk})) == handoff_ids(rep=cast.rep2)
    assert ids(admin_api.get(url, {"team": cast.team.pk})) == handoff_ids()
    assert ids(admin_api.get(url, {"lead": leads["L-3"].pk})) == handoff_ids(lead=leads["L-3"])
    assert ids(admin_api.get(url, {"rep": cast.rep2.pk, "heat": "hot"})) == \
        handoff_ids(lead=leads["L-3"], rep=cast.rep2)


def test_bad_filter_value_is_400(admin_api, leads):
    response = admin_api.get(f"{API}/handoffs/", {"status": "sleepy"})
    assert response.status_code == 400 and "status" in response.data


def test_lead_filters(admin_api, leads):
    url = f"{API}/leads/"
    assert ids(admin_api.get(url, {"crm": "other-crm"})) == {leads["L-1@other-crm"].pk}
    assert ids(admin_api.get(url, {"external_id": "L-1"})) == {leads["L-1"].pk,
                                                               leads["L-1@other-crm"].pk}
    assert ids(admin_api.get(url, {"crm": "acme", "external_id": "L-1"})) == {leads["L-1"].pk}


def test_unmapped_owner_shows_on_the_lead(admin_api, leads):
    row = admin_api.get(f"{API}/leads/{leads['L-1@other-crm'].pk}/").data
    assert row["owner_unmapped"] is True and row["owner_crm_id"] == "x-1"
    assert row["owner"] is None


def test_handoff_representation(admin_api, cast, leads):
    handoff = Handoff.objects.get(lead=leads["L-1"])
    row = admin_api.get(f"{API}/handoffs/{handoff.pk}/").data
    assert row["lead"]["external_id"] == "L-1" and row["lead"]["crm"] == "acme"
    assert row["lead"]["heat"] == "hot" and row["lead"]["source"] == "demo_request"
    assert (row["rep"], row["heat"], row["status"]) == (cast.rep.pk, "hot", "met")
    for name in ("handed_off_at", "first_touch_due_at", "first_touched_at"):
        assert OFFSET.match(row[name]), (name, row[name])
    assert row["breached_at"] is None and row["escalations"] == []
    assert {"acknowledged_at", "closed_at", "close_reason"} <= set(row)


def test_times_keep_an_offset_in_another_time_zone(admin_api, leads, settings):
    settings.TIME_ZONE = "America/New_York"
    handoff = Handoff.objects.get(lead=leads["L-1"])
    row = admin_api.get(f"{API}/handoffs/{handoff.pk}/").data
    assert row["handed_off_at"] == "2026-11-23T04:00:00-05:00"


def test_escalations_are_listed_on_the_handoff(admin_api, cast, leads):
    handoff = Handoff.objects.get(lead=leads["L-2"])
    Escalation.objects.create(handoff=handoff, milestone=handoff.milestones.get(), step=1,
                              recipient=f"person:{cast.manager.pk}", channel="email",
                              status="sent", sent_at=at("2026-11-23 11:30"))
    row = admin_api.get(f"{API}/handoffs/{handoff.pk}/").data
    [escalation] = row["escalations"]
    assert (escalation["step"], escalation["channel"], escalation["status"]) == (1, "email",
                                                                                  "sent")
    assert escalation["recipient"] == f"person:{cast.manager.pk}"
    assert OFFSET.match(escalation["sent_at"])


@time_machine.travel(NOW, tick=False)
def test_acknowledge_endpoint_records_who_and_when(admin_api, leads):
    handoff = Handoff.objects.get(lead=leads["L-2"])
    response = admin_api.post(f"{API}/handoffs/{handoff.pk}/acknowledge/")
    assert response.status_code == 200, response.data
    assert response.data["id"] == handoff.pk
    assert response.data["acknowledged_at"] in ("2026-11-23T12:00:00Z", "2026-11-23T12:00:00+00:00")
    assert response.data["acknowledged_by"] == "root"
    handoff.refresh_from_db()
    assert handoff.milestones.get().acknowledged_at == at("2026-11-23 12:00")


def test_acknowledge_an_unknown_handoff_is_404(admin_api, db):
    assert admin_api.post(f"{API}/handoffs/987654/acknowledge/").status_code == 404


def test_handoffs_and_leads_are_read_only(admin_api, leads):
    handoff = Handoff.objects.first()
    assert admin_api.post(f"{API}/handoffs/", {}, format="json").status_code == 405
    assert admin_api.patch(f"{API}/handoffs/{handoff.pk}/", {"status": "met"},
                           format="json").status_code == 405
    assert admin_api.delete(f"{API}/leads/{handoff.lead_id}/").status_code == 405
