"""A lead's state as a pure function of its events.

`derive` takes every domain event known for one lead (in any order, duplicates
already removed by key) and returns the handoffs, milestones and touches they
imply. Because the result depends only on the *set* of events, applying them
in any order, or twice, ends in the same state, and an older event can never
overwrite newer state. The only other inputs are `now` (a milestone whose due
time has passed unmet is breached) and the ladder state the sweep keeps
(which steps fired, acknowledgements, snoozes), which is carried over.
Heat is decided by the lead definition in force when a handoff starts
(`Context.definitions`, evaluated by the pure heat_rules engine) from the lead's
fields and CRM properties as of that instant; with no definition, the CRM's heat
or the default heat decides, as before definitions existed.
No Django here; the service in services.py loads and stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slawatch.clock import BusinessCalendar, add_business_time, business_time_between
from slawatch.leads import heat_rules, ladder
from slawatch.leads.events import (
    BREACHED,
    CLOSED,
    CONVERTED,
    DISQUALIFIED,
    MET,
    OPEN,
    OTHER,
    REASSIGNED,
    parse_instant,
)

LEAD_FIELDS = ("email", "name", "company", "phone", "source", "campaign", "score", "sourced_by")
RULE_INPUTS = ("source", "campaign", "score", "email")  # lead fields heat rules may read
TERMINAL = {"lead.converted": CONVERTED, "lead.disqualified": DISQUALIFIED}


@dataclass(frozen=True)
class Fact:
    key: str
    type: str
    occurred_at: datetime
    data: dict


@dataclass
class PriorMilestone:
    fired: dict = field(default_factory=dict)
    acknowledged_at: datetime | None = None


@dataclass
class PriorHandoff:
    policy_snapshots: dict = field(default_factory=dict)
    rep_id: int | None = None
    team_id: int | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    milestones: dict[int, PriorMilestone] = field(default_factory=dict)


@dataclass
class Context:
    crm: str
    now: datetime
    default_heat: str
    person_for_owner: Callable[[str, str], int | None]
    team_of: Callable[[int], int | None]
    policy_for: Callable[[str, int | None], dict | None]
    calendar_for: Callable[[dict | None], BusinessCalendar]
    prior: dict[datetime, PriorHandoff] = field(default_factory=dict)
    # Every definition ever activated, sorted by effective_from (heat_rules.Definition);
    # empty: heat comes from the CRM or default_heat.
    definitions: tuple = ()


@dataclass(frozen=True)
class FieldState:
    """What the heat rules can read about the lead after the events up to `at`."""

    at: datetime
    fields: dict
    crm_heat: str | None
    properties: dict


@dataclass
class MilestonePlan:
    seq: int
    kind: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None = None
    breached_at: datetime | None = None
    acknowledged_at: datetime | None = None
    fired: dict = field(default_factory=dict)


@dataclass
class HandoffPlan:
    handed_off_at: datetime
    rep_id: int
    team_id: int | None
    heat: str
    policy_snapshots: dict
    prior_snapshots: dict = field(default_factory=dict)  # stored ones, reused when needed
    closed_at: datetime | None = None
    close_reason: str = ""
    milestones: list[MilestonePlan] = field(default_factory=list)
    first_touched_at: datetime | None = None
    speed_to_lead_seconds: float | None = None
    speed_to_lead_business_seconds: float | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    next_due_at: datetime | None = None
    definition: heat_rules.Definition | None = field(default=None, repr=False)

    @property
    def definition_version(self):
        return self.definition.version if self.definition else None

    @property
    def snapshot(self):
        return self.policy_snapshots.get(self.heat)

    @property
    def policy_id(self):
        return (self.snapshot or {}).get("policy_id")

    @property
    def first_touch_due_at(self):
        return self.milestones[0].due_at if self.milestones else None

    @property
    def breached_at(self):
        times = [m.breached_at for m in self.milestones if m.breached_at]
        return min(times) if times else None

    @property
    def status(self):
        if self.breached_at:
            return BREACHED
        if any(m.met_at for m in self.milestones):
            return MET
        return CLOSED if self.closed_at else OPEN


@dataclass
class TouchPlan:
    key: str
    kind: str
    at: datetime
    by_crm_id: str
    by_id: int | None
    handoff_start: datetime | None = None
    counted: bool = False


@dataclass
class LeadPlan:
    attrs: dict
    handoffs: list[HandoffPlan]
    touches: list[TouchPlan]
    opportunities: dict[str, dict]


def derive(facts: list[Fact], ctx: Context) -> LeadPlan:
    facts = sorted(facts, key=lambda f: (f.occurred_at, f.key))
    states = field_states(facts)
    touches, handoffs = _plans(facts, states, ctx)
    return LeadPlan(attrs=_attributes(facts, states, ctx), handoffs=handoffs, touches=touches,
                    opportunities=_opportunities(facts))


def derive_handoffs(facts: list[Fact], ctx: Context) -> list[HandoffPlan]:
    """The handoffs of `derive(facts, ctx)` alone (the what-if replay reads nothing else)."""
    facts = sorted(facts, key=lambda f: (f.occurred_at, f.key))
    return _plans(facts, field_states(facts), ctx)[1]


def _plans(facts, states, ctx) -> tuple[list[TouchPlan], list[HandoffPlan]]:
    touches = _touches(facts, ctx)
    handoffs = _handoffs(facts, states, ctx)
    for plan in handoffs:
        _plan_milestones(plan, states, touches, ctx)
    return touches, handoffs


def _lead(fact):
    return fact.data.get("lead") or {}


def merge_properties(properties: dict, changes: dict | None) -> None:
    """Apply one event's CRM properties: a value sets the property, a null removes it."""
    for name, value in (changes or {}).items():
        if value is None:
            properties.pop(name, None)
        else:
            properties[name] = value


