"""Drill: two beat processes by mistake. Every tick queues the sweep and the delivery
pass twice, and one sweep acts on a read the other has already consumed. Each due step
still becomes one escalation row and one Slack message."""

import time_machine
from django.utils import timezone

from slawatch.escalation import sweep, tasks
from slawatch.escalation.models import Escalation, EscalationStatus
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, event

LEADS = 20


def handoff_id(message) -> str:
    actions = next(b for b in message.body["blocks"] if b["type"] == "actions")
    return actions["elements"][0]["value"]


def test_two_beats_escalate_and_deliver_each_step_once(
        cast, slack, django_capture_on_commit_callbacks):
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "slack"}])
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False) as clock:
        apply_events([event(f"a{n}", "lead.assigned", "2026-11-23T09:00:00Z",
                            external_id=f"L-{n}", heat="hot", owner="rep-7")
                      for n in range(LEADS)])
        clock.move_to("2026-11-23 09:15:01Z")
        now = timezone.now()
        seen_by_first = sweep.due_candidates(now, 500)       # beat 1's sweep has read…
        with django_capture_on_commit_callbacks(execute=True):
            second = sweep.sweep(now)                         # …when beat 2's takes them all
        with django_capture_on_commit_callbacks(execute=True):
            first = sweep.process(seen_by_first, now)         # beat 1 acts on its stale read
        for _ in range(2):                                    # both beats' delivery passes
            with django_capture_on_commit_callbacks(execute=True):
                tasks.deliver_due()
        clock.shift(60)
        for _ in range(2):                                    # and their next tick
            with django_capture_on_commit_callbacks(execute=True):
                tasks.sweep_due()
                tasks.deliver_due()

    assert (second.claimed, first.claimed, first.lost) == (LEADS, 0, LEADS)
    assert Escalation.objects.count() == LEADS                              # expected
    assert Escalation.objects.filter(status=EscalationStatus.SENT).count() == LEADS
    delivered = slack.delivered()
    assert len(delivered) == LEADS                                          # = delivered
    assert len({handoff_id(m) for m in delivered}) == LEADS                 # no duplicates
