"""Property: continuing a lead's state with newer events (leads/incremental.py) gives
exactly what deriving it again from the whole set gives (leads/derive.py).

Pure: no database. A random history arrives mostly in time order (some events late,
as CRMs retry and backfill); after every arrival the state kept by the incremental
path (falling back to a full derivation when `advance` declines) is compared with
`derive` over every event received so far.
"""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from slawatch.leads import derive as d
from slawatch.leads import heat_rules, incremental
from slawatch.leads.events import DomainEvent
from slawatch.leads.services import LEAD_ATTRS, calendar_for

BASE = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # a Friday evening: business time matters
NOW = BASE + timedelta(hours=70)
OWNERS = {"rep-7": 1, "rep-8": 2}  # rep-99 maps to nobody
TEAMS = {1: 10, 2: 20}
OFFICE = {"time_zone": "America/New_York", "always_open": False, "holidays": [],
          "hours": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]}
STEPS = [{"at_percent": 50, "notify": "rep", "channel": "slack", "repeat_minutes": None},
         {"after_breach_minutes": 0, "notify": "manager", "channel": "slack",
          "repeat_minutes": 60}]
POLICIES = {
    "hot": {"policy_id": 1, "heat": "hot", "first_touch_minutes": 15, "follow_up_touches": 2,
            "follow_up_window_minutes": 30, "touch_kinds": [], "steps": STEPS, "calendar": None},
    "warm": {"policy_id": 2, "heat": "warm", "first_touch_minutes": 60, "follow_up_touches": 1,
             "follow_up_window_minutes": 120, "touch_kinds": [], "steps": STEPS,
             "calendar": OFFICE},
    "cold": {"policy_id": 3, "heat": "cold", "first_touch_minutes": 240, "follow_up_touches": 0,
             "follow_up_window_minutes": 0, "touch_kinds": ["call"], "steps": STEPS,
             "calendar": None},
}
DEFAULTS = {name: "" for name in d.LEAD_FIELDS} | {
    "score": None, "sourced_by": "marketing", "heat": "", "status": "open", "converted_at": None,
    "disqualified_at": None, "created_in_crm_at": None, "owner_crm_id": "",
    "last_event_at": None, "owner_id": None, "properties": {}, "crm_heat": ""}
# Lead definitions: the first takes effect a day into the history, the second a day later;
# their rules read a CRM property and the score, and the second lets the CRM's heat win.
DEFINITIONS = (
    heat_rules.Definition.build(
        version=1, default_heat="warm", crm_heat="ignore", effective_from=BASE + timedelta(days=1),
        rules=[{"heat": "hot", "when": [{"field": "segment", "op": "eq", "value": "enterprise"}]},
               {"heat": "cold", "when": [{"field": "score", "op": "gte", "value": 10}]}]),
    heat_rules.Definition.build(
        version=2, default_heat="cold", crm_heat="prefer", effective_from=BASE + timedelta(days=2),
        rules=[{"heat": "hot", "when": [{"field": "segment", "op": "in",
                                         "value": ["enterprise", "mid"]}]}]),
)
definitions_in_force = ()  # set per example by the property test


def context(prior=None):
    return d.Context(crm="acme", now=NOW, default_heat="warm",
                     person_for_owner=lambda crm, owner: OWNERS.get(owner),
                     team_of=TEAMS.get, policy_for=lambda heat, team: POLICIES.get(heat),
                     calendar_for=calendar_for, prior=prior or {},
                     definitions=definitions_in_force)