def field_states(facts) -> list[FieldState]:
    """The rule inputs after each instant (facts sorted; the last state of an instant wins).
    A property is last seen; an older event never overwrites a newer value."""
    values, properties, crm_heat, states = {}, {}, None, []
    for fact in facts:
        lead = _lead(fact)
        values.update({n: lead[n] for n in RULE_INPUTS if lead.get(n) is not None})
        merge_properties(properties, lead.get("properties"))
        crm_heat = lead.get("heat") or crm_heat
        state = FieldState(fact.occurred_at,
                           heat_rules.lead_fields(**values, properties=properties), crm_heat,
                           dict(properties))
        if states and states[-1].at == fact.occurred_at:
            states[-1] = state
        else:
            states.append(state)
    return states


def _decide(definition, state, ctx):
    if definition is None:
        return (state.crm_heat if state else None) or ctx.default_heat
    return definition.decide(state.fields if state else {}, state.crm_heat if state else None)


def _state_at(states, instant):
    found = None
    for state in states:
        if state.at > instant:
            break
        found = state
    return found

@dataclass
class OwnerReports:
    """Which owner reports to believe, one fact at a time (the CRM's stale reports of a
    slawatch reassignment are not).

    When slawatch moves a lead from P to X (a `rerouted_by` fact), the CRM keeps saying P
    until the write-back lands (a poll or an Outbound Message of any edit in between, or
    the CRM's echo of our own SLA-field write). Those reports of P are not the CRM
    reassigning the lead back: they are ignored until the CRM reports X (the echo of our
    write, itself a no-op since X already holds the lead) or another owner (a real
    change made in the CRM after ours). `owner` is the last owner believed, `stale` the
    one being ignored."""

    owner: str | None = None
    stale: str | None = None

    def accept(self, fact) -> str | None:
        """The owner `fact` reports, or None when it reports none or a stale one."""
        lead = _lead(fact)
        new_owner = lead.get("owner")
        if fact.type not in ("lead.created", "lead.assigned") or not new_owner:
            return None
        if lead.get("rerouted_by"):
            self.stale = self.owner if self.owner != new_owner else None
        elif new_owner == self.stale:
            return None
        else:
            self.stale = None
        self.owner = new_owner
        return new_owner


def _owner_reports(facts):
    """(fact, owner) for each believed owner report, in time order (OwnerReports)."""
    reports = OwnerReports()
    for fact in facts:
        if (owner := reports.accept(fact)) is not None:
            yield fact, owner


