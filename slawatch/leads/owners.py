"""The one way a CRM owner id is given to or taken from a person.

The API, the admin (the person page's inline and the CRM identity pages) and the CRM
owner sync all call these services, so the consequence is the same everywhere: leads
whose owner id gains or loses a person are derived again once the change commits. A
lead waiting on an unmapped owner gets its clock the moment RevOps maps the owner.

An owner id belongs to one person per CRM. Two requests racing to give the same id to
two people end with one `OwnerIdTaken` (a 4xx for the caller), never a 500.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from slawatch.leads.services import reconcile_leads_of_owner
from slawatch.people.models import CrmIdentity, Person

Pair = tuple[str, str]  # (crm, owner id)


class OwnerIdTaken(ValidationError):
    """The owner id already belongs to another person in that CRM."""


def person_set_crm_ids(*, person: Person, crm_ids: dict[str, str], replace: bool = False) -> None:
    """Give `person` these owner ids (crm -> id); with `replace`, drop the CRMs not named."""
    with transaction.atomic():
        before = _pairs(person)
        if replace:
            person.crm_identities.exclude(crm__in=list(crm_ids)).delete()
        for crm, owner_id in crm_ids.items():
            _check_free(crm, owner_id, person.pk)
            _saving(lambda c=crm, o=owner_id: CrmIdentity.objects.update_or_create(
                person=person, crm=c, defaults={"owner_id": o}), crm, owner_id)
        _rederive_on_commit(before ^ _pairs(person))


def crm_identity_save(*, identity: CrmIdentity) -> None:
    """Save one identity row (new or edited), as the admin collects it."""
    with transaction.atomic():
        old = CrmIdentity.objects.filter(pk=identity.pk).values_list("crm", "owner_id").first() \
            if identity.pk else None
        _check_free(identity.crm, identity.owner_id, identity.person_id)
        _saving(identity.save, identity.crm, identity.owner_id)
        new = (identity.crm, identity.owner_id)
        _rederive_on_commit({old, new} - {None} if old != new else set())


def crm_identity_delete(*, identity: CrmIdentity) -> None:
    with transaction.atomic():
        pair = (identity.crm, identity.owner_id)
        identity.delete()
        _rederive_on_commit({pair})


def _pairs(person) -> set[Pair]:
    return set(person.crm_identities.values_list("crm", "owner_id"))


def _check_free(crm, owner_id, person_id):
    holder = CrmIdentity.objects.filter(crm=crm, owner_id=owner_id).exclude(
        person_id=person_id).select_related("person").first()
    if holder is not None:
        raise OwnerIdTaken(f"{crm} owner id {owner_id!r} already belongs to another person "
                           f"({holder.person})")


def _saving(write, crm, owner_id):
    """Run the write in a savepoint: a rival that committed the same id in the meantime
    turns the unique violation into OwnerIdTaken and leaves the outer transaction usable."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError:
        raise OwnerIdTaken(f"{crm} owner id {owner_id} was just given to another person") from None


def _rederive_on_commit(pairs: set[Pair]) -> None:
    # Leads waiting on an id that now maps get their clock; leads of an id that no longer
    # maps lose theirs (the mapping was wrong), so no lead keeps stale state.
    for crm, owner_id in sorted(pairs):
        transaction.on_commit(lambda c=crm, o=owner_id: reconcile_leads_of_owner(c, o))
