"""Writes to leads and their SLA clock. Views, tasks and admin actions call these."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from slawatch import bulksql
from slawatch.leads import derive, incremental
from slawatch.leads.events import DomainEvent
from slawatch.leads.signals import handoff_sla_changed
from slawatch.leads.models import (
    Handoff,
    Lead,
    LeadEvent,
    Milestone,
    Opportunity,
    OpportunityStatus,
    SlaPolicy,
    Touch,
)
from slawatch.people.models import CrmIdentity, Person, calendar_spec_to_clock


@lru_cache(maxsize=256)
def _calendar_from_json(spec_json: str):
    return calendar_spec_to_clock(json.loads(spec_json))


def calendar_for(spec):
    """A snapshot's calendar as a clock calendar; cached (building public holidays is not free)."""
    return _calendar_from_json(json.dumps(spec, sort_keys=True))


def current_policy_snapshot(heat: str, team_id: int | None):
    """The policy a new handoff of this heat gets: the team's own, else the default."""
    policies = SlaPolicy.objects.select_related("calendar").filter(heat=heat)
    policy = (policies.filter(team_id=team_id).first() if team_id else None) or \
        policies.filter(team__isnull=True).first()
    return policy.snapshot() if policy else None


def apply_events(events: Iterable[DomainEvent], now: datetime | None = None) -> list[Lead]:
    """Store domain events and bring each touched lead's state up to date, in one
    transaction for the whole batch (the inbox claims deliveries in batches).

    Idempotent (events are keyed) and order-tolerant (state is a function of the set).
    A lead whose new events all come after what it already applied continues from its
    stored state (leads/incremental.py); any other is derived again from its whole set
    (leads/derive.py). Leads, events, handoffs, milestones and touches are read and
    written a batch at a time, so the number of queries does not grow with the batch.
    """
    by_lead: dict[tuple[str, str], dict[str, DomainEvent]] = defaultdict(dict)
    for event in events:
        by_lead[(event.crm, event.external_id)].setdefault(event.key, event)
    if not by_lead:
        return []
    with transaction.atomic():
        leads, created = _locked_leads(sorted(by_lead))
        fresh = _store_events(leads, by_lead)
        _bring_up_to_date([leads[key] for key in sorted(by_lead) if leads[key].pk in fresh],
                          fresh, now or timezone.now(), created)
    return [leads[key] for key in by_lead]


def _locked_leads(keys):
    """The leads for (crm, external id) keys, created when new, locked in primary-key
    order; and the ids of those this call created. PostgreSQL: one lead's events are applied by one transaction at a time.
    SQLite runs IMMEDIATE transactions (settings), which already serialize every writer."""
    def found():
        rows = Lead.objects.filter(external_id__in={e for _, e in keys},
                                   crm__in={c for c, _ in keys}).values_list("crm", "external_id", "pk")
        return {(crm, external_id): pk for crm, external_id, pk in rows}
    pks, created = found(), set()
    missing = [key for key in keys if key not in pks]
    if missing:  # in key order, so two workers creating the same leads cannot deadlock
        created = set(bulksql.insert_new(
            Lead, [Lead(crm=crm, external_id=external_id) for crm, external_id in missing],
            conflict=("crm", "external_id"), returning="id"))
        pks = found()
    locked = Lead.objects.select_for_update().filter(
        pk__in=[pks[key] for key in keys]).order_by("pk")
    return {(lead.crm, lead.external_id): lead for lead in locked}, created


def _store_events(leads, by_lead) -> dict[int, list[derive.Fact]]:
    """Insert the events; returns, per lead, the facts that were new (a resent event is
    already part of its lead's state)."""
    rows = [LeadEvent(lead=leads[key], key=e.key, type=e.type, occurred_at=e.occurred_at,
                      data=e.data()) for key, group in by_lead.items() for e in group.values()]
    new_keys = set(bulksql.insert_new(LeadEvent, rows, conflict=("key",), returning="key"))
    fresh: dict[int, list[derive.Fact]] = defaultdict(list)
    for row in rows:
        if row.key in new_keys:
            fresh[row.lead_id].append(derive.Fact(row.key, row.type, row.occurred_at, row.data))
    return fresh


def _no_definitions() -> tuple:
    return ()


_definitions_provider = _no_definitions


def use_definitions(provider) -> None:
    """Install the loader of the lead definitions ever activated (a callable returning
    heat_rules.Definition objects sorted by effective_from). The definitions app does this
    when it loads: it builds on leads, so leads never imports it."""
    global _definitions_provider
    _definitions_provider = provider


