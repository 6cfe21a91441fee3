"""HubSpot: webhook batches and polled contacts/engagements -> domain events.

Keys are built from CRM facts (owner + assignment time, touch time), not from the
delivery, so a webhook and a poll that see the same change store it once."""

from __future__ import annotations

import json

from django.conf import settings

from slawatch.ingest.adapters.common import (
    BadPayload,
    InboxItem,
    as_batch,
    dumps,
    epoch_ms,
    heat_of,
    make_event,
    parse_json,
    clean_properties,
    to_instant,
    to_instant_safe,
)
from slawatch.leads.events import CALL, EMAIL, MEETING

CRM = "hubspot"
TOUCH_PROPERTIES = ("notes_last_contacted", "hs_last_sales_activity_timestamp")
BASE_PROPERTIES = ("email", "firstname", "lastname", "company", "phone", "hubspot_owner_id",
                   "hubspot_owner_assigneddate", "createdate", "lastmodifieddate",
                   "hs_analytics_source", "hs_latest_source", "hs_lead_status") + TOUCH_PROPERTIES
ENGAGEMENT_KINDS = {"calls": CALL, "emails": EMAIL, "meetings": MEETING}
CONTACT_TYPES = {"contact.creation", "contact.propertyChange", "contact.deletion",
                 "contact.privacyDeletion", "contact.merge", "contact.associationChange",
                 "contact.restore"}


def contact_properties() -> list[str]:
    extra = [settings.HUBSPOT_HEAT_PROPERTY] if settings.HUBSPOT_HEAT_PROPERTY else []
    return list(dict.fromkeys([*BASE_PROPERTIES, *extra, *settings.HUBSPOT_LEAD_PROPERTIES]))


def subscription_type(item: dict) -> str:
    return str(item.get("subscriptionType") or item.get("eventType") or "")


def split(body: bytes) -> list[InboxItem]:
    payload = parse_json(body)
    elements = as_batch(payload)
    items = []
    for index, element in enumerate(elements):
        items.append(InboxItem(event_id=_dedupe_key(element, index), body=dumps(element)))
    return items


def _dedupe_key(element, index) -> str:
    if not isinstance(element, dict):
        raise BadPayload(f"event {index} must be an object")
    for name in ("eventId", "occurredAt", "objectId"):
        value = element.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
            raise BadPayload(f"event {index}: {name} is required (a number)")
    if not subscription_type(element):
        raise BadPayload(f"event {index}: subscriptionType is required")
    if to_instant_safe(element["occurredAt"]) is None:
        raise BadPayload(f"event {index}: occurredAt must be epoch milliseconds")
    # eventId alone is "not guaranteed unique" (HubSpot docs)
    return f"{element['eventId']}:{element['occurredAt']}:{element['objectId']}"[:255]


# --- processing -------------------------------------------------------------

def _is_contact(item) -> bool:
    kind = subscription_type(item)
    return kind in CONTACT_TYPES or (kind.startswith("object.") and item.get("objectTypeId") == "0-1")


def webhook_events(item: dict, *, fetch_contact, lead_known) -> list:
    """One webhook notification -> domain events. `fetch_contact(id)` reads the contact
    from the API (None when not configured or gone); `lead_known(id)` asks our store."""
    if not _is_contact(item):
        return []  # stored and ignored: HubSpot would retry a 4xx for a day
    kind = subscription_type(item).split(".", 1)[1]
    contact_id = str(item["objectId"])
    at = to_instant(item["occurredAt"])
    events = []
    if kind in ("creation", "propertyChange") and (kind == "creation" or not lead_known(contact_id)):
        contact = fetch_contact(contact_id)
        if contact is not None:
            events += contact_events(contact)
        elif kind == "creation":
            events.append(make_event(crm=CRM, key=f"hubspot:{contact_id}:created",
                                     type="lead.created", occurred_at=at, external_id=contact_id))
    if kind == "propertyChange":
        events += _property_change(contact_id, item, at)
    return events


def _property_change(contact_id, item, at) -> list:
    name = item.get("propertyName")
    events = _property_events(contact_id, item, at)
    if name in settings.HUBSPOT_LEAD_PROPERTIES:
        # A captured lead property: last seen by occurredAt, so a late retry of an older
        # change never overwrites a newer value.
        events.append(make_event(
            crm=CRM, key=f"hubspot:{contact_id}:prop:{name}:{epoch_ms(at)}", type="lead.updated",
            occurred_at=at, external_id=contact_id,
            lead={"properties": clean_properties({name: item.get("propertyValue")})}))
    return events


