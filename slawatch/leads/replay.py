"""What-if: a lead's handoffs replayed under proposed SLA policies.

The replay *is* the derivation and the ladder run again with other inputs, never a
second copy of their rules:

- `Replay` turns the context the live derivation uses into one whose policy lookup
  answers with the proposal (a heat without a proposal keeps the policy each handoff
  recorded, else the current one), whose lead definition is the draft under trial if
  there is one (heat_rules decides), and whose ladder state keeps only what people
  did — acknowledgements and snoozes — so `derive` recomputes milestones, breaches and
  heat changes from the recorded events and touches. What does not depend on the lead
  (the lookups, the definitions, each distinct set of recorded snapshots merged with
  the proposal) is made once per question, not once per lead;
- `escalations` counts the ladder steps that fire for those milestones with
  `ladder.count_firings`, the sweep's own rule;
- `recorded_outcome` reads the same figures off a handoff as the database holds it,
  so "actual" is what really happened and "proposed" the replay.

A proposal equal to what was in force therefore gives the recorded outcome back
(tests/leads/test_replay.py proves it over random histories). No Django here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

from slawatch.clock import BusinessCalendar
from slawatch.leads import derive as d
from slawatch.leads import heat_rules, ladder
from slawatch.leads.events import BREACHED, MET

EVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """One handoff's result under one set of policies."""

    heat: str
    status: str  # open, met, breached or closed: the handoff statuses
    escalations: Counter = field(default_factory=Counter)  # notify -> ladder steps fired

    @property
    def met(self) -> bool:
        return self.status == MET

    @property
    def breached(self) -> bool:
        return self.status == BREACHED


class RecordedMilestone(NamedTuple):  # tuples: a replay makes one per stored milestone
    seq: int
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    acknowledged_at: datetime | None


class RecordedHandoff(NamedTuple):
    """A handoff as stored: what the live derivation and sweep made of its events."""

    handed_off_at: datetime
    rep_id: int
    team_id: int | None
    heat: str
    status: str
    policy_snapshots: Mapping
    closed_at: datetime | None = None
    acknowledged_at: datetime | None = None
    snoozed_until: datetime | None = None
    milestones: tuple[RecordedMilestone, ...] = ()


def escalations(cal: BusinessCalendar, steps: list[dict], milestones: Iterable, *,
                closed_at: datetime | None, snoozed_until: datetime | None,
                now: datetime) -> Counter:
    """Ladder steps fired per recipient kind (rep, manager, …) for a handoff's milestones.

    Each milestone's ladder runs until it is met, acknowledged or closed, or until now:
    the stops `ladder.next_due` and the sweep honour. Steps that notify nobody (a bare
    reassignment) are not escalations.
    """
    fired: Counter = Counter()
    for milestone in milestones:
        stops = [t for t in (milestone.met_at, milestone.acknowledged_at, closed_at, now) if t]
        until = min(stops)
        if until <= milestone.started_at:
            continue
        counts = ladder.count_firings(cal, milestone.started_at, milestone.due_at, steps, until,
                                      snoozed_until)
        for step, count in zip(steps, counts, strict=True):
            if count and step.get("notify"):
                fired[step["notify"]] += count
    return fired


def recorded_outcome(handoff: RecordedHandoff, *, now: datetime,
                     calendar_for: Callable[[dict | None], BusinessCalendar]) -> Outcome:
    snapshot = handoff.policy_snapshots.get(handoff.heat)
    if snapshot is None:
        return Outcome(handoff.heat, handoff.status)
    return Outcome(handoff.heat, handoff.status, escalations(
        calendar_for(snapshot["calendar"]), snapshot["steps"], handoff.milestones,
        closed_at=handoff.closed_at, snoozed_until=handoff.snoozed_until, now=now))


def planned_outcome(plan: d.HandoffPlan, *, now: datetime,
                    calendar_for: Callable[[dict | None], BusinessCalendar]) -> Outcome:
    snapshot = plan.snapshot
    if snapshot is None:
        return Outcome(plan.heat, plan.status)
    return Outcome(plan.heat, plan.status, escalations(
        calendar_for(snapshot["calendar"]), snapshot["steps"], plan.milestones,
        closed_at=plan.closed_at, snoozed_until=plan.snoozed_until, now=now))


class Replay:
    """The derivation's context for one question: `ctx` (the live derivation's lookups)
    answering with the proposed policies and, when given, a draft lead definition
    deciding the heat of every handoff.

    `proposal` maps heat -> policy snapshot (the shape of SlaPolicy.snapshot()). The
    recorded handoffs of a lead (`context`) give each handoff the policies it saw for
    the other heats, its team at handoff, and the acknowledgements and snooze people
    made; the ladder's `fired` map is left out, since the replay counts firings itself.
    """

    def __init__(self, ctx: d.Context, proposal: Mapping[str, dict],
                 definition: heat_rules.Definition | None = None):
        current = ctx.policy_for

        def policy_for(heat, team_id):
            return proposal[heat] if heat in proposal else current(heat, team_id)

        definitions = ctx.definitions
        if definition is not None:
            # In force since forever: the draft judges every handoff of the range.
            definitions = (replace(definition, effective_from=EVER),)
        self.proposal = proposal
        self.base = replace(ctx, policy_for=policy_for, prior={}, definitions=definitions)
        self._merged: dict[int, tuple[Mapping, dict]] = {}

    def context(self, recorded: Iterable[RecordedHandoff]) -> d.Context:
        """The context for one lead whose stored handoffs are `recorded`."""
        prior = {}
        for handoff in recorded:
            prior[handoff.handed_off_at] = d.PriorHandoff(
                policy_snapshots=self._with_proposal(handoff.policy_snapshots),
                rep_id=handoff.rep_id, team_id=handoff.team_id,
                acknowledged_at=handoff.acknowledged_at, snoozed_until=handoff.snoozed_until,
                milestones={m.seq: d.PriorMilestone({}, m.acknowledged_at)
                            for m in handoff.milestones})
        return replace(self.base, prior=prior)

    def _with_proposal(self, snapshots: Mapping) -> dict:
        # Thousands of handoffs share a few snapshot dicts (the caller's to share): merge
        # each once. The dict is kept in the entry so its id is never reused meanwhile.
        hit = self._merged.get(id(snapshots))
        if hit is None or hit[0] is not snapshots:
            hit = self._merged[id(snapshots)] = (snapshots, {**snapshots, **self.proposal})
        return hit[1]  # shared: derive only reads it (it copies what it keeps)


def replay_lead(facts: list[d.Fact], ctx: d.Context) -> dict[datetime, Outcome]:
    """Every handoff of one lead, derived again in `ctx` (Replay.context), by start."""
    return {hp.handed_off_at: planned_outcome(hp, now=ctx.now, calendar_for=ctx.calendar_for)
            for hp in d.derive_handoffs(facts, ctx)}
