"""Writes owned by escalation: reroute a breached lead, retry failed deliveries, Slack clicks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from slawatch.escalation.models import Escalation, EscalationStatus, SlackAction
from slawatch.escalation.recipients import team_of
from slawatch.leads.events import DomainEvent
from slawatch.leads.models import Handoff, LeadEvent
from slawatch.leads.services import apply_events, handoff_acknowledge, handoff_snooze
from slawatch.people.models import CrmIdentity, Person, Role, Team

log = logging.getLogger(__name__)
REROUTE_KEY = "slawatch:reroute:"


@dataclass(frozen=True)
class Reroute:
    to: Person | None
    reason: str


def _next_rep(team: Team, crm: str, current_rep_id: int):
    """Round robin over the team's active reps that the lead's CRM knows (by owner id)."""
    owners = dict(CrmIdentity.objects.filter(
        crm=crm, person__team=team, person__role=Role.REP, person__is_active=True,
    ).exclude(person_id=current_rep_id).values_list("person_id", "owner_id"))
    if not owners:
        return None, None
    ordered = sorted(owners)
    pointer = team.last_routed_to_id or 0
    person_id = next((pk for pk in ordered if pk > pointer), ordered[0])
    return person_id, owners[person_id]


def reroute_handoff(*, handoff: Handoff, by: str) -> Reroute:
    """Move the lead to the team's next rep by emitting a `lead.assigned` domain event.

    Ownership history is kept the usual way (LeadEvent + Handoff history); the key is
    per handoff, so rerouting the same handoff twice is a no-op. Capped per lead by
    Team.max_reroutes_per_lead. slawatch does not write the new owner back to the CRM.
    """
    key = f"{REROUTE_KEY}{handoff.pk}"
    with transaction.atomic():
        handoff = Handoff.objects.select_related("lead", "rep", "team").get(pk=handoff.pk)
        team = team_of(handoff)
        if handoff.closed_at is not None:
            return Reroute(None, "the handoff is already closed")
        if team is None:
            return Reroute(None, f"{handoff.rep} has no team to reroute within")
        team = Team.objects.select_for_update().get(pk=team.pk)  # serialize the pointer
        lead = handoff.lead
        if LeadEvent.objects.filter(key=key).exists():
            return Reroute(None, "this handoff was already rerouted")
        done = LeadEvent.objects.filter(lead=lead, key__startswith=REROUTE_KEY).count()
        if done >= team.max_reroutes_per_lead:
            return Reroute(None, f"reroute cap reached ({team.max_reroutes_per_lead} per lead)")
        person_id, owner_id = _next_rep(team, lead.crm, handoff.rep_id)
        if person_id is None:
            return Reroute(None, f"team {team.name} has no other active rep known in {lead.crm}")
        Team.objects.filter(pk=team.pk).update(last_routed_to_id=person_id)
        apply_events([DomainEvent(
            key=key, type="lead.assigned", occurred_at=timezone.now(), crm=lead.crm,
            external_id=lead.external_id, lead={"owner": owner_id, "rerouted_by": by[:100]})])
    log.info("rerouted handoff %s to person %s (%s)", handoff.pk, person_id, by)
    return Reroute(Person.objects.get(pk=person_id), "rerouted")


def escalations_retry(*, ids) -> int:
    """Admin: send failed escalations again from scratch (fresh attempt budget)."""
    now = timezone.now()
    with transaction.atomic():
        retried = list(Escalation.objects.filter(
            pk__in=list(ids), status=EscalationStatus.FAILED).values_list("pk", flat=True))
        Escalation.objects.filter(pk__in=retried).update(
            status=EscalationStatus.PENDING, attempts=0, next_attempt_at=now, sending_since=None)
        transaction.on_commit(lambda: enqueue_deliveries(retried))
    return len(retried)


def enqueue_deliveries(ids) -> None:
    """Best effort: when the broker is down, the periodic deliver_due pass finds them anyway."""
    from slawatch.escalation.tasks import deliver_escalation

    for escalation_id in ids:
        try:
            deliver_escalation.delay(escalation_id)
        except Exception:  # broker down: the outbox row is the truth, not the queue
            log.warning("could not enqueue escalation %s; deliver_due will pick it up",
                        escalation_id, exc_info=True)
            return


SLACK_ACTIONS = ("slawatch_ack", "slawatch_snooze", "slawatch_reassign")


def slack_action_apply(*, action_id: str, handoff: Handoff, slack_user_id: str,
                       snooze_minutes: int) -> str:
    """Do what a Slack button asks and record who clicked. Returns a line for the message."""
    by = f"slack:{slack_user_id}"
    who = f"<@{slack_user_id}>"
    if action_id == "slawatch_ack":
        done = handoff_acknowledge(handoff=handoff, by=by)
        outcome = f"Acknowledged by {who}" if done else f"Already acknowledged ({who} clicked)"
    elif action_id == "slawatch_snooze":
        until = timezone.now() + timedelta(minutes=snooze_minutes)
        handoff_snooze(handoff=handoff, until=until, by=by)
        outcome = f"Snoozed {snooze_minutes} min by {who}"
    else:
        result = reroute_handoff(handoff=handoff, by=by)
        outcome = (f"Reassigned to {result.to} by {who}" if result.to
                   else f"Not reassigned: {result.reason}")
    SlackAction.objects.create(
        slack_user_id=slack_user_id[:40], action_id=action_id, handoff=handoff,
        person=Person.objects.filter(slack_user_id=slack_user_id).first(), outcome=outcome[:200])
    return outcome