class _Lookups:
    """What derivations ask the database, cached for one batch."""

    def __init__(self):
        self.owners, self.teams, self.policies = {}, {}, {}
        self._definitions = None

    def person_for_owner(self, crm, owner_id):
        # Inactive people still map: deactivating a rep who left must not re-derive their
        # handoffs and touches away (routing new work to active people is escalation's job).
        if (crm, owner_id) not in self.owners:
            self.owners[(crm, owner_id)] = CrmIdentity.objects.filter(
                crm=crm, owner_id=owner_id).values_list("person_id", flat=True).first()
        return self.owners[(crm, owner_id)]

    def team_of(self, person_id):
        if person_id not in self.teams:
            self.teams[person_id] = Person.objects.filter(pk=person_id).values_list(
                "team_id", flat=True).first()
        return self.teams[person_id]

    def policy_for(self, heat, team_id):
        if (heat, team_id) not in self.policies:
            self.policies[(heat, team_id)] = current_policy_snapshot(heat, team_id)
        return self.policies[(heat, team_id)]

    @property
    def definitions(self) -> tuple:
        """The lead definitions ever activated, read once per batch."""
        if self._definitions is None:
            self._definitions = tuple(_definitions_provider())
        return self._definitions

    def context(self, lead, now, prior=None) -> derive.Context:
        return derive.Context(crm=lead.crm, now=now, default_heat=settings.SLAWATCH_DEFAULT_HEAT,
                              person_for_owner=self.person_for_owner, team_of=self.team_of,
                              policy_for=self.policy_for, calendar_for=calendar_for,
                              prior=prior or {}, definitions=self.definitions)


def _bring_up_to_date(leads, fresh, now, created=frozenset()):
    lookups, outcomes, again = _Lookups(), [], []
    tails, rows = _load_tails([lead for lead in leads if lead.derivation is not None], fresh)
    for lead in leads:
        tail = tails.get(lead.pk)
        step = incremental.advance(tail, fresh[lead.pk], lookups.context(lead, now)) \
            if tail is not None else None
        if step is None:
            again.append(lead)
        else:
            outcomes.append(_Outcome(lead, step.attrs, step.carry, step.handoffs, step.touches,
                                     step.opportunities, handoff_rows=rows.get(lead.pk, [])))
    outcomes += _derive_all(again, lookups, now, {pk: fresh[pk] for pk in created})
    _write(outcomes, now)


def _load_tails(leads, fresh):
    """What the incremental path needs of each lead: its open handoff with milestones,
    which of the new touches it already has, the opportunities the new events name.
    Returns (lead id -> Tail, lead id -> [the open handoff's row])."""
    if not leads:
        return {}, {}
    ids = [lead.pk for lead in leads]
    starts = {lead.pk: lead.derivation.get("open") for lead in leads}
    current = {}
    wanted = {datetime.fromisoformat(s) for s in starts.values() if s}
    if wanted:
        for row in Handoff.objects.filter(lead_id__in=ids, handed_off_at__in=wanted,
                                          closed_at__isnull=True).prefetch_related("milestones"):
            if starts[row.lead_id] and row.handed_off_at == datetime.fromisoformat(starts[row.lead_id]):
                current[row.lead_id] = row
    touch_keys, opportunity_ids = set(), set()
    for facts in (fresh[pk] for pk in ids):
        for fact in facts:
            if fact.type == "lead.touched":
                touch_keys.add((fact.data.get("touch") or {}).get("id") or fact.key)
            if fact.type == "lead.converted" and fact.data.get("opportunity"):
                opportunity_ids.add(fact.data["opportunity"]["external_id"])
    known = defaultdict(set)
    if touch_keys:
        for lead_id, key in Touch.objects.filter(lead_id__in=ids, key__in=touch_keys).values_list(
                "lead_id", "key"):
            known[lead_id].add(key)
    opportunities = defaultdict(dict)
    if opportunity_ids:
        for opp in Opportunity.objects.filter(lead_id__in=ids, external_id__in=opportunity_ids):
            opportunities[opp.lead_id][opp.external_id] = _merged_opportunity(opp)
    tails, rows = {}, {}
    for lead in leads:
        row = current.get(lead.pk)
        if starts[lead.pk] and row is None:
            continue  # the carry names a handoff that is gone: derive again
        tails[lead.pk] = incremental.Tail(
            attrs={name: getattr(lead, name) for name in LEAD_ATTRS}, carry=lead.derivation,
            current=_plan_of(row) if row else None, known_touches=frozenset(known[lead.pk]),
            opportunities=opportunities[lead.pk])
        rows[lead.pk] = [row] if row else []
    return tails, rows


