"""Drill: Slack answers 429 with Retry-After, then 500s, then recovers. The escalation is
delivered exactly once, no retry comes before Retry-After, and the beat (sweep and
deliver_due every tick) never adds a second row or a second message."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from bench.sink import Fault
from slawatch.escalation import tasks
from slawatch.escalation.models import Escalation, EscalationAttempt, EscalationStatus
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, event

MANAGER_AT_BREACH = [{"at_percent": 100, "notify": "manager", "channel": "slack"}]


def beat_tick(on_commit):
    """What one beat tick queues: the sweep and the delivery pass (eager in tests)."""
    with on_commit(execute=True):
        tasks.sweep_due()
    with on_commit(execute=True):
        tasks.deliver_due()


def test_slack_429_then_500s_then_recovery_delivers_once(
        cast, slack, django_capture_on_commit_callbacks):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_AT_BREACH)
    slack.faults += [Fault(429, retry_after=120), Fault(500), Fault(500)]
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False) as clock:
        apply_events([event("a1", "lead.assigned", "2026-11-23T09:00:00Z", heat="hot",
                             owner="rep-7")])
        clock.move_to("2026-11-23 09:15:01Z")
        beat_tick(django_capture_on_commit_callbacks)           # breach → 429
        escalation = Escalation.objects.get()
        assert [r.status for r in slack.received] == [429]
        assert escalation.status == EscalationStatus.PENDING
        assert escalation.next_attempt_at == timezone.now() + timedelta(seconds=120)

        clock.shift(60)                                            # before Retry-After
        beat_tick(django_capture_on_commit_callbacks)
        assert len(slack.received) == 1

        for wait, expected in ((61, [429, 500]), (31, [429, 500, 500]), (61, [429, 500, 500, 200])):
            clock.shift(wait)                                      # each retry when due
            beat_tick(django_capture_on_commit_callbacks)
            assert [r.status for r in slack.received] == expected

        for _ in range(3):                                         # later ticks: nothing more
            clock.shift(300)
            beat_tick(django_capture_on_commit_callbacks)

    escalation.refresh_from_db()
    assert escalation.status == EscalationStatus.SENT
    assert Escalation.objects.count() == 1                       # expected = 1
    assert len(slack.delivered()) == 1                           # delivered = 1, no duplicate
    assert EscalationAttempt.objects.filter(escalation=escalation).count() == 4
    assert slack.delivered()[0].body["channel"] == cast.manager.slack_user_id
