"""Applying new events to a lead's stored state, without re-reading its history.

`derive.derive` is the reference: a lead's state is a function of the *set* of its
events. When new events all come after everything already applied, that function can
be continued instead of recomputed: the lead's attributes are folded on, the open
handoff (the only one a later event can change) takes the new assignment, heat change
or touch, and its milestones and timer are settled again. The cost follows the new
events, not the lead's history.

`advance` returns None whenever the new events cannot be folded on exactly: an event
at or before the last applied instant (a backfill, a CRM retry), and the few orderings
whose effect depends on events already applied (a heat change re-tiering a handoff
whose touches were already judged under the old tier). The caller then re-derives from
the whole set. Both paths give the same state; tests/leads/test_incremental.py checks
that on random histories.

What the fold carries between calls (`Lead.derivation`, a small JSON object):
`through` (the newest instant applied: event times and touch times), `stale` (an owner
the CRM may still report after slawatch reassigned the lead, ignored as derive's
OwnerReports does), and for the open
handoff `open` (its start), `h0` (its heat at handoff, whose policy picks the first
touch), `ft` (that first touch's time) and `cand` (whether any touch fell inside it).
What the heat rules read (the lead's fields, its CRM properties and the CRM's own heat)
is folded on from the lead's stored attributes (`properties`, `crm_heat`), and heat is
decided by the lead definition in force exactly as `derive` decides it. No Django here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from slawatch.clock import add_business_time
from slawatch.leads import derive, heat_rules, ladder
from slawatch.leads.events import OPEN, OTHER, REASSIGNED, parse_instant



@dataclass
class Tail:
    """The stored state `advance` continues from."""

    attrs: dict  # the lead's derived attributes (derive._attributes' keys)
    carry: dict  # Lead.derivation
    current: derive.HandoffPlan | None = None  # the open handoff, ladder state included
    known_touches: frozenset = frozenset()  # stored touch keys among the new events'
    opportunities: dict = field(default_factory=dict)  # stored merges, by external id


@dataclass
class Advance:
    attrs: dict
    carry: dict
    handoffs: list[derive.HandoffPlan]  # the ones created or changed, to be written
    touches: list[derive.TouchPlan]  # new ones
    opportunities: dict[str, dict]  # merged anew


def _instant(value):
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _iso(value):
    return value.isoformat() if value is not None else None


def touch_at(fact: derive.Fact) -> datetime | None:
    if fact.type != "lead.touched":
        return None
    raw = fact.data.get("touch") or {}
    return parse_instant(raw["at"], "touch.at") if raw.get("at") else fact.occurred_at


def newest_instant(facts) -> datetime | None:
    instants = [f.occurred_at for f in facts] + [t for f in facts if (t := touch_at(f))]
    return max(instants, default=None)


def in_order(carry: dict | None, facts: list[derive.Fact]) -> bool:
    """Whether every new event (and touch time) comes strictly after what was applied,
    and after each other: then folding them on equals deriving from the whole set."""
    if carry is None:
        return False
    through = _instant(carry["through"])
    for fact in sorted(facts, key=lambda f: (f.occurred_at, f.key)):
        instants = [fact.occurred_at] + ([touch_at(fact)] if fact.type == "lead.touched" else [])
        if through is not None and min(instants) <= through:
            return False
        through = max(instants)
    return True


def fold_attributes(attrs: dict, fact: derive.Fact) -> None:
    """derive._attributes and derive.field_states, one event further (the owner and the
    heat a definition decides are set by the caller, which knows what to believe)."""
    lead = derive._lead(fact)
    for name in derive.LEAD_FIELDS + ("heat",):
        if lead.get(name) is not None:
            attrs[name] = lead[name]
    properties = dict(attrs.get("properties") or {})
    derive.merge_properties(properties, lead.get("properties"))
    attrs["properties"] = properties
    attrs["crm_heat"] = lead.get("heat") or attrs.get("crm_heat") or ""
    if fact.type == "lead.created" and attrs.get("created_in_crm_at") is None:
        attrs["created_in_crm_at"] = fact.occurred_at
    if fact.type in derive.TERMINAL:
        status = derive.TERMINAL[fact.type]
        attrs["status"] = status
        if attrs.get(f"{status}_at") is None:
            attrs[f"{status}_at"] = fact.occurred_at
    attrs["last_event_at"] = fact.occurred_at


def field_state(attrs: dict, at: datetime) -> derive.FieldState:
    """What the heat rules read after the events folded into `attrs` (derive.field_states)."""
    values = {name: attrs.get(name) for name in derive.RULE_INPUTS}
    return derive.FieldState(at, heat_rules.lead_fields(**values, properties=attrs["properties"]),
                             attrs["crm_heat"] or None, dict(attrs["properties"]))


class _Unfoldable(Exception):
    """This ordering needs the whole set: re-derive."""


def advance(tail: Tail, facts: list[derive.Fact], ctx: derive.Context) -> Advance | None:
    """The lead's state after `facts`, continued from `tail`; None when only a full
    derivation gives the right answer (see the module docstring)."""
    if not in_order(tail.carry, facts):
        return None
    try:
        return _Fold(tail, ctx).run(sorted(facts, key=lambda f: (f.occurred_at, f.key)))
    except _Unfoldable:
        return None


class _Fold:
    def __init__(self, tail: Tail, ctx: derive.Context):
        self.ctx = ctx
        self.attrs = dict(tail.attrs)
        self.carry = dict(tail.carry)
        self.current = _copy_plan(tail.current) if tail.current is not None else None
        self.reports = derive.OwnerReports(owner=tail.attrs.get("owner_crm_id") or None,
                                           stale=tail.carry.get("stale"))
        if self.current is not None:  # the definition that judges it for its whole life
            self.current.definition = heat_rules.definition_at(
                ctx.definitions, self.current.handed_off_at)
        self.changed: dict[datetime, derive.HandoffPlan] = {}
        self.known = set(tail.known_touches)
        self.touches: list[derive.TouchPlan] = []
        self.stored_opportunities = tail.opportunities
        self.opportunities: dict[str, dict] = {}

    def run(self, facts) -> Advance:
        for fact in facts:
            self.step(fact)
        if self.current is not None:
            self.changed[self.current.handed_off_at] = self.current
        for plan in self.changed.values():
            _settle(plan, self.ctx)
        owner = self.attrs.get("owner_crm_id")
        self.attrs["owner_id"] = self.ctx.person_for_owner(self.ctx.crm, owner) if owner else None
        self.carry["through"] = _iso(newest_instant(facts))  # in_order: newer than before
        self.carry["stale"] = self.reports.stale
        return Advance(attrs=self.attrs, carry=self.carry, handoffs=list(self.changed.values()),
                       touches=self.touches, opportunities=self.opportunities)

    def step(self, fact):
        terminal_before = self.attrs.get("status", OPEN) != OPEN
        owner_before = self.attrs.get("owner_crm_id") or None
        fold_attributes(self.attrs, fact)
        new_owner = self.reports.accept(fact)
        if new_owner:
            self.attrs["owner_crm_id"] = new_owner
        state = field_state(self.attrs, fact.occurred_at)
        in_force = heat_rules.definition_at(self.ctx.definitions, fact.occurred_at)
        if in_force is not None:  # the heat the definition in force gives the lead now
            self.attrs["heat"] = in_force.decide(state.fields, state.crm_heat)
        if fact.type in derive.TERMINAL:
            if not terminal_before:
                self.close(fact.occurred_at, derive.TERMINAL[fact.type])
            self.opportunity(fact)
            return
        if new_owner and not terminal_before and new_owner != owner_before:
            self.reassign(fact, new_owner, state)
            return
        if self.current is not None:
            heat = derive._decide(self.current.definition, state, self.ctx)
            if heat != self.current.heat:
                self.retier(fact, heat)
        if fact.type == "lead.touched":
            self.touch(fact)

    def close(self, instant, reason):
        if self.current is None:
            return
        self.current.closed_at, self.current.close_reason = instant, reason
        self.changed[self.current.handed_off_at] = self.current
        self.current = None
        self.carry.update(open=None, h0=None, ft=None, cand=False)

    def reassign(self, fact, owner, state):
        """derive._handoffs for one more owner change (strictly later, so no zero-length
        handoff to merge)."""
        self.close(fact.occurred_at, REASSIGNED)
        rep_id = self.ctx.person_for_owner(self.ctx.crm, owner)
        if rep_id is None:
            return  # unmapped owner: no clock runs
        prior = self.ctx.prior.get(fact.occurred_at, derive.PriorHandoff())
        team_id = prior.team_id if prior.rep_id == rep_id else self.ctx.team_of(rep_id)
        definition = heat_rules.definition_at(self.ctx.definitions, fact.occurred_at)
        heat = derive._decide(definition, state, self.ctx)
        plan = derive.HandoffPlan(
            handed_off_at=fact.occurred_at, rep_id=rep_id, team_id=team_id, heat=heat,
            definition=definition,
            policy_snapshots={}, prior_snapshots=dict(prior.policy_snapshots),
            acknowledged_at=prior.acknowledged_at, snoozed_until=prior.snoozed_until)
        snapshot = derive._snapshot(plan, heat, self.ctx)
        if snapshot is not None:
            cal = self.ctx.calendar_for(snapshot["calendar"])
            due = add_business_time(cal, plan.handed_off_at,
                                    timedelta(minutes=snapshot["first_touch_minutes"]))
            plan.milestones.append(derive.MilestonePlan(0, "first_touch", plan.handed_off_at, due))
        self.current = plan
        self.carry.update(open=_iso(plan.handed_off_at), h0=heat, ft=None, cand=False)

    def retier(self, fact, heat):
        """derive._retier for one more heat change."""
        plan = self.current
        if plan is None or not plan.milestones or heat == plan.heat or self.carry.get("ft"):
            return  # no clock, no change, or the first touch already froze the tier
        if fact.type == "lead.touched" or any(m.met_at for m in plan.milestones):
            raise _Unfoldable  # touches already judged under the old tier
        snapshot = derive._snapshot(plan, heat, self.ctx)
        if snapshot is None:
            return
        if self.carry.get("cand") and snapshot["touch_kinds"] != plan.snapshot["touch_kinds"]:
            raise _Unfoldable  # an earlier touch may count under the new tier
        first = plan.milestones[0]
        cal = self.ctx.calendar_for(snapshot["calendar"])
        due = add_business_time(cal, fact.occurred_at,
                                timedelta(minutes=snapshot["first_touch_minutes"]))
        if due < first.due_at:
            first.started_at, first.due_at = fact.occurred_at, due
        plan.heat = heat

    def touch(self, fact):
        """derive._touches and the milestone chain of derive._plan_milestones, one touch on."""
        raw = fact.data.get("touch") or {}
        key = raw.get("id") or fact.key
        if key in self.known:
            return  # the same activity reported twice: the first report stands
        self.known.add(key)
        by = raw.get("by", "")
        touch = derive.TouchPlan(key=key, kind=raw.get("kind", OTHER), at=touch_at(fact),
                                 by_crm_id=by,
                                 by_id=self.ctx.person_for_owner(self.ctx.crm, by) if by else None)
        self.touches.append(touch)
        plan = self.current
        if plan is None:
            return
        touch.handoff_start = plan.handed_off_at
        if not plan.milestones:
            return
        self.carry["cand"] = True
        first_snapshot = plan.policy_snapshots.get(self.carry.get("h0"))
        if first_snapshot is None:
            raise _Unfoldable  # a carry that does not match the stored handoff
        if not self.carry.get("ft") and derive._qualifies(touch, plan, first_snapshot):
            self.carry["ft"] = _iso(touch.at)
        snapshot = plan.snapshot
        last = plan.milestones[-1]
        if last.met_at is not None or not derive._qualifies(touch, plan, snapshot):
            return  # every required touch made, or this one does not count
        last.met_at, touch.counted = touch.at, True
        if last.seq < snapshot["follow_up_touches"]:
            cal = self.ctx.calendar_for(snapshot["calendar"])
            plan.milestones.append(derive.MilestonePlan(
                last.seq + 1, "follow_up", touch.at,
                add_business_time(cal, touch.at,
                                  timedelta(minutes=snapshot["follow_up_window_minutes"]))))

    def opportunity(self, fact):
        opp = fact.data.get("opportunity")
        if fact.type != "lead.converted" or not opp:
            return
        external_id = opp["external_id"]
        if external_id not in self.opportunities:
            stored = self.stored_opportunities.get(external_id)
            self.opportunities[external_id] = dict(stored) if stored else \
                {"opened_at": fact.occurred_at}
        self.opportunities[external_id].update(opp)


def _copy_plan(plan: derive.HandoffPlan) -> derive.HandoffPlan:
    return replace(plan, policy_snapshots=dict(plan.policy_snapshots),
                   milestones=[replace(m, fired=dict(m.fired)) for m in plan.milestones])


def _settle(plan: derive.HandoffPlan, ctx: derive.Context) -> None:
    """The end of derive._plan_milestones for one handoff: speed to lead, breaches and the
    timer, with the ladder state (fired steps, acknowledgements) kept on its milestones."""
    if not plan.milestones:
        plan.next_due_at = None
        return
    snapshot = plan.snapshot
    cal = ctx.calendar_for(snapshot["calendar"])
    first = plan.milestones[0]
    if first.met_at:
        plan.first_touched_at = first.met_at
        plan.speed_to_lead_seconds = (first.met_at - plan.handed_off_at).total_seconds()
        plan.speed_to_lead_business_seconds = derive.business_time_between(
            cal, plan.handed_off_at, first.met_at).total_seconds()
    end = plan.closed_at or ctx.now
    for milestone in plan.milestones:
        reached = milestone.met_at or end
        milestone.breached_at = milestone.due_at if reached > milestone.due_at else None
    plan.next_due_at = ladder.next_due(cal, snapshot["steps"], plan.milestones,
                                       plan.snoozed_until, closed=plan.closed_at is not None)


def carry_of(facts: list[derive.Fact], plan: derive.LeadPlan, ctx: derive.Context) -> dict:
    """What `advance` needs to continue from a full derivation's result."""
    facts = sorted(facts, key=lambda f: (f.occurred_at, f.key))
    reports = derive.OwnerReports()
    for fact in facts:
        reports.accept(fact)
    carry = {"through": _iso(newest_instant(facts)), "stale": reports.stale, "open": None,
             "h0": None, "ft": None, "cand": False}
    last = plan.handoffs[-1] if plan.handoffs else None
    if last is None or last.closed_at is not None:
        return carry
    inside = [t for t in plan.touches if t.handoff_start == last.handed_off_at]
    fields_at_handoff = derive._state_at(derive.field_states(facts), last.handed_off_at)
    heat_at_handoff = derive._decide(last.definition, fields_at_handoff, ctx)
    first_snapshot = last.policy_snapshots.get(heat_at_handoff)
    first = next((t for t in inside
                  if first_snapshot and derive._qualifies(t, last, first_snapshot)), None)
    carry.update(open=_iso(last.handed_off_at), h0=heat_at_handoff,
                 ft=_iso(first.at) if first else None, cand=bool(inside))
    return carry
