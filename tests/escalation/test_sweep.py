from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slawatch.escalation import deliver, sweep
from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, Milestone
from slawatch.leads.services import apply_events, handoff_acknowledge, handoff_snooze
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory, at, event

REPEAT_MANAGER = [{"at_percent": 100, "notify": "manager", "channel": "slack", "repeat_minutes": 10}]


def _rows(handoff):
    return list(Escalation.objects.filter(handoff=handoff).order_by("step", "occurrence")
                .values_list("step", "occurrence", "recipient", "status"))


def test_warning_then_breach_escalate_once_each(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)  # warn rep at 50 %, manager at breach
    handoff = assign()
    clock.move_to("2026-11-23 09:08:00Z")
    assert sweep.sweep().claimed == 1
    assert _rows(handoff) == [(0, 0, f"person:{cast.rep.pk}", "pending")]
    handoff.refresh_from_db()
    assert handoff.next_due_at == at("2026-11-23 09:15")
    assert handoff.status == "open"
    assert sweep.sweep().claimed == 0  # nothing new is due yet

    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    sweep.sweep()
    assert _rows(handoff) == [(0, 0, f"person:{cast.rep.pk}", "pending"),
                              (1, 0, f"person:{cast.manager.pk}", "pending")]
    handoff.refresh_from_db()
    milestone = handoff.milestones.get()
    assert (handoff.status, handoff.breached_at) == ("breached", at("2026-11-23 09:15"))
    assert milestone.breached_at == at("2026-11-23 09:15")
    assert milestone.fired == {"0": 1, "1": 1}
    assert handoff.next_due_at is None  # no repeats configured: the ladder is done


def test_touch_meeting_the_milestone_stops_later_steps(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    handoff = assign()
    clock.move_to("2026-11-23 09:08:00Z")
    sweep.sweep()
    apply_events([event("t1", "lead.touched", "2026-11-23T09:10:00Z",
                        touch={"kind": "call", "at": "2026-11-23T09:10:00Z", "by": "rep-7"})])
    handoff.refresh_from_db()
    assert handoff.next_due_at is None and handoff.status == "met"
    clock.move_to("2026-11-23 10:00:00Z")
    assert sweep.sweep().claimed == 0
    assert [r[0] for r in _rows(handoff)] == [0]


def test_repeats_until_acknowledged_and_the_breach_stays(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REPEAT_MANAGER)
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    clock.move_to("2026-11-23 09:26:00Z")
    sweep.sweep()
    assert [r[:2] for r in _rows(handoff)] == [(0, 0), (0, 1)]
    handoff_acknowledge(handoff=handoff, by="maya")
    handoff.refresh_from_db()
    assert handoff.next_due_at is None
    clock.move_to("2026-11-23 11:00:00Z")
    assert sweep.sweep().claimed == 0
    assert len(_rows(handoff)) == 2
    handoff.refresh_from_db()
    assert (handoff.status, handoff.breached_at) == ("breached", at("2026-11-23 09:15"))


def test_missed_repeats_collapse_into_one_reminder(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REPEAT_MANAGER)
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    clock.move_to("2026-11-23 09:50:00Z")  # repeats were due 09:25, 09:35, 09:45
    sweep.sweep()
    assert [r[:2] for r in _rows(handoff)] == [(0, 0), (0, 3)]
    handoff.refresh_from_db()
    assert handoff.next_due_at == at("2026-11-23 09:55")


def test_closing_the_handoff_stops_everything(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REPEAT_MANAGER)
    handoff = assign()
    apply_events([event("dq", "lead.disqualified", "2026-11-23T09:05:00Z")])
    handoff.refresh_from_db()
    assert handoff.next_due_at is None
    clock.move_to("2026-11-23 10:00:00Z")
    assert sweep.sweep().claimed == 0
    assert _rows(handoff) == []


def test_step_naming_nobody_is_recorded_as_failed_with_the_reason(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "email"}])
    cast.team.manager = None
    cast.team.save()
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    row = Escalation.objects.get(handoff=handoff)
    assert (row.status, row.recipient) == ("failed", "nobody:manager")
    assert row.last_error == "team East has no manager to notify"