LEAD_ATTRS = derive.LEAD_FIELDS + ("heat", "status", "converted_at", "disqualified_at",
                                   "created_in_crm_at", "owner_crm_id", "last_event_at",
                                   "properties", "crm_heat")


def _merged_opportunity(opp) -> dict:
    merged = {"external_id": opp.external_id, "opened_at": opp.opened_at, "status": opp.status}
    if opp.amount is not None:
        merged["amount"] = str(opp.amount)
    if opp.currency:
        merged["currency"] = opp.currency
    if opp.closed_at is not None:
        merged["closed_at"] = opp.closed_at
    return merged


def _plan_of(row: Handoff) -> derive.HandoffPlan:
    """A stored handoff as the derivation's plan, ladder state included."""
    return derive.HandoffPlan(
        handed_off_at=row.handed_off_at, rep_id=row.rep_id, team_id=row.team_id, heat=row.heat,
        policy_snapshots=dict(row.policy_snapshots), prior_snapshots=dict(row.policy_snapshots),
        closed_at=row.closed_at, close_reason=row.close_reason,
        milestones=[derive.MilestonePlan(m.seq, m.kind, m.started_at, m.due_at, m.met_at,
                                         m.breached_at, m.acknowledged_at, dict(m.fired))
                    for m in sorted(row.milestones.all(), key=lambda m: m.seq)],
        first_touched_at=row.first_touched_at, speed_to_lead_seconds=row.speed_to_lead_seconds,
        speed_to_lead_business_seconds=row.speed_to_lead_business_seconds,
        acknowledged_at=row.acknowledged_at, snoozed_until=row.snoozed_until,
        next_due_at=row.next_due_at)


def _prior_state(handoffs):
    prior = {}
    for handoff in handoffs:
        prior[handoff.handed_off_at] = derive.PriorHandoff(
            policy_snapshots=handoff.policy_snapshots, rep_id=handoff.rep_id,
            team_id=handoff.team_id,
            acknowledged_at=handoff.acknowledged_at, snoozed_until=handoff.snoozed_until,
            milestones={m.seq: derive.PriorMilestone(m.fired, m.acknowledged_at)
                        for m in handoff.milestones.all()})
    return prior


@dataclass
class _Outcome:
    """One lead's new state, and the stored rows it replaces."""

    lead: Lead
    attrs: dict
    carry: dict
    handoffs: list  # plans to write
    touches: list  # touch plans to write
    opportunities: dict
    handoff_rows: list  # stored handoffs the plans are matched with
    touch_rows: list = field(default_factory=list)
    complete: bool = False  # the plans are the lead's whole state: other rows are stale
    plan: derive.LeadPlan | None = None


def _derive_all(leads, lookups, now, new_leads=None) -> list[_Outcome]:
    """The reference path: derive each lead from all its events (derive.derive).
    `new_leads` maps leads created by this transaction to their events: nothing else is
    stored for them, so there is nothing to read."""
    if not leads:
        return []
    facts, handoffs, touches = defaultdict(list), defaultdict(list), defaultdict(list)
    new = {lead.pk for lead in leads if lead.pk in (new_leads or {})}
    for pk in new:
        facts[pk] = list(new_leads[pk])
    ids = [lead.pk for lead in leads if lead.pk not in new]
    if ids:
        for lead_id, key, type_, occurred_at, data in LeadEvent.objects.filter(
                lead_id__in=ids).values_list("lead_id", "key", "type", "occurred_at", "data"):
            facts[lead_id].append(derive.Fact(key, type_, occurred_at, data))
        for handoff in Handoff.objects.filter(lead_id__in=ids).prefetch_related("milestones"):
            handoffs[handoff.lead_id].append(handoff)
        for touch in Touch.objects.filter(lead_id__in=ids):
            touches[touch.lead_id].append(touch)
    outcomes = []
    for lead in leads:
        ctx = lookups.context(lead, now, _prior_state(handoffs[lead.pk]))
        plan = derive.derive(facts[lead.pk], ctx)
        outcomes.append(_Outcome(
            lead, plan.attrs, incremental.carry_of(facts[lead.pk], plan, ctx), plan.handoffs,
            plan.touches, plan.opportunities, handoffs[lead.pk], touches[lead.pk],
            complete=True, plan=plan))
    return outcomes


