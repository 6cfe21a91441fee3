"""Owner sync: read each CRM's users and give the person with the same e-mail
(case-insensitive) that CRM's owner id, through the one mapping service
(leads.owners.person_set_crm_ids, which also gives waiting leads their clock).

Never moves an id: an owner id already held by another person, or a person who already
has a different id in that CRM, is recorded as a conflict and left alone. Owners with no
matching person are listed in the admin (CRM owners), with a "create person" action.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from slawatch.crmsync.models import CrmOwner, OwnerState
from slawatch.ingest.clients import ApiClient, HubSpotClient, SalesforceClient, json_or_error
from slawatch.ingest.services import salesforce_client
from slawatch.leads.owners import OwnerIdTaken, person_set_crm_ids
from slawatch.people.models import CrmIdentity, Person, Role

SYNCABLE = ("hubspot", "salesforce", "pipedrive")


@dataclass(frozen=True)
class Owner:
    owner_id: str
    email: str
    name: str


def hubspot_owners(client: HubSpotClient):
    """GET /crm/v3/owners, following paging.next.after (active owners only)."""
    after = None
    while True:
        params = {"limit": 100, **({"after": after} if after else {})}
        page = json_or_error(client.request("GET", "/crm/v3/owners", params=params),
                              "HubSpot owners")
        for row in page.get("results", []):
            if not row.get("archived"):
                name = " ".join(filter(None, [row.get("firstName"), row.get("lastName")]))
                yield Owner(str(row["id"]), row.get("email") or "", name)
        after = ((page.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            return


def salesforce_owners(client: SalesforceClient):
    for records in client.query_pages("SELECT Id, Email, Name FROM User WHERE IsActive = true"):
        for row in records:
            yield Owner(row["Id"], row.get("Email") or "", row.get("Name") or "")


class PipedriveClient(ApiClient):
    def __init__(self, base_url, token, **kwargs):
        super().__init__(base_url, **kwargs)
        self._token = token

    def auth_headers(self):
        return {"x-api-token": self._token, "Accept": "application/json"}


def pipedrive_owners(client: PipedriveClient):
    page = json_or_error(client.request("GET", "/api/v1/users"), "Pipedrive users")
    for row in page.get("data") or []:
        if row.get("active_flag", True):
            yield Owner(str(row["id"]), row.get("email") or "", row.get("name") or "")


def configured_readers() -> dict:
    readers = {}
    if settings.HUBSPOT_ACCESS_TOKEN:
        client = HubSpotClient(settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN)
        readers["hubspot"] = lambda c=client: hubspot_owners(c)
    if client := salesforce_client():
        readers["salesforce"] = lambda c=client: salesforce_owners(c)
    if settings.PIPEDRIVE_API_TOKEN:
        client = PipedriveClient(settings.PIPEDRIVE_API_BASE, settings.PIPEDRIVE_API_TOKEN)
        readers["pipedrive"] = lambda c=client: pipedrive_owners(c)
    return readers


def owners_sync(*, crm: str, owners) -> Counter:
    """Map each owner to the person with the same e-mail; record every outcome."""
    counts = Counter()
    now = timezone.now()
    for owner in owners:
        state, person, note = _map_one(crm, owner)
        counts[note.split(":")[0] if state == OwnerState.MAPPED else state] += 1
        CrmOwner.objects.update_or_create(
            crm=crm, owner_id=owner.owner_id,
            defaults={"email": owner.email, "name": owner.name, "person": person,
                      "state": state, "note": note[:300], "seen_at": now})
    return counts


def _map_one(crm, owner: Owner):
    holder = CrmIdentity.objects.filter(crm=crm, owner_id=owner.owner_id).select_related(
        "person").first()
    people = list(Person.objects.filter(email__iexact=owner.email)[:2]) if owner.email else []
    if holder is not None:
        if not people or holder.person in people:
            return OwnerState.MAPPED, holder.person, "already: held by this person"
        return (OwnerState.CONFLICT, people[0],
                f"id held by {holder.person}, not by {people[0]} who has this e-mail")
    if not people:
        return OwnerState.UNMATCHED, None, ""
    if len(people) > 1:
        return OwnerState.CONFLICT, None, f"several people have the e-mail {owner.email}"
    person = people[0]
    other = person.crm_identities.filter(crm=crm).first()
    if other is not None:
        return OwnerState.CONFLICT, person, f"{person} already has {crm} id {other.owner_id}"
    try:
        person_set_crm_ids(person=person, crm_ids={crm: owner.owner_id})
    except OwnerIdTaken as exc:
        return OwnerState.CONFLICT, person, " ".join(exc.messages)
    return OwnerState.MAPPED, person, "mapped: given to this person"


def sync_owners(only: str | None = None) -> dict[str, Counter]:
    """slawatch_sync_owners and the daily beat: every configured CRM (or just `only`)."""
    results = {}
    for crm, read in configured_readers().items():
        if only in (None, crm):
            results[crm] = owners_sync(crm=crm, owners=list(read()))
    return results


def person_create_from_owner(*, owner: CrmOwner) -> Person:
    """Admin: an unmatched CRM owner becomes a person (a rep) holding that owner id."""
    with transaction.atomic():
        person = Person.objects.create(name=owner.name or owner.email or owner.owner_id,
                                       email=owner.email, role=Role.REP)
        person_set_crm_ids(person=person, crm_ids={owner.crm: owner.owner_id})
        CrmOwner.objects.filter(pk=owner.pk).update(person=person, state=OwnerState.MAPPED,
                                                    note="mapped: person created")
    return person