def test_backfilled_old_leads_become_one_catch_up_message_per_recipient(
        cast, clock, settings, slack):
    settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES = 60
    PolicyFactory(heat="hot", first_touch_minutes=15)  # warn rep at 50 %, manager at breach
    clock.move_to("2026-11-23 12:00:00Z")
    first = assign("L-1", at="2026-11-22T09:00:00Z")  # day-old assignments arriving late
    second = assign("L-2", at="2026-11-22T10:00:00Z")
    sweep.sweep()
    notes = Escalation.objects.filter(kind="catch_up").order_by("recipient")
    assert [(n.recipient, n.channel, n.payload["items"]) for n in notes] == [
        (f"person:{cast.manager.pk}", "slack", 2), (f"person:{cast.rep.pk}", "slack", 2)]
    for handoff in (first, second):  # every late step is on record, carried by a catch-up
        rows = Escalation.objects.filter(handoff=handoff)
        assert sorted(r.digest.recipient for r in rows) == sorted(n.recipient for n in notes)
        handoff.refresh_from_db()
        assert handoff.status == "breached"
    assert (first.breached_at, second.breached_at) == (at("2026-11-22 09:15"),
                                                       at("2026-11-22 10:15"))

    for note in notes:
        assert deliver.deliver(note.pk) == "sent"
    posts = slack.to("/api/chat.postMessage")
    assert sorted(p.json()["channel"] for p in posts) == ["UMANAGER", "UREP1"]
    assert all(p.json()["text"] == "SLA catch-up: 2 escalations due more than 60 min before "
               "slawatch saw them" for p in posts)
    assert set(Escalation.objects.values_list("status", flat=True)) == {"sent"}


def test_a_step_within_the_lateness_limit_is_still_sent(cast, clock, settings):
    settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES = 60
    PolicyFactory(heat="hot", first_touch_minutes=15)
    handoff = assign()
    clock.move_to("2026-11-23 10:10:00Z")  # warning 09:07:30 is 62 min late, breach 55 min
    sweep.sweep()
    rows = Escalation.objects.filter(handoff=handoff).order_by("step")
    assert [(r.step, r.held_for_digest, r.digest and r.digest.kind) for r in rows] == [
        (0, True, "catch_up"), (1, False, None)]
    # The breach goes out as itself, the late warning in the rep's catch-up.
    assert sorted(deliver.due_ids(timezone.now())) == sorted([rows[1].pk, rows[0].digest_id])