def fact(index, kind, minute, owner, heat, touch_kind, by, activity, touch_early,
         segment="keep"):
    when = BASE + timedelta(minutes=minute)
    rerouted = kind == "lead.rerouted"  # slawatch moved the lead (leads/reassign.py)
    kind = "lead.assigned" if rerouted else kind
    body = {"event_id": f"e{index}", "type": kind, "occurred_at": when.isoformat(),
            "crm": "acme", "lead": {"external_id": "L-1"}}
    if kind in ("lead.created", "lead.assigned"):
        body["lead"].update(owner=owner, heat=heat, name=f"name-{index}", score=index)
    elif kind == "lead.heat_changed":
        body["lead"]["heat"] = heat
    if segment != "keep" and kind in ("lead.created", "lead.assigned", "lead.heat_changed"):
        body["lead"]["properties"] = {"segment": segment}  # None: the CRM cleared it
    elif kind == "lead.touched":
        touch = {"kind": touch_kind, "at": (when - timedelta(minutes=touch_early)).isoformat(),
                 "by": by, "id": activity}
        body["touch"] = {k: v for k, v in touch.items() if v is not None}
    elif kind == "lead.converted":
        body["opportunity"] = {"external_id": "OPP-1", "amount": 100 + index,
                               **({"currency": "EUR"} if index % 2 else {})}
    event = DomainEvent.parse(body)
    data = event.data()
    if rerouted:
        data["lead"]["rerouted_by"] = "a manager"
    return d.Fact(event.key, event.type, event.occurred_at, data)


@st.composite
def arrivals(draw):
    """A history of one lead over three days, and the order it arrives in: by time,
    except that some events are late by up to a day."""
    templates = draw(st.lists(st.tuples(
        st.sampled_from(["lead.created", "lead.assigned", "lead.assigned", "lead.heat_changed",
                         "lead.touched", "lead.touched", "lead.touched", "lead.converted",
                         "lead.rerouted", "lead.rerouted",
                         "lead.disqualified"]),
        st.integers(0, 3 * 24 * 60),
        st.sampled_from(["rep-7", "rep-8", "rep-99"]),
        st.sampled_from(["hot", "warm", "cold"]),
        st.sampled_from(["call", "email"]),
        st.sampled_from(["rep-7", "rep-8", None]),
        st.sampled_from([None, None, None, "act-1"]),
        st.sampled_from([0, 0, 0, 5, 600]),
        st.sampled_from([0, 0, 0, 0, 0, 24 * 60]),  # lateness, minutes
        st.sampled_from(["keep", "keep", "enterprise", "mid", "smb", None]),
    ), min_size=1, max_size=25))
    facts = [fact(i, *t[:8], segment=t[9]) for i, t in enumerate(templates)]
    order = sorted(range(len(facts)),
                   key=lambda i: (facts[i].occurred_at + timedelta(minutes=templates[i][8]), i))
    return [facts[i] for i in order]


def attrs_of(attrs):
    return {name: attrs.get(name, DEFAULTS[name]) for name in (*LEAD_ATTRS, "owner_id")}


def handoff_state(plan):
    return (plan.handed_off_at, plan.rep_id, plan.team_id, plan.heat, plan.policy_snapshots,
            plan.policy_id, plan.status, plan.first_touch_due_at, plan.first_touched_at,
            plan.speed_to_lead_seconds, plan.speed_to_lead_business_seconds, plan.breached_at,
            plan.closed_at, plan.close_reason, plan.next_due_at,
            [(m.seq, m.kind, m.started_at, m.due_at, m.met_at, m.breached_at)
             for m in plan.milestones])


def touch_state(touch):
    return (touch.key, touch.kind, touch.at, touch.by_crm_id, touch.by_id, touch.handoff_start,
            touch.counted)


def opportunity_state(opp):
    return (opp.get("amount"), opp.get("currency", ""), opp.get("status", "open"),
            opp["opened_at"], opp.get("closed_at"))


class Kept:
    """The state as the services keep it: attributes, carry, handoffs, touches, opps."""

    def __init__(self, facts):
        self.full(facts)

    def full(self, facts):
        ctx = context()
        plan = d.derive(facts, ctx)
        self.attrs = attrs_of(plan.attrs)
        self.carry = incremental.carry_of(facts, plan, ctx)
        self.handoffs = {h.handed_off_at: h for h in plan.handoffs}
        self.touches = {t.key: t for t in plan.touches}
        self.opportunities = dict(plan.opportunities)

    def advance(self, new):
        current = self.handoffs.get(incremental._instant(self.carry["open"])) \
            if self.carry["open"] else None
        tail = incremental.Tail(
            attrs=self.attrs, carry=self.carry, current=current,
            known_touches=frozenset(self.touches),
            opportunities={k: v for k, v in self.opportunities.items()})
        step = incremental.advance(tail, new, context())
        if step is None:
            return False
        self.attrs, self.carry = attrs_of(step.attrs), step.carry
        self.handoffs.update({h.handed_off_at: h for h in step.handoffs})
        self.touches.update({t.key: t for t in step.touches})
        self.opportunities.update(step.opportunities)
        return True

    def state(self):
        return (self.attrs,
                [handoff_state(h) for _, h in sorted(self.handoffs.items())],
                sorted(touch_state(t) for t in self.touches.values()),
                {k: opportunity_state(v) for k, v in self.opportunities.items()})