def _attributes(facts, states, ctx):
    attrs = {"status": OPEN, "converted_at": None, "disqualified_at": None,
             "created_in_crm_at": None, "owner_crm_id": "", "owner_id": None,
             "properties": {}, "crm_heat": "",
             "last_event_at": facts[-1].occurred_at if facts else None}
    for fact in facts:
        lead = _lead(fact)
        for name in LEAD_FIELDS + ("heat",):
            if lead.get(name) is not None:
                attrs[name] = lead[name]
        if fact.type == "lead.created" and attrs["created_in_crm_at"] is None:
            attrs["created_in_crm_at"] = fact.occurred_at
        if fact.type in TERMINAL:
            status = TERMINAL[fact.type]
            attrs["status"] = status
            if attrs[f"{status}_at"] is None:
                attrs[f"{status}_at"] = fact.occurred_at
    for _, owner in _owner_reports(facts):
        attrs["owner_crm_id"] = owner
    if states:
        last = states[-1]
        attrs["properties"] = last.properties
        attrs["crm_heat"] = last.crm_heat or ""
        definition = heat_rules.definition_at(ctx.definitions, last.at)
        if definition is not None:  # the heat the definition in force gives the lead now
            attrs["heat"] = definition.decide(last.fields, last.crm_heat)
    if attrs["owner_crm_id"]:
        attrs["owner_id"] = ctx.person_for_owner(ctx.crm, attrs["owner_crm_id"])
    return attrs


def _touches(facts, ctx):
    touches: dict[str, TouchPlan] = {}
    for fact in facts:
        if fact.type != "lead.touched":
            continue
        raw = fact.data.get("touch") or {}
        key = raw.get("id") or fact.key
        if key in touches:
            continue  # the same activity reported twice (webhook and poll)
        by = raw.get("by", "")
        touches[key] = TouchPlan(
            key=key, kind=raw.get("kind", OTHER),
            at=parse_instant(raw["at"], "touch.at") if raw.get("at") else fact.occurred_at,
            by_crm_id=by, by_id=ctx.person_for_owner(ctx.crm, by) if by else None)
    return sorted(touches.values(), key=lambda t: (t.at, t.key))


def _handoffs(facts, states, ctx) -> list[HandoffPlan]:
    plans: list[HandoffPlan] = []
    owner = None
    reports = dict((fact.key, new_owner) for fact, new_owner in _owner_reports(facts))
    for fact in facts:
        current = plans[-1] if plans and plans[-1].closed_at is None else None
        if fact.type in TERMINAL:
            if current:
                current.closed_at, current.close_reason = fact.occurred_at, TERMINAL[fact.type]
            break  # a converted or disqualified lead owes no more touches
        new_owner = reports.get(fact.key)
        if not new_owner or new_owner == owner:
            continue  # not an owner report, a stale one, or the same owner (an echo)
        owner = new_owner
        if current and current.handed_off_at == fact.occurred_at:
            # Two owners at the same instant: a zero-length handoff means nothing (and a
            # lead has one handoff per start); the later event in (time, key) order wins.
            plans.pop()
        elif current:
            current.closed_at, current.close_reason = fact.occurred_at, REASSIGNED
        rep_id = ctx.person_for_owner(ctx.crm, new_owner)
        if rep_id is None:
            continue  # unmapped owner: the lead is shown as such, no clock runs
        prior = ctx.prior.get(fact.occurred_at, PriorHandoff())
        # The rep's team *at handoff*: a recorded handoff keeps it when the rep moves later.
        team_id = prior.team_id if prior.rep_id == rep_id else ctx.team_of(rep_id)
        # The definition in force when the handoff starts judges it for its whole life.
        definition = heat_rules.definition_at(ctx.definitions, fact.occurred_at)
        plans.append(HandoffPlan(
            handed_off_at=fact.occurred_at, rep_id=rep_id, team_id=team_id, definition=definition,
            heat=_decide(definition, _state_at(states, fact.occurred_at), ctx),
            policy_snapshots={},
            prior_snapshots=dict(prior.policy_snapshots),
            acknowledged_at=prior.acknowledged_at, snoozed_until=prior.snoozed_until))
    return plans


def _snapshot(plan, heat, ctx):
    """The policy of `heat` as this handoff first saw it. Only heats used by this derivation
    are kept, so the stored snapshots depend on the set of events, not their arrival order."""
    if heat not in plan.policy_snapshots:
        snapshot = plan.prior_snapshots.get(heat) or ctx.policy_for(heat, plan.team_id)
        if snapshot is None:
            return None
        plan.policy_snapshots[heat] = snapshot
    return plan.policy_snapshots[heat]