def test_the_breach_found_by_the_sweep_is_in_the_handoffs_history(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    latest = handoff.history.order_by("-history_date", "-history_id").first()
    assert (latest.status, latest.breached_at) == ("breached", at("2026-11-23 09:15"))
    assert latest.history_type == "~" and latest.history_date == timezone.now()
    assert latest.history_change_reason == "breached: found by the SLA sweep"
    clock.move_to("2026-11-23 09:30:00Z")
    before = handoff.history.count()
    sweep.sweep()  # still breached: no second entry
    assert handoff.history.count() == before


def test_claim_of_a_row_changed_between_read_and_update_sends_nothing(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    candidates = sweep.due_candidates(sweep.timezone.now(), 10)
    assert [pk for pk, _ in candidates] == [handoff.pk]
    # Between the read and the claim the rep calls the lead: the timer moves.
    apply_events([event("t1", "lead.touched", "2026-11-23T09:14:00Z",
                        touch={"kind": "call", "at": "2026-11-23T09:14:00Z", "by": "rep-7"})])
    result = sweep.process(candidates, sweep.timezone.now())
    assert (result.claimed, result.lost, result.escalations) == (0, 1, 0)
    assert Escalation.objects.count() == 0
    assert Milestone.objects.get().fired == {}


def test_claim_won_by_another_sweeper_is_not_evaluated_twice(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    handoff = assign()
    clock.move_to("2026-11-23 09:16:00Z")
    now = sweep.timezone.now()
    candidates = sweep.due_candidates(now, 10)
    assert sweep.process(candidates, now).claimed == 1   # the other sweeper
    assert sweep.process(candidates, now).lost == 1      # us, with the stale read
    assert Escalation.objects.filter(handoff=handoff).count() == 2


def test_poisoned_row_is_pushed_forward_and_the_rest_proceeds(cast, clock, settings, caplog):
    settings.SLAWATCH_SWEEP_POISON_DELAY_SECONDS = 300
    PolicyFactory(heat="hot", first_touch_minutes=15)
    good, bad = assign("L-1"), assign("L-2")
    Handoff.objects.filter(pk=bad.pk).update(policy_snapshots={
        "hot": {"calendar": None, "steps": [{"at_percent": "fifty", "notify": "rep"}]}})
    clock.move_to("2026-11-23 09:16:00Z")
    result = sweep.sweep()
    assert (result.claimed, result.errors) == (2, 1)
    assert Escalation.objects.filter(handoff=good).count() == 2
    bad.refresh_from_db()
    assert bad.next_due_at == at("2026-11-23 09:21")
    assert f"could not evaluate handoff {bad.pk}" in caplog.text
    assert sweep.sweep().claimed == 0  # not retried in a tight loop


def test_sweep_batches_are_bounded_and_all_due_rows_are_taken(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    for n in range(5):
        assign(f"L-{n}")
    clock.move_to("2026-11-23 09:08:00Z")
    with CaptureQueriesContext(connection) as queries:
        result = sweep.sweep(batch_size=2)
    assert result.claimed == 5
    candidate_reads = [q for q in queries.captured_queries
                       if 'FROM "leads_handoff"' in q["sql"] and "LIMIT 2" in q["sql"]]
    assert len(candidate_reads) == 3  # 2 + 2 + 1
    assert Escalation.objects.count() == 5


def _sweep_queries(clock, n, start):
    for i in range(n):
        assign(f"Q{start}-{i}", at=f"2026-11-23T{start:02d}:00:00Z")
    clock.move_to(f"2026-11-23 {start:02d}:08:00Z")
    with CaptureQueriesContext(connection) as queries:
        assert sweep.sweep().claimed == n
    return len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]])


def test_sweep_cost_does_not_grow_with_the_due_rows(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=600,  # warn at 6 min, due 10 h later
                  steps=[{"at_percent": 1, "notify": "manager", "channel": "slack"}])
    small = _sweep_queries(clock, 2, 10)
    large = _sweep_queries(clock, 6, 12)
    # one batch claim, one read, one insert and one UPDATE per table, whatever is due
    assert large == small


def test_open_rows_that_are_not_due_cost_nothing(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=600)
    for n in range(5):
        assign(f"L-{n}")
    clock.move_to("2026-11-23 09:01:00Z")
    with CaptureQueriesContext(connection) as queries:
        assert sweep.sweep().claimed == 0
    assert len([q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]) == 1


def test_snooze_holds_messages_but_not_the_breach(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=REPEAT_MANAGER)
    handoff = assign()
    handoff_snooze(handoff=handoff, until=at("2026-11-23 09:40"), by="maya")
    clock.move_to("2026-11-23 09:20:00Z")
    sweep.sweep()
    assert _rows(handoff) == []
    handoff.refresh_from_db()
    assert handoff.status == "breached"
    clock.move_to("2026-11-23 09:40:00Z")
    sweep.sweep()
    assert len(_rows(handoff)) == 1


def test_due_candidates_read_earliest_first(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    late, early = assign("L-1", at="2026-11-23T09:00:00Z"), assign("L-2", at="2026-11-23T08:59:00Z")
    clock.move_to("2026-11-23 09:30:00Z")
    assert [pk for pk, _ in sweep.due_candidates(sweep.timezone.now(), 10)] == [early.pk, late.pk]
    assert timedelta(0) < late.next_due_at - early.next_due_at