def reference(facts):
    plan = d.derive(facts, context())
    return (attrs_of(plan.attrs), [handoff_state(h) for h in plan.handoffs],
            sorted(touch_state(t) for t in plan.touches),
            {k: opportunity_state(v) for k, v in plan.opportunities.items()})


@settings(max_examples=300, deadline=None)
@given(arrived=arrivals(), with_definitions=st.booleans())
def test_incremental_state_equals_the_full_derivation_after_every_arrival(
        arrived, with_definitions):
    global definitions_in_force
    definitions_in_force = DEFINITIONS if with_definitions else ()
    try:
        kept = Kept(arrived[:1])
        for n in range(2, len(arrived) + 1):
            if not kept.advance([arrived[n - 1]]):
                kept.full(arrived[:n])
            assert kept.state() == reference(arrived[:n]), f"after {n} events"
    finally:
        definitions_in_force = ()


def test_an_in_order_history_is_folded_event_by_event():
    """The property above would pass vacuously if `advance` always declined."""
    history = [fact(0, "lead.created", 0, "rep-7", "hot", "call", None, None, 0),
               fact(1, "lead.heat_changed", 3, "rep-7", "cold", "call", None, None, 0),
               fact(2, "lead.touched", 10, None, None, "email", "rep-7", None, 0),
               fact(3, "lead.touched", 20, None, None, "call", "rep-7", None, 5),
               fact(4, "lead.assigned", 30, "rep-8", "warm", "call", None, None, 0),
               fact(5, "lead.touched", 40, None, None, "email", "rep-8", "act-1", 0),
               fact(6, "lead.touched", 50, None, None, "email", "rep-8", "act-1", 0),
               fact(7, "lead.touched", 900, None, None, "call", "rep-8", None, 0),
               fact(8, "lead.converted", 1000, None, None, "call", None, None, 0)]
    kept = Kept(history[:1])
    for n in range(2, len(history) + 1):
        assert kept.advance([history[n - 1]]), f"event {n} was not folded"
        assert kept.state() == reference(history[:n])
    assert kept.state()[1][1][6] == "met"  # the second handoff: both touches it owed


def test_a_definition_decides_heat_on_the_folded_path_too(monkeypatch):
    """Under a definition, a property change re-tiers the open handoff and sets the
    lead's heat, folded exactly as derived (the property test covers the rest)."""
    monkeypatch.setattr(__name__ + ".definitions_in_force", DEFINITIONS)
    day = 24 * 60
    history = [fact(0, "lead.created", day + 60, "rep-7", "cold", "call", None, None, 0,
                    segment="smb"),
               fact(1, "lead.heat_changed", day + 65, None, "cold", "call", None, None, 0,
                    segment="enterprise")]
    kept = Kept(history[:1])
    assert kept.state()[1][0][3] == "warm"  # v1 ignores the CRM's heat; no rule matches
    assert kept.advance(history[1:]), "the property change was not folded"
    assert kept.state() == reference(history)
    assert kept.attrs["heat"] == "hot" and kept.state()[1][0][3] == "hot"


def test_an_event_older_than_what_was_applied_is_declined():
    history = [fact(0, "lead.assigned", 0, "rep-7", "hot", "call", None, None, 0),
               fact(1, "lead.touched", 30, None, None, "call", "rep-7", None, 0)]
    kept = Kept(history[1:])
    assert not kept.advance(history[:1])
