"""Writes to leads and their SLA clock. Views, tasks and admin actions call these."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from slawatch.leads import derive as d
from slawatch.leads.events import DomainEvent
from slawatch.leads.signals import handoff_sla_changed
from slawatch.leads.models import (
    Handoff,
    Lead,
    LeadEvent,
    Milestone,
    Opportunity,
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


def apply_events(events: Iterable[DomainEvent]) -> list[Lead]:
    """Store domain events and bring each touched lead's state up to date.

    Idempotent (events are keyed) and order-tolerant (state is derived from the set).
    """
    by_lead: dict[tuple[str, str], list[DomainEvent]] = defaultdict(list)
    for event in events:
        by_lead[(event.crm, event.external_id)].append(event)
    leads = []
    for (crm, external_id), group in by_lead.items():
        with transaction.atomic():
            lead = _locked_lead(crm, external_id)
            LeadEvent.objects.bulk_create(
                [LeadEvent(lead=lead, key=e.key, type=e.type, occurred_at=e.occurred_at,
                           data=e.data()) for e in group],
                ignore_conflicts=True)
            reconcile_lead(lead)
        leads.append(lead)
    return leads


def _locked_lead(crm, external_id):
    lead, _ = Lead.objects.get_or_create(crm=crm, external_id=external_id)
    # PostgreSQL: serialize concurrent appliers of one lead. SQLite runs IMMEDIATE
    # transactions (settings), which already serialize every writer.
    return Lead.objects.select_for_update().get(pk=lead.pk)


def _prior_state(handoffs):
    prior = {}
    for handoff in handoffs:
        prior[handoff.handed_off_at] = d.PriorHandoff(
            policy_snapshots=handoff.policy_snapshots, rep_id=handoff.rep_id,
            team_id=handoff.team_id,
            acknowledged_at=handoff.acknowledged_at, snoozed_until=handoff.snoozed_until,
            milestones={m.seq: d.PriorMilestone(m.fired, m.acknowledged_at)
                        for m in handoff.milestones.all()})
    return prior


def _owner_lookup():
    cache = {}

    def person_for_owner(crm, owner_id):
        # Inactive people still map: deactivating a rep who left must not re-derive their
        # handoffs and touches away (routing new work to active people is escalation's job).
        if (crm, owner_id) not in cache:
            cache[(crm, owner_id)] = CrmIdentity.objects.filter(
                crm=crm, owner_id=owner_id).values_list("person_id", flat=True).first()
        return cache[(crm, owner_id)]
    return person_for_owner


def reconcile_lead(lead: Lead, now: datetime | None = None) -> d.LeadPlan:
    """Recompute a lead's handoffs, milestones and touches from its events. Call inside a
    transaction holding the lead (apply_events does)."""
    facts = [d.Fact(e.key, e.type, e.occurred_at, e.data) for e in lead.events.all()]
    # Loaded once: the prior ladder state comes from these rows, and they are the rows
    # that are then updated in place.
    handoffs = list(lead.handoffs.prefetch_related("milestones"))
    ctx = d.Context(
        crm=lead.crm, now=now or timezone.now(), default_heat=settings.SLAWATCH_DEFAULT_HEAT,
        person_for_owner=_owner_lookup(),
        team_of=lambda person_id: Person.objects.filter(pk=person_id).values_list(
            "team_id", flat=True).first(),
        policy_for=current_policy_snapshot, calendar_for=calendar_for,
        prior=_prior_state(handoffs))
    plan = d.derive(facts, ctx)
    _write(lead, plan, handoffs)
    return plan


def _write(lead, plan: d.LeadPlan, handoffs: list[Handoff]):
    changed = [name for name, value in plan.attrs.items() if getattr(lead, name) != value]
    for name in changed:
        setattr(lead, name, plan.attrs[name])
    if changed:
        lead.save(update_fields=changed + ["updated_at"])
    existing = {h.handed_off_at: h for h in handoffs}
    handoff_ids = {}
    for hp in plan.handoffs:
        handoff = existing.pop(hp.handed_off_at, None) or Handoff(lead=lead,
                                                                  handed_off_at=hp.handed_off_at)
        _write_handoff(handoff, hp)
        handoff_ids[hp.handed_off_at] = handoff
    for stale in existing.values():  # an owner change merged away by a late event
        stale.delete()
    _write_touches(lead, plan.touches, handoff_ids)
    for external_id, opp in plan.opportunities.items():
        Opportunity.objects.update_or_create(
            lead=lead, external_id=external_id,
            defaults={"amount": opp.get("amount"), "currency": opp.get("currency", ""),
                      "status": opp.get("status", "open"), "opened_at": opp["opened_at"],
                      "closed_at": opp.get("closed_at")})


HANDOFF_FIELDS = ("rep_id", "team_id", "heat", "policy_id", "policy_snapshots",
                  "first_touch_due_at", "first_touched_at", "speed_to_lead_seconds",
                  "speed_to_lead_business_seconds", "status", "breached_at", "closed_at",
                  "close_reason", "next_due_at")
SLA_FIELDS = ("first_touch_due_at", "status")  # what the CRM record shows (slawatch.crmsync)
MILESTONE_FIELDS = ("kind", "started_at", "due_at", "met_at", "breached_at")


def _write_handoff(handoff: Handoff, hp: d.HandoffPlan):
    before = {name: getattr(handoff, name) for name in HANDOFF_FIELDS}
    for name in HANDOFF_FIELDS:
        setattr(handoff, name, getattr(hp, name))
    created = handoff.pk is None
    if created or any(before[name] != getattr(handoff, name) for name in HANDOFF_FIELDS):
        handoff.save()
    if created or any(before[name] != getattr(handoff, name) for name in SLA_FIELDS):
        handoff_sla_changed.send(sender=Handoff, handoff_ids=[handoff.pk])
    existing = {} if created else {m.seq: m for m in handoff.milestones.all()}  # prefetched
    for mp in hp.milestones:
        milestone = existing.pop(mp.seq, None) or Milestone(handoff=handoff, seq=mp.seq)
        if milestone.pk is None or any(getattr(milestone, f) != getattr(mp, f)
                                       for f in MILESTONE_FIELDS):
            for name in MILESTONE_FIELDS:
                setattr(milestone, name, getattr(mp, name))
            milestone.save()
    if existing:
        Milestone.objects.filter(pk__in=[m.pk for m in existing.values()]).delete()


def _write_touches(lead, touches, handoffs):
    existing = {t.key: t for t in lead.touches.all()}
    for tp in touches:
        touch = existing.get(tp.key) or Touch(lead=lead, key=tp.key)
        handoff = handoffs.get(tp.handoff_start)
        values = {"kind": tp.kind, "at": tp.at, "by_crm_id": tp.by_crm_id, "by_id": tp.by_id,
                  "handoff_id": handoff.pk if handoff else None, "counted": tp.counted}
        if touch.pk is None or any(getattr(touch, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(touch, name, value)
            touch.save()


def reconcile_leads_of_owner(crm: str, owner_id: str) -> int:
    """After a person gains a CRM id, leads waiting on that unmapped owner get their clock."""
    count = 0
    for lead_id in Lead.objects.filter(crm=crm, owner_crm_id=owner_id).values_list("pk", flat=True):
        with transaction.atomic():
            reconcile_lead(Lead.objects.select_for_update().get(pk=lead_id))
        count += 1
    return count


def handoff_acknowledge(*, handoff: Handoff, by: str, at: datetime | None = None) -> bool:
    """Stop the ladder for the handoff's pending milestones; the breach stays on record.

    Returns False when nothing was pending acknowledgement (a second click changes nothing).
    """
    at = at or timezone.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=handoff.lead_id)
        updated = handoff.milestones.filter(
            met_at__isnull=True, acknowledged_at__isnull=True).update(acknowledged_at=at)
        if not updated:
            return False
        Handoff.objects.filter(pk=handoff.pk).update(acknowledged_at=at,
                                                     acknowledged_by=by[:200])
        reconcile_lead(lead)
    handoff.refresh_from_db()
    return True


def handoff_snooze(*, handoff: Handoff, until: datetime, by: str) -> None:
    """Hold the ladder's messages until `until` (breaches are still recorded on time)."""
    with transaction.atomic():
        Handoff.objects.filter(pk=handoff.pk).update(snoozed_until=until)
        reconcile_lead(Lead.objects.select_for_update().get(pk=handoff.lead_id))
    handoff.refresh_from_db()