def reconcile_lead(lead: Lead, now: datetime | None = None) -> derive.LeadPlan:
    """Recompute a lead's handoffs, milestones and touches from all its events. Call inside
    a transaction holding the lead (select_for_update)."""
    outcome, = _derive_all([lead], _Lookups(), now or timezone.now())
    _write([outcome], now or timezone.now())
    return outcome.plan


HANDOFF_FIELDS = ("rep_id", "team_id", "heat", "policy_id", "policy_snapshots",
                  "first_touch_due_at", "first_touched_at", "speed_to_lead_seconds",
                  "speed_to_lead_business_seconds", "status", "breached_at", "closed_at",
                  "close_reason", "next_due_at", "definition_version")
SLA_FIELDS = ("first_touch_due_at", "status")  # what the CRM record shows (slawatch.crmsync)
MILESTONE_FIELDS = ("kind", "started_at", "due_at", "met_at", "breached_at")
TOUCH_FIELDS = ("kind", "at", "by_crm_id", "by_id", "handoff_id", "counted")


def _write(outcomes: list[_Outcome], now):
    """Every outcome's rows, set-based: one statement per table and kind of change."""
    _write_leads(outcomes, now)
    by_start = _write_handoffs(outcomes, now)
    _write_touches(outcomes, by_start)
    for outcome in outcomes:
        for external_id, opp in outcome.opportunities.items():
            Opportunity.objects.update_or_create(
                lead=outcome.lead, external_id=external_id,
                defaults={"amount": opp.get("amount"), "currency": opp.get("currency", ""),
                          "status": opp.get("status", OpportunityStatus.OPEN),
                          "opened_at": opp["opened_at"], "closed_at": opp.get("closed_at")})


def _write_leads(outcomes, now):
    groups = defaultdict(dict)
    for outcome in outcomes:
        lead = outcome.lead
        changed = [name for name, value in outcome.attrs.items() if getattr(lead, name) != value]
        for name in changed:
            setattr(lead, name, outcome.attrs[name])
        if lead.derivation != outcome.carry:
            lead.derivation = outcome.carry
            changed.append("derivation")
        if changed:
            lead.updated_at = now
            fields = tuple(sorted(changed)) + ("updated_at",)
            groups[fields][lead.pk] = tuple(getattr(lead, name) for name in fields)
    for fields, rows in groups.items():
        bulksql.update_rows(Lead, list(fields), rows)


def _write_handoffs(outcomes, now) -> dict:
    """Handoffs and their milestones; returns (lead id, start) -> stored handoff."""
    created, changed, stale, by_start, pending = [], defaultdict(list), [], {}, []
    for outcome in outcomes:
        existing = {h.handed_off_at: h for h in outcome.handoff_rows}
        for handoff_plan in outcome.handoffs:
            handoff = existing.pop(handoff_plan.handed_off_at, None) or Handoff(
                lead=outcome.lead, handed_off_at=handoff_plan.handed_off_at)
            fields = tuple(name for name in HANDOFF_FIELDS
                           if getattr(handoff, name) != getattr(handoff_plan, name))
            for name in fields:
                setattr(handoff, name, getattr(handoff_plan, name))
            if handoff.pk is None:
                created.append(handoff)
            elif fields:
                handoff.updated_at = now
                changed[fields + ("updated_at",)].append(handoff)  # only what changed
            by_start[(outcome.lead.pk, handoff_plan.handed_off_at)] = handoff
            pending.append((handoff, handoff_plan))
        if outcome.complete:
            stale += existing.values()  # an owner change merged away by a late event
    if stale:
        Handoff.objects.filter(pk__in=[h.pk for h in stale]).delete()
    if created:
        bulk_create_with_history(created, Handoff)
    for fields, handoffs in changed.items():
        bulksql.update_rows(Handoff, list(fields),
                            {h.pk: tuple(getattr(h, n) for n in fields) for h in handoffs})
    if changed:
        Handoff.history.bulk_history_create([h for group in changed.values() for h in group],
                                            update=True)
    _write_milestones(pending, set(map(id, created)))
    sla_changed = [h.pk for h in created] + [
        h.pk for fields, group in changed.items() if set(fields) & set(SLA_FIELDS) for h in group]
    if sla_changed:  # what the CRM record shows moved (slawatch.crmsync writes it back)
        handoff_sla_changed.send(sender=Handoff, handoff_ids=sla_changed)
    return by_start