def _in_handoff(plan, instant):
    return plan.handed_off_at <= instant and (plan.closed_at is None or instant < plan.closed_at)


def _qualifies(touch, plan, snapshot):
    kinds = snapshot["touch_kinds"]
    return (not kinds or touch.kind in kinds) and (touch.by_id is None and not touch.by_crm_id
                                                   or touch.by_id == plan.rep_id)


def _plan_milestones(plan, states, touches, ctx):
    for touch in touches:
        if _in_handoff(plan, touch.at):
            touch.handoff_start = plan.handed_off_at
    snapshot = _snapshot(plan, plan.heat, ctx)
    if snapshot is None:
        return  # no policy for this heat: the handoff is tracked, no clock runs
    cal = ctx.calendar_for(snapshot["calendar"])
    start = plan.handed_off_at
    first = MilestonePlan(0, "first_touch", start, add_business_time(
        cal, start, timedelta(minutes=snapshot["first_touch_minutes"])))
    candidates = [t for t in touches if _in_handoff(plan, t.at) and t.at >= start]
    first_touch = next((t for t in candidates if _qualifies(t, plan, snapshot)), None)
    _retier(plan, first, states, first_touch, ctx)
    snapshot = plan.snapshot
    cal = ctx.calendar_for(snapshot["calendar"])
    counted = [t for t in candidates if _qualifies(t, plan, snapshot)]
    milestone = first
    plan.milestones.append(first)
    for touch in counted:
        if touch.at < milestone.started_at:
            continue
        milestone.met_at = touch.at
        touch.counted = True
        if milestone.seq >= snapshot["follow_up_touches"]:
            break
        milestone = MilestonePlan(
            milestone.seq + 1, "follow_up", touch.at,
            add_business_time(cal, touch.at, timedelta(minutes=snapshot["follow_up_window_minutes"])))
        if plan.closed_at is not None and milestone.started_at >= plan.closed_at:
            break
        plan.milestones.append(milestone)
    if first.met_at:
        plan.first_touched_at = first.met_at
        plan.speed_to_lead_seconds = (first.met_at - start).total_seconds()
        plan.speed_to_lead_business_seconds = business_time_between(
            cal, start, first.met_at).total_seconds()
    _settle(plan, cal, ctx)


def _retier(plan, first, states, first_touch, ctx):
    """A heat change while the first touch is pending (the CRM's heat, or a field a rule of
    the handoff's definition reads): the new tier's clock starts at the change and the due
    time becomes the earlier of the two (an upgrade never relaxes)."""
    for state in states:
        if state.at <= plan.handed_off_at:
            continue
        if not _in_handoff(plan, state.at):
            break
        if first_touch is not None and state.at >= first_touch.at:
            break
        heat = _decide(plan.definition, state, ctx)
        if heat == plan.heat:
            continue
        snapshot = _snapshot(plan, heat, ctx)
        if snapshot is None:
            continue
        cal = ctx.calendar_for(snapshot["calendar"])
        due = add_business_time(cal, state.at, timedelta(minutes=snapshot["first_touch_minutes"]))
        if due < first.due_at:
            first.started_at, first.due_at = state.at, due
        plan.heat = heat


def _settle(plan, cal, ctx):
    """Breaches, carried-over ladder state, and the next instant the sweep must look."""
    prior = ctx.prior.get(plan.handed_off_at, PriorHandoff())
    end = plan.closed_at or ctx.now
    for milestone in plan.milestones:
        kept = prior.milestones.get(milestone.seq, PriorMilestone())
        milestone.fired, milestone.acknowledged_at = dict(kept.fired), kept.acknowledged_at
        reached = milestone.met_at or end
        if reached > milestone.due_at:
            milestone.breached_at = milestone.due_at
    plan.next_due_at = ladder.next_due(cal, plan.snapshot["steps"], plan.milestones,
                                       plan.snoozed_until, closed=plan.closed_at is not None)


def _opportunities(facts):
    opportunities = {}
    for fact in facts:
        opp = fact.data.get("opportunity")
        if fact.type == "lead.converted" and opp:
            merged = opportunities.setdefault(opp["external_id"], {"opened_at": fact.occurred_at})
            merged.update(opp)
    return opportunities
