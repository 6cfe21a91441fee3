import json
from datetime import time

from django.utils import timezone

from slawatch.escalation import deliver, digest, sweep
from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, LeadEvent
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory, at

REASSIGN = [{"at_percent": 100, "notify": "manager", "channel": "slack"},
            {"after_breach_minutes": 0, "action": "reassign"}]


def test_reassign_step_moves_the_lead_by_round_robin_and_keeps_history(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REASSIGN)
    first = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    result = sweep.sweep()
    assert result.reroutes == [first.pk]
    first.refresh_from_db()
    assert (first.status, first.close_reason) == ("breached", "reassigned")
    current = Handoff.objects.get(lead=first.lead, closed_at__isnull=True)
    assert (current.rep, current.handed_off_at) == (cast.rep2, at("2026-11-23 09:16"))
    event = LeadEvent.objects.get(key=f"slawatch:reroute:{first.pk}")
    assert (event.type, event.data["lead"]["owner"]) == ("lead.assigned", "rep-8")
    cast.team.refresh_from_db()
    assert cast.team.last_routed_to == cast.rep2
    assert Escalation.objects.filter(handoff=first, step=0).count() == 1  # manager still told


def test_reroutes_are_capped_per_lead(cast, clock):
    cast.team.max_reroutes_per_lead = 1
    cast.team.save()
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REASSIGN)
    assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()  # to Ravi
    clock.move_to("2026-11-23 09:32:00Z")
    sweep.sweep()  # Ravi breaches too: the cap keeps the lead with him
    open_handoff = Handoff.objects.get(closed_at__isnull=True)
    assert open_handoff.rep == cast.rep2 and open_handoff.status == "breached"
    assert LeadEvent.objects.filter(key__startswith="slawatch:reroute:").count() == 1


def test_digest_holds_escalations_then_sends_one_summary_at_local_time(cast, clock, slack):
    cast.manager.digest_enabled, cast.manager.digest_time = True, time(17, 0)
    cast.manager.time_zone = "America/New_York"
    cast.manager.save()
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "slack"}])
    assign("L-1", name="Ana Ruiz")
    assign("L-2", name="Li Wei")
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    held = list(Escalation.objects.all())
    assert all(e.held_for_digest and e.next_attempt_at == at("2026-11-23 22:00") for e in held)
    assert deliver.due_ids(timezone.now()) == []
    clock.move_to("2026-11-23 21:59:00Z")
    assert digest.collect_digests() == []
    clock.move_to("2026-11-23 22:00:00Z")
    [digest_id] = digest.collect_digests()
    assert digest.collect_digests() == []  # bundled once
    assert deliver.deliver(digest_id) == "sent"
    [request] = slack.to("/api/chat.postMessage")
    body = request.json()
    assert body["channel"] == "UMANAGER" and body["text"] == "SLA digest: 2 escalations"
    assert "Ana Ruiz" in json_text(body) and "Li Wei" in json_text(body)
    assert set(Escalation.objects.filter(kind="escalation").values_list("status", flat=True)) == {"sent"}


def json_text(body):
    return json.dumps(body)


def test_next_digest_time_is_in_the_persons_zone_across_dst(cast):
    cast.manager.digest_time, cast.manager.time_zone = time(8, 30), "Europe/Berlin"
    # 2026-03-29: Berlin moves from UTC+1 to UTC+2
    assert digest.next_digest_at(cast.manager, at("2026-03-28 08:00")) == at("2026-03-29 06:30")
    assert digest.next_digest_at(cast.manager, at("2026-03-27 07:30")) == at("2026-03-27 07:30")
