"""The one way a lead changes hands inside slawatch: the SLA board, the Slack button,
the API and the sweep's reassign-on-breach all call `handoff_reassign`.

Who may ask is decided by the caller (slawatch.access); the rules of the move itself
live here, once:
- only an open handoff of a team can be reassigned, and only once (the event key is
  per handoff, so a repeated click or a second sweeper is a no-op);
- at most `Team.max_reroutes_per_lead` moves per lead, so a lead nobody touches does
  not circle the team forever;
- the new holder is an active rep of the handoff's team with an owner id in the lead's
  CRM; without `to`, the team's round robin picks one (the team row is locked while
  its pointer moves).
The move is a `lead.assigned` domain event applied like a CRM's, so the old handoff
closes as reassigned and the new rep's clock starts now.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from slawatch.leads.events import DomainEvent
from slawatch.leads.models import Handoff, LeadEvent
from slawatch.leads.services import apply_events
from slawatch.leads.signals import lead_reassigned
from slawatch.people.models import CrmIdentity, Person, Role, Team

log = logging.getLogger(__name__)
REASSIGN_KEY = "slawatch:reroute:"


class ReassignRefused(ValidationError):
    """The move breaks one of the rules above; the message says which."""


def handoff_reassign(*, handoff: Handoff, to: Person | None = None, by: str,
                     at: datetime | None = None) -> Person:
    """Move the handoff's lead to `to` (or the team's next rep). Returns the new rep."""
    at = at or timezone.now()
    with transaction.atomic():
        handoff = _open_handoff(handoff.pk)
        team = Team.objects.select_for_update().get(pk=handoff.team_now().pk)
        lead = handoff.lead
        key = f"{REASSIGN_KEY}{handoff.pk}"
        if LeadEvent.objects.filter(key=key).exists():
            raise ReassignRefused("this handoff was already reassigned")
        moves = LeadEvent.objects.filter(lead=lead, key__startswith=REASSIGN_KEY).count()
        if moves >= team.max_reroutes_per_lead:
            raise ReassignRefused(f"reassignment cap reached ({team.max_reroutes_per_lead} "
                                  "per lead)")
        owners = eligible_owners(team, lead.crm, exclude_person_id=handoff.rep_id)
        person_id = _round_robin(team, owners, lead.crm) if to is None else _chosen(handoff, team, to, owners)
        apply_events([DomainEvent(
            key=key, type="lead.assigned", occurred_at=at, crm=lead.crm,
            external_id=lead.external_id, lead={"owner": owners[person_id], "rerouted_by": by[:100]})])
        to = Person.objects.get(pk=person_id)
        # The CRM write-back (slawatch.crmsync) queues its write in this same transaction.
        lead_reassigned.send(sender=Handoff, lead=lead, handoff=handoff, to=to,
                             owner_id=owners[person_id])
    log.info("reassigned handoff %s to person %s (%s)", handoff.pk, person_id, by)
    return to


def _open_handoff(pk) -> Handoff:
    handoff = Handoff.objects.select_related("lead", "rep__team", "team").filter(pk=pk).first()
    if handoff is None:
        raise ReassignRefused("the handoff no longer exists")
    if handoff.closed_at is not None:
        raise ReassignRefused("the handoff is already closed")
    if handoff.team_now() is None:
        raise ReassignRefused(f"{handoff.rep} has no team to reassign within")
    return handoff


def eligible_owners(team: Team, crm: str, exclude_person_id: int | None = None) -> dict[int, str]:
    """person id -> owner id in `crm`, for the team's active reps (the people who may hold it)."""
    rows = CrmIdentity.objects.filter(crm=crm, person__team=team, person__role=Role.REP,
                                      person__is_active=True)
    if exclude_person_id is not None:
        rows = rows.exclude(person_id=exclude_person_id)
    return dict(rows.values_list("person_id", "owner_id"))


def _round_robin(team: Team, owners: dict[int, str], crm: str) -> int:
    if not owners:
        raise ReassignRefused(f"team {team.name} has no other active rep with a {crm} owner id "
                              "to hand this lead to")
    ordered = sorted(owners)
    pointer = team.last_routed_to_id or 0
    person_id = next((pk for pk in ordered if pk > pointer), ordered[0])
    Team.objects.filter(pk=team.pk).update(last_routed_to_id=person_id)
    return person_id


def _chosen(handoff: Handoff, team: Team, to: Person, owners: dict[int, str]) -> int:
    if to.pk == handoff.rep_id:
        raise ReassignRefused(f"{handoff.lead} is already with {to}")
    if not (to.is_active and to.role == Role.REP and to.team_id == team.pk):
        raise ReassignRefused(f"{to} is not an active rep of team {team.name}")
    if to.pk not in owners:
        raise ReassignRefused(
            f"{to} has no {handoff.lead.crm} owner id, so the lead cannot be reassigned to them "
            f"(give {to} their {handoff.lead.crm} id on the person page, or run "
            "slawatch_sync_owners)")
    return to.pk
