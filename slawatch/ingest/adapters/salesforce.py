"""Salesforce: Outbound Message SOAP envelopes and polled Lead/Task/Event records ->
domain events. XML is parsed with defusedxml and DTDs are refused outright, so XXE
and entity-expansion bombs never reach a parser that would honour them."""

from __future__ import annotations

import json

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings

from slawatch.ingest.adapters.common import (
    BadPayload,
    InboxItem,
    dumps,
    epoch_ms,
    clean_properties,
    heat_of,
    make_event,
    to_instant,
)
from slawatch.leads.events import CALL, EMAIL, MEETING, OTHER

CRM = "salesforce"
ACK = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
       '<soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound">'
       '<Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>')
TOUCH_KINDS = {"call": CALL, "email": EMAIL, "listemail": EMAIL, "cadence": OTHER}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element, name):
    return next((c for c in element if _local(c.tag) == name), None)


def _is_nil(element):
    return any(_local(k) == "nil" and v == "true" for k, v in element.attrib.items())


def parse_envelope(body: bytes) -> tuple[str, list[InboxItem]]:
    """(OrganizationId, one inbox item per Notification)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise BadPayload(f"body is not an acceptable SOAP message: {exc.__class__.__name__}") from None
    body_el = _child(root, "Body") if _local(root.tag) == "Envelope" else None
    notifications = _child(body_el, "notifications") if body_el is not None else None
    if notifications is None:
        raise BadPayload("expected a SOAP Envelope/Body/notifications (Salesforce Outbound Message)")
    organization = (_text(_child(notifications, "OrganizationId")) or "")
    action = _text(_child(notifications, "ActionId")) or ""
    items = []
    for note in (c for c in notifications if _local(c.tag) == "Notification"):
        items.append(_notification_item(note, organization, action, len(items)))
    if not items:
        raise BadPayload("the message holds no Notification")
    return organization, items


def _text(element):
    return None if element is None or _is_nil(element) else (element.text or "").strip()


def _notification_item(note, organization, action, index) -> InboxItem:
    note_id = _text(_child(note, "Id"))
    sobject = _child(note, "sObject")
    if not note_id or sobject is None:
        raise BadPayload(f"Notification {index} needs an Id and an sObject")
    sobject_type = next((v for k, v in sobject.attrib.items() if _local(k) == "type"), "")
    fields = {_local(c.tag): _text(c) for c in sobject}
    if not fields.get("Id"):
        raise BadPayload(f"Notification {index}: sObject has no Id")
    record = {"type": sobject_type.split(":")[-1], "organization_id": organization,
              "action_id": action, "fields": fields}
    return InboxItem(event_id=note_id[:255], body=dumps(record))


# --- processing -------------------------------------------------------------

def _bool(value):
    return value is True or str(value).lower() == "true"


def lead_events(fields: dict, *, lead_owner) -> list:
    """A Lead record -> events. `lead_owner(id)` is the owner we know for it (None: new)."""
    lead_id = fields["Id"]
    created = to_instant(fields.get("CreatedDate"))
    modified = to_instant(fields.get("LastModifiedDate")) or created
    if modified is None:
        return []
    lead = _lead_fields(fields)
    events = []
    if created:
        events.append(make_event(crm=CRM, key=f"salesforce:{lead_id}:created", type="lead.created",
                                 occurred_at=created, external_id=lead_id, lead=lead))
    owner = fields.get("OwnerId")
    if owner:
        known = lead_owner(lead_id)
        # CONTRACT: CreatedDate for a new lead, else the notification's LastModifiedDate.
        at = created if (known is None or known == "") and created else modified
        events.append(make_event(crm=CRM, key=f"salesforce:{lead_id}:owner:{owner}:{epoch_ms(at)}",
                                 type="lead.assigned", occurred_at=at, external_id=lead_id,
                                 lead={**lead, "owner": owner}))
    heat = heat_of(fields.get("Rating"))
    if heat:
        events.append(make_event(crm=CRM, key=f"salesforce:{lead_id}:heat:{heat}:{epoch_ms(modified)}",
                                 type="lead.heat_changed", occurred_at=modified, external_id=lead_id,
                                 lead={"heat": heat}))
    captured = _captured(fields)
    if captured:
        # Last seen as of LastModifiedDate: an older notification never overwrites these.
        events.append(make_event(crm=CRM, key=f"salesforce:{lead_id}:props:{epoch_ms(modified)}",
                                 type="lead.updated", occurred_at=modified, external_id=lead_id,
                                 lead={"properties": captured}))
    events += _terminal(lead_id, fields, modified)
    return events


def _captured(fields) -> dict:
    """The SALESFORCE_LEAD_FIELDS this record carries (a nil one clears the property; one
    the Outbound Message does not include is left as it was)."""
    return clean_properties({name: fields[name] for name in settings.SALESFORCE_LEAD_FIELDS
                             if name in fields})


def _lead_fields(fields):
    name = " ".join(p for p in (fields.get("FirstName"), fields.get("LastName")) if p)
    lead = {"email": fields.get("Email"), "name": name or fields.get("Name"),
            "company": fields.get("Company"), "phone": fields.get("Phone"),
            "source": fields.get("LeadSource"), "heat": heat_of(fields.get("Rating")),
            "properties": {k: v for k, v in _captured(fields).items() if v is not None}}
    return {k: v for k, v in lead.items() if v}


def _terminal(lead_id, fields, modified):
    if _bool(fields.get("IsConverted")):
        opportunity = fields.get("ConvertedOpportunityId")
        return [make_event(crm=CRM, key=f"salesforce:{lead_id}:converted", type="lead.converted",
                           occurred_at=modified, external_id=lead_id,
                           opportunity={"external_id": opportunity} if opportunity else None)]
    status = (fields.get("Status") or "").strip().lower()
    if status and status in {s.lower() for s in settings.SALESFORCE_DISQUALIFIED_STATUSES}:
        return [make_event(crm=CRM, key=f"salesforce:{lead_id}:disqualified",
                           type="lead.disqualified", occurred_at=modified, external_id=lead_id)]
    return []


def activity_events(record: dict) -> list:
    """A polled Task (done) or Event (held) on a Lead -> one touch."""
    who = record.get("WhoId") or ""
    if not who.startswith("00Q"):
        return []  # on a Contact, not a Lead
    kind_name = record.get("attributes", {}).get("type", record.get("type", ""))
    if kind_name == "Event":
        at, kind = to_instant(record.get("StartDateTime") or record.get("ActivityDateTime")), MEETING
    else:
        if not _bool(record.get("IsClosed")):
            return []
        at = to_instant(record.get("CompletedDateTime") or record.get("CreatedDate"))
        kind = TOUCH_KINDS.get((record.get("TaskSubtype") or "").lower(), OTHER)
    if at is None:
        return []
    touch = {"kind": kind, "at": at.isoformat(), "id": f"salesforce:{record['Id']}"}
    if record.get("OwnerId"):
        touch["by"] = record["OwnerId"]
    return [make_event(crm=CRM, key=f"salesforce:{record['Id']}", type="lead.touched",
                       occurred_at=at, external_id=who, touch=touch)]


def record_events(body: str, *, lead_owner) -> list:
    record = json.loads(body)
    if record.get("type") == "Lead":
        return lead_events(record["fields"], lead_owner=lead_owner)
    if record.get("type") in ("Task", "Event"):
        return activity_events({**record["fields"], "type": record["type"]})
    return []  # another sObject type: stored, nothing to derive
