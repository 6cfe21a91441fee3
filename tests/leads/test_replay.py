"""The what-if replay against the record, over random histories (hypothesis).

Each example builds a real history through the live path — policies and calendars in
the database, events through apply_events (reassignments, heat changes, touches by the
owner, another rep or nobody, closes), acknowledgements and snoozes through their
services — then asks the what-if selector the questions the issue pins:

- a proposal equal to the policies in force gives `proposed` == `actual` (the stored
  outcome), group by group and recipient by recipient;
- a proposal that only shortens times never gives fewer breaches.

`count_firings` is checked against the sweep's own rule: `due_firings` called at every
instant `next_fire_at` names, as a sweep that never sleeps would.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slawatch.api.serializers import PolicySerializer
from slawatch.clock import BusinessCalendar, add_business_time
from slawatch.leads import ladder
from slawatch.leads.events import HEATS, TOUCH_KINDS
from slawatch.leads.models import Handoff, SlaPolicy
from slawatch.leads.services import apply_events, handoff_acknowledge, handoff_snooze
from slawatch.people.models import Calendar
from slawatch.whatif.selectors import what_if
from slawatch.whatif.serializers import WhatIfSerializer
from tests.factories import event

# Weeks with DST changes: the US springs forward on 2026-03-08 and falls back on
# 2026-11-01, Europe on 2026-03-29 and 2026-10-25.
BASES = [datetime(2026, 3, 6, 14, 0, tzinfo=UTC), datetime(2026, 10, 23, 14, 0, tzinfo=UTC),
         datetime(2026, 3, 27, 20, 0, tzinfo=UTC)]
CALENDARS = {
    "always": None,
    "new-york": {"time_zone": "America/New_York", "holidays": ["2026-03-09", "2026-10-26"],
                 "hours": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]},
    "berlin": {"time_zone": "Europe/Berlin", "country": "DE", "holidays": ["2026-03-30"],
               "hours": [{"weekday": d, "start": s, "end": e} for d in range(6)
                         for s, e in (("08:00", "12:00"), ("13:00", "18:30"))]},
    "night": {"time_zone": "America/New_York", "holidays": [],  # crosses the DST gap
              "hours": [{"weekday": d, "start": "00:30", "end": "03:30"} for d in range(7)]},
}
OWNERS = ["rep-7", "rep-8", "nobody-mapped"]

steps_st = st.lists(st.one_of(
    st.builds(lambda p, n, r: {"at_percent": p, "notify": n, "channel": "slack",
                               "repeat_minutes": r},
              st.sampled_from([25, 50, 80, 100]), st.sampled_from(ladder.NOTIFY),
              st.sampled_from([None, None, 45, 120])),
    st.builds(lambda a, n, r: {"after_breach_minutes": a, "notify": n, "channel": "email",
                               "repeat_minutes": r},
              st.sampled_from([0, 30, 90]), st.sampled_from(["manager", "escalation_contact"]),
              st.sampled_from([None, 60, 240])),
    st.just({"after_breach_minutes": 60, "action": "reassign"}),
), max_size=3)

policy_st = st.fixed_dictionaries({
    "first_touch_minutes": st.integers(1, 600),
    "follow_up_touches": st.integers(0, 2),
    "follow_up_window_minutes": st.integers(1, 2880),
    "calendar": st.sampled_from(sorted(CALENDARS)),
    "touch_kinds": st.sampled_from([[], ["call"], ["call", "email", "meeting"]]),
    "steps": steps_st,
})

op_st = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from(OWNERS), st.sampled_from([None, *HEATS])),
    st.tuples(st.just("heat"), st.sampled_from(HEATS)),
    st.tuples(st.just("touch"), st.sampled_from(TOUCH_KINDS),
              st.sampled_from(["rep-7", "rep-7", "rep-8", None])),
    st.tuples(st.just("close"), st.sampled_from(["lead.converted", "lead.disqualified"])),
)
lead_st = st.tuples(
    st.tuples(st.just("assign"), st.sampled_from(OWNERS[:2]), st.sampled_from([None, *HEATS])),
    st.lists(st.tuples(op_st, st.integers(0, 6 * 24 * 60)), max_size=7),
)
history_st = st.fixed_dictionaries({
    "base": st.sampled_from(BASES),
    "policies": st.fixed_dictionaries({heat: policy_st for heat in HEATS}),
    "leads": st.lists(st.tuples(st.integers(0, 24 * 60), lead_st), min_size=1, max_size=3),
    "acks": st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7 * 24 * 60)), max_size=3),
    "snoozes": st.lists(st.tuples(st.integers(0, 5), st.integers(0, 7 * 24 * 60)), max_size=1),
})


def _instant(base, minutes):
    return (base + timedelta(minutes=minutes)).isoformat()


def _events(n, start, lead, base):
    first, ops = lead
    out = []
    for index, (op, offset) in enumerate([(first, 0)] + [(op, offset + 1) for op, offset in ops]):
        when = _instant(base, start + offset)
        eid, ext = f"e{n}-{index}", f"L-{n}"
        if op[0] == "assign":
            extra = {"heat": op[2]} if op[2] else {}
            out.append(event(eid, "lead.assigned", when, external_id=ext, owner=op[1], **extra))
        elif op[0] == "heat":
            out.append(event(eid, "lead.heat_changed", when, external_id=ext, heat=op[1]))
        elif op[0] == "touch":
            touch = {"kind": op[1], "at": when, **({"by": op[2]} if op[2] else {})}
            out.append(event(eid, "lead.touched", when, external_id=ext, touch=touch))
        else:
            out.append(event(eid, op[1], when, external_id=ext))
    return out


def _build(history):
    base = history["base"]
    calendars = {name: Calendar.objects.create(name=name, **{"country": "", **spec})
                 for name, spec in CALENDARS.items() if spec is not None}
    for heat, fields in history["policies"].items():
        SlaPolicy.objects.create(heat=heat, **{**fields, "calendar": calendars.get(
            fields["calendar"])})
    events = []
    for n, (start, lead) in enumerate(history["leads"]):
        events += _events(n, start, lead, base)
    apply_events(events)
    apply_events(events[::-1])  # a second delivery, in another order, changes nothing
    handoffs = list(Handoff.objects.order_by("handed_off_at", "pk"))
    for index, offset in history["acks"]:
        if handoffs:
            handoff_acknowledge(handoff=handoffs[index % len(handoffs)], by="Maya",
                                at=base + timedelta(minutes=offset))
    for index, offset in history["snoozes"]:
        if handoffs:
            handoff_snooze(handoff=handoffs[index % len(handoffs)],
                           until=base + timedelta(minutes=offset), by="Maya")


def _proposal(change=lambda fields: fields):
    out = []
    for policy in SlaPolicy.objects.all():
        fields = dict(PolicySerializer(policy).data)
        del fields["id"], fields["team"]
        out.append(change(fields))
    return out


def _ask(base, proposal, group_by):
    serializer = WhatIfSerializer(data={
        "start": (base - timedelta(days=1)).isoformat(),
        "end": (base + timedelta(days=9)).isoformat(),
        "group_by": group_by, "policies": proposal})
    assert serializer.is_valid(), serializer.errors
    return what_if(serializer.question())


def _in_history(test):
    """Run `test(history)` inside the history's frozen now, rolled back afterwards."""
    def run(history):
        now = history["base"] + timedelta(days=8)
        with time_machine.travel(now, tick=False), transaction.atomic():
            _build(history)
            test(history)
            transaction.set_rollback(True)
    return run


PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@pytest.mark.django_db
@PROPERTY
@given(history=history_st)
def test_a_proposal_equal_to_the_policies_in_force_gives_the_actual_outcome(cast, history):
    @_in_history
    def check(history):
        for group_by in ("heat", "rep", "week"):
            answer = _ask(history["base"], _proposal(), group_by)
            for row in answer["rows"]:
                assert row["proposed"] == row["actual"], (group_by, row)
            assert answer["totals"]["proposed"] == answer["totals"]["actual"]
            for row in answer["pager_load"]:
                assert row["proposed"] == row["actual"], row
        stored = Handoff.objects.filter(status="breached").count()
        assert answer["totals"]["actual"]["breached"] == stored
    check(history)


def _shortened(factor):
    def change(fields):
        fields["first_touch_minutes"] = max(1, int(fields["first_touch_minutes"] * factor))
        fields["follow_up_window_minutes"] = max(1, int(fields["follow_up_window_minutes"]
                                                        * factor))
        return fields
    return change


@pytest.mark.django_db
@PROPERTY
@given(history=history_st, factor=st.sampled_from([0.01, 0.25, 0.5, 0.9, 1.0]))
def test_shorter_times_never_give_fewer_breaches(cast, history, factor):
    @_in_history
    def check(history):
        answer = _ask(history["base"], _proposal(_shortened(factor)), "rep")
        for row in answer["rows"]:
            assert row["proposed"]["breached"] >= row["actual"]["breached"], row
            assert row["proposed"]["handoffs"] == row["actual"]["handoffs"]
    check(history)


# --- count_firings is the sweep's rule --------------------------------------------------

OFFICE = BusinessCalendar.from_spec(
    "Europe/Berlin", [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])
T0 = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # a Friday before Europe's DST change


def _swept(cal, started, due, steps, until, snoozed_until):
    """Firings a sweep running at every instant it is asked to look would send."""
    fired, counts = {}, [0] * len(steps)
    while True:
        at = ladder.next_fire_at(cal, started, due, steps, fired, snoozed_until)
        if at is None or at >= until:
            return counts
        firings, fired = ladder.due_firings(cal, started, due, steps, fired, at, snoozed_until)
        for firing in firings:
            counts[firing.step_index] += 1


@settings(max_examples=300, deadline=None)
@given(cal=st.sampled_from([OFFICE, BusinessCalendar(always_open=True)]),
       start=st.integers(0, 5 * 24 * 60), sla=st.integers(1, 24 * 60),
       steps=steps_st.filter(bool), until=st.integers(0, 9 * 24 * 60),
       snooze=st.one_of(st.none(), st.integers(0, 9 * 24 * 60)))
def test_count_firings_matches_a_sweep_that_never_sleeps(cal, start, sla, steps, until, snooze):
    steps = ladder.normalize_steps(steps)
    started = T0 + timedelta(minutes=start)
    due = add_business_time(cal, started, timedelta(minutes=sla))
    until_at = T0 + timedelta(minutes=until)
    snoozed = None if snooze is None else T0 + timedelta(minutes=snooze)
    assert ladder.count_firings(cal, started, due, steps, until_at, snoozed) == \
        _swept(cal, started, due, steps, until_at, snoozed)