def _write_milestones(pending, created_ids):
    new, changed, stale = [], {}, []
    for handoff, handoff_plan in pending:
        existing = {} if id(handoff) in created_ids else \
            {m.seq: m for m in handoff.milestones.all()}  # prefetched
        for milestone_plan in handoff_plan.milestones:
            milestone = existing.pop(milestone_plan.seq, None)
            values = tuple(getattr(milestone_plan, name) for name in MILESTONE_FIELDS)
            if milestone is None:
                new.append(Milestone(handoff=handoff, seq=milestone_plan.seq,
                                     **dict(zip(MILESTONE_FIELDS, values, strict=True))))
            elif tuple(getattr(milestone, name) for name in MILESTONE_FIELDS) != values:
                changed[milestone.pk] = values
        stale += [m.pk for m in existing.values()]
    if stale:
        Milestone.objects.filter(pk__in=stale).delete()
    if new:
        Milestone.objects.bulk_create(new)
    bulksql.update_rows(Milestone, list(MILESTONE_FIELDS), changed)


def _write_touches(outcomes, by_start):
    new, changed = [], {}
    for outcome in outcomes:
        existing = {t.key: t for t in outcome.touch_rows}
        for touch_plan in outcome.touches:
            handoff = by_start.get((outcome.lead.pk, touch_plan.handoff_start))
            values = (touch_plan.kind, touch_plan.at, touch_plan.by_crm_id, touch_plan.by_id,
                      handoff.pk if handoff else None, touch_plan.counted)
            touch = existing.get(touch_plan.key)
            if touch is None:
                new.append(Touch(lead=outcome.lead, key=touch_plan.key,
                                 **dict(zip(TOUCH_FIELDS, values, strict=True))))
            elif tuple(getattr(touch, name) for name in TOUCH_FIELDS) != values:
                changed[touch.pk] = values
    if new:
        Touch.objects.bulk_create(new)
    bulksql.update_rows(Touch, list(TOUCH_FIELDS), changed)


def reconcile_leads_of_owner(crm: str, owner_id: str) -> int:
    """After a person gains a CRM id, leads waiting on that unmapped owner get their clock."""
    count = 0
    for lead_id in Lead.objects.filter(crm=crm, owner_crm_id=owner_id).values_list("pk", flat=True):
        with transaction.atomic():
            reconcile_lead(Lead.objects.select_for_update().get(pk=lead_id))
        count += 1
    return count


class HandoffGone(Exception):
    """The handoff was deleted while it was being acted on: with its lead, or by the
    re-derivation of the lead's events (which no longer give that handoff)."""

    def __init__(self, handoff_id: int):
        super().__init__(f"handoff {handoff_id} no longer exists: it was removed while it "
                         "was being acted on")
        self.handoff_id = handoff_id


def handoff_acknowledge(*, handoff: Handoff, by: str, at: datetime | None = None) -> bool:
    """Stop the ladder for the handoff's pending milestones; the breach stays on record.

    Returns False when nothing was pending acknowledgement (a second click changes nothing).
    Raises HandoffGone when the handoff disappears under the request.
    """
    at = at or timezone.now()
    with transaction.atomic():
        # Deletions take the lead's lock too: once we hold it, the handoff stays or is gone.
        lead = Lead.objects.select_for_update().filter(pk=handoff.lead_id).first()
        if lead is None or not Handoff.objects.filter(pk=handoff.pk).exists():
            raise HandoffGone(handoff.pk)
        updated = handoff.milestones.filter(
            met_at__isnull=True, acknowledged_at__isnull=True).update(acknowledged_at=at)
        if not updated:
            return False
        Handoff.objects.filter(pk=handoff.pk).update(acknowledged_at=at,
                                                     acknowledged_by=by[:200])
        reconcile_lead(lead)
    try:
        handoff.refresh_from_db()
    except Handoff.DoesNotExist:
        raise HandoffGone(handoff.pk) from None
    return True


def handoff_snooze(*, handoff: Handoff, until: datetime, by: str) -> None:
    """Hold the ladder's messages until `until` (breaches are still recorded on time)."""
    with transaction.atomic():
        Handoff.objects.filter(pk=handoff.pk).update(snoozed_until=until)
        reconcile_lead(Lead.objects.select_for_update().get(pk=handoff.lead_id))
    handoff.refresh_from_db()
