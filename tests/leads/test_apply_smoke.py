import time_machine

from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, event


@time_machine.travel("2026-11-23 09:05:00Z", tick=False)
def test_assignment_opens_handoff_with_first_touch_due(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    apply_events([event("1", "lead.assigned", "2026-11-23T09:00:00Z", heat="hot", owner="rep-7")])
    handoff = Handoff.objects.get()
    assert handoff.rep == cast.rep
    assert handoff.status == "open"
    assert handoff.first_touch_due_at.isoformat() == "2026-11-23T09:15:00+00:00"
    # first ladder step: the rep is warned at 50 % of 15 minutes
    assert handoff.next_due_at.isoformat() == "2026-11-23T09:07:30+00:00"