def _property_events(contact_id, item, at) -> list:
    name, value = item.get("propertyName"), item.get("propertyValue")
    if name == "hubspot_owner_id" and value:
        return [_assigned(contact_id, str(value), at, {})]
    if name in TOUCH_PROPERTIES and value:
        touched = to_instant_safe(value)
        return [_touched(contact_id, touched, "other", "")] if touched else []
    if settings.HUBSPOT_HEAT_PROPERTY and name == settings.HUBSPOT_HEAT_PROPERTY and heat_of(value):
        heat = heat_of(value)
        return [make_event(crm=CRM, key=f"hubspot:{contact_id}:heat:{heat}:{epoch_ms(at)}",
                           type="lead.heat_changed", occurred_at=at, external_id=contact_id,
                           lead={"heat": heat})]
    return []


def _assigned(contact_id, owner, at, lead):
    return make_event(crm=CRM, key=f"hubspot:{contact_id}:owner:{owner}:{epoch_ms(at)}",
                      type="lead.assigned", occurred_at=at, external_id=contact_id,
                      lead={**lead, "owner": owner})


def _touched(contact_id, at, kind, by):
    # The touch id is the contact and the instant, so the last-contacted property,
    # the engagement poll and a webhook all name one activity the same way.
    touch_id = f"hubspot:{contact_id}:touch:{epoch_ms(at)}"
    touch = {"kind": kind, "at": at.isoformat(), "id": touch_id}
    if by:
        touch["by"] = by
    return make_event(crm=CRM, key=touch_id, type="lead.touched", occurred_at=at,
                      external_id=contact_id, touch=touch)


def contact_events(contact: dict) -> list:
    """A contact snapshot (API read or search result) -> created/assigned/touched events."""
    contact_id = str(contact["id"])
    props = contact.get("properties") or {}
    created = to_instant_safe(props.get("createdate")) or to_instant_safe(contact.get("createdAt"))
    lead = _lead_fields(props)
    events = []
    if created:
        events.append(make_event(crm=CRM, key=f"hubspot:{contact_id}:created",
                                 type="lead.created", occurred_at=created,
                                 external_id=contact_id, lead=lead))
    owner = props.get("hubspot_owner_id")
    if owner:
        assigned = to_instant_safe(props.get("hubspot_owner_assigneddate")) or \
            to_instant_safe(props.get("lastmodifieddate")) or created
        if assigned:
            events.append(_assigned(contact_id, str(owner), assigned, lead))
    for name in TOUCH_PROPERTIES:
        touched = to_instant_safe(props.get(name))
        if touched:
            events.append(_touched(contact_id, touched, "other", ""))
    modified = to_instant_safe(props.get("lastmodifieddate")) or \
        to_instant_safe(contact.get("updatedAt")) or created
    if settings.HUBSPOT_LEAD_PROPERTIES and modified:
        # The captured properties as of this snapshot (an unset one clears a stale value).
        captured = clean_properties({n: props.get(n) for n in settings.HUBSPOT_LEAD_PROPERTIES})
        events.append(make_event(crm=CRM, key=f"hubspot:{contact_id}:props:{epoch_ms(modified)}",
                                 type="lead.updated", occurred_at=modified,
                                 external_id=contact_id, lead={"properties": captured}))
    return _dedupe(events)


def _lead_fields(props) -> dict:
    name = " ".join(p for p in (props.get("firstname"), props.get("lastname")) if p)
    lead = {"email": props.get("email"), "name": name, "company": props.get("company"),
            "phone": props.get("phone"),
            "source": props.get("hs_latest_source") or props.get("hs_analytics_source")}
    if settings.HUBSPOT_HEAT_PROPERTY:
        lead["heat"] = heat_of(props.get(settings.HUBSPOT_HEAT_PROPERTY))
    lead["properties"] = {k: v for k, v in clean_properties(
        {n: props.get(n) for n in settings.HUBSPOT_LEAD_PROPERTIES}).items() if v is not None}
    return {k: v for k, v in lead.items() if v}


def _dedupe(events):
    seen, out = set(), []
    for event in events:
        if event.key not in seen:
            seen.add(event.key)
            out.append(event)
    return out


def engagement_events(record: dict) -> list:
    """A polled call/email/meeting already joined to one contact -> one touch."""
    at = to_instant_safe(record.get("timestamp"))
    if at is None:
        return []
    return [_touched(str(record["contact_id"]), at, ENGAGEMENT_KINDS.get(record["type"], "other"),
                     str(record.get("owner") or ""))]


def poll_events(body: str) -> list:
    record = json.loads(body)
    if record.get("kind") == "engagement":
        return engagement_events(record)
    return contact_events(record)
