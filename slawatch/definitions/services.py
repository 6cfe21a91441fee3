"""Writes to lead definitions: drafting, approving, activating. Views, the API and the
admin only call these.

A draft changes freely; a change withdraws the approvals it had (they signed other
text). One sales-side and one marketing-side approval activate it; a superuser may
activate alone, which is recorded. Activation gives the next version number, retires
the previous active definition at the new one's effective_from, and freezes the rules.
The people whose approval is awaited are told through the escalation outbox.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from slawatch.definitions.models import (
    DefinitionApproval,
    LeadDefinition,
    Side,
    Status,
    side_of,
)
from slawatch.definitions.selectors import awaited_sides
from slawatch.escalation.models import Escalation, EscalationKind
from slawatch.escalation.services import notify_people
from slawatch.people.models import Person, Role

log = logging.getLogger(__name__)

EDITABLE = ("name", "default_heat", "crm_heat", "rules", "effective_from")
# Who hears that a side's approval is awaited: those who sign for it, not every rep.
NOTIFIED_ROLES = {Side.SALES: (Role.MANAGER, Role.DIRECTOR),
                  Side.MARKETING: (Role.MARKETING, Role.REVOPS)}


class DefinitionFrozen(Exception):
    """The definition is no longer a draft; its rules cannot change (answered 409)."""


def frozen_error(definition):
    return DefinitionFrozen(
        f"{definition} is {definition.get_status_display().lower()}: its rules are frozen. "
        "Draft a new version (a new definition) instead.")


def _draft_locked(definition, done: str) -> LeadDefinition:
    """The definition's row, locked until the transaction ends; DefinitionFrozen unless
    it is still a draft (`done`: what only a draft can be)."""
    current = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
    if current.status != Status.DRAFT:
        raise DefinitionFrozen(f"{current} is {current.get_status_display().lower()}; "
                               f"only a draft can be {done}")
    return current


def definition_create(*, by=None, notify: bool = True, **fields) -> LeadDefinition:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    definition = LeadDefinition(created_by=by if by and by.pk else None, **fields)
    definition.full_clean()
    with transaction.atomic():
        definition.save()
        if notify:
            notify_awaited(definition, what="drafted")
    return definition


def definition_update(*, definition: LeadDefinition, by=None, **changes) -> LeadDefinition:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = LeadDefinition.objects.select_for_update().get(pk=definition.pk)
        changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
        if not changed:
            return current
        if current.status != Status.DRAFT:
            raise frozen_error(current)
        for name, value in changed.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
        withdrawn = current.approvals.filter(withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now())
        if withdrawn:
            notify_awaited(current, what="changed")
    return current


def definition_approve(*, definition: LeadDefinition, user, now: datetime | None = None,
                       notify: bool = True) -> LeadDefinition:
    """Record the caller's person's approval for their side; the second side activates.
    `now` and `notify` are for seeding a history (the demo): when, and whether to tell."""
    person = getattr(user, "person", None) if user is not None and user.is_authenticated \
        else None
    side = side_of(person)
    if side is None:
        raise PermissionDenied(
            "only a person with a sales-side role (rep, manager, director) or a marketing-side "
            "role (marketing, revops) may approve a lead definition; this login has no such "
            "person")
    with transaction.atomic():
        current = _draft_locked(definition, "approved")
        if not current.approvals.filter(person=person, withdrawn_at__isnull=True).exists():
            DefinitionApproval.objects.create(definition=current, person=person, side=side,
                                              approved_at=now or timezone.now())
        if not awaited_sides(current):
            return _activate(current, user=user, alone=False, now=now)
        if notify:
            notify_awaited(current, what="approved")
    return current


def definition_activate(*, definition: LeadDefinition, user,
                        now: datetime | None = None) -> LeadDefinition:
    """A superuser activates a draft alone (recorded as such when a side had not approved).
    `now` is the activation instant (seeding a history may set it in the past)."""
    if user is None or not user.is_superuser:
        raise PermissionDenied("only a superuser may activate a definition without both "
                               "approvals; others approve it")
    with transaction.atomic():
        current = _draft_locked(definition, "activated")
        return _activate(current, user=user, alone=bool(awaited_sides(current)), now=now)


def _activate(definition, *, user, alone, now=None):
    now = now or timezone.now()
    # Lock the active row (if any): two activations at once serialize here, and the
    # one-active constraint refuses the loser rather than leaving two active.
    previous = LeadDefinition.objects.select_for_update().filter(status=Status.ACTIVE).first()
    effective = max(definition.effective_from or now, now)  # never rewrites past handoffs
    if previous is not None:
        previous.status, previous.retired_at = Status.RETIRED, effective
        previous.save(update_fields=["status", "retired_at", "updated_at"])
    # An earlier retirement scheduled after this one starts now ends when this one starts.
    for row in LeadDefinition.objects.filter(retired_at__gt=effective):
        row.retired_at = effective
        row.save(update_fields=["retired_at", "updated_at"])
    top = LeadDefinition.objects.aggregate(top=Max("version"))["top"] or 0
    definition.status, definition.version = Status.ACTIVE, top + 1
    definition.effective_from, definition.activated_at = effective, now
    definition.activated_by = user if user is not None and user.pk else None
    definition.activated_alone = alone
    try:
        with transaction.atomic():
            definition.save()
    except IntegrityError:  # a rival activation won the one-active (or version) constraint
        raise DefinitionFrozen("another definition was activated at the same moment; "
                               "reload and try again") from None
    log.info("lead definition %s activated as v%s from %s%s", definition.pk, definition.version,
             effective.isoformat(), " by a superuser alone" if alone else "")
    return definition


# --- notices ---------------------------------------------------------------

def awaited_people(definition: LeadDefinition) -> list[Person]:
    sides = awaited_sides(definition)
    roles = [role for side in sides for role in NOTIFIED_ROLES[side]]
    return list(Person.objects.filter(role__in=roles, is_active=True).order_by("pk"))


def notify_awaited(definition: LeadDefinition, *, what: str) -> list[Escalation]:
    """One notice per person whose side has not approved yet (Slack when they have a Slack
    id, else email), written to the outbox in the caller's transaction."""
    return notify_people(awaited_people(definition), kind=EscalationKind.DEFINITION,
                         payload=_payload(definition, what), about=f"definition {definition.pk}")


def _payload(definition, what):
    link = reverse("admin:definitions_leaddefinition_change", args=[definition.pk])
    url = f"{(settings.SLAWATCH_PUBLIC_URL or '').rstrip('/')}{link}"
    sides = " and ".join(Side(side).label.lower() for side in awaited_sides(definition))
    subject = f"Lead definition '{definition.name}' awaits {sides} approval"
    reason = {"drafted": "A new lead definition was drafted.",
              "changed": "The draft changed, so earlier approvals were withdrawn.",
              "approved": "One side has approved it."}[what]
    text = (f"{subject}\n\n{reason} It decides which leads are hot, warm or cold once one "
            f"sales-side and one marketing-side person approve it.\n\n{url}")
    return {"event": f"definition.{what}", "definition_id": definition.pk, "subject": subject,
            "text": text, "url": url}
