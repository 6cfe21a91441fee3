"""Pipedrive webhooks v2 (`meta`/`data`/`previous`) -> domain events.

A Pipedrive *person* or *lead* is a slawatch lead (external id: the person's number or
the lead's UUID); an owner change is an assignment; an activity marked done on it is a
touch."""

from __future__ import annotations

import hashlib
import json

from slawatch.ingest.adapters.common import (
    BadPayload,
    InboxItem,
    clean_properties,
    dumps,
    epoch_ms,
    make_event,
    parse_json,
    to_instant_safe,
)
from slawatch.leads.events import CALL, EMAIL, MEETING, OTHER, SMS

CRM = "pipedrive"
TOUCH_KINDS = {"call": CALL, "email": EMAIL, "meeting": MEETING, "sms": SMS}


def split(body: bytes) -> list[InboxItem]:
    payload = parse_json(body)
    if not isinstance(payload, dict) or not isinstance(payload.get("meta"), dict):
        raise BadPayload("expected a Pipedrive v2 webhook object with meta, data and previous")
    meta = payload["meta"]
    for name in ("action", "entity"):
        if not isinstance(meta.get(name), str) or not meta[name]:
            raise BadPayload(f"meta.{name} is required")
    for name in ("data", "previous"):
        if payload.get(name) is not None and not isinstance(payload[name], dict):
            raise BadPayload(f"{name} must be an object or null")
    event_id = meta.get("id")
    if not isinstance(event_id, (str, int)) or isinstance(event_id, bool) or event_id == "":
        # no delivery id: the content itself identifies a retry of the same change
        event_id = "sha256:" + hashlib.sha256(dumps(payload).encode()).hexdigest()
    return [InboxItem(event_id=str(event_id)[:255], body=dumps(payload))]


def _owner(value):
    if isinstance(value, dict):  # v1-style {"id": 1, "name": ...}
        value = value.get("id")
    return None if value in (None, "") or isinstance(value, bool) else str(value)


def _when(*candidates):
    return next(filter(None, map(to_instant_safe, candidates)), None)


def to_events(body: str) -> list:
    payload = json.loads(body)
    meta, data = payload["meta"], payload.get("data") or {}
    previous = payload.get("previous") or {}
    if meta["entity"] in ("person", "lead") and meta["action"] in ("create", "change", "added",
                                                                   "updated"):
        return _owner_events(meta, data, previous)
    if meta["entity"] == "activity" and meta["action"] in ("create", "change", "added", "updated"):
        return _activity_events(meta, data, previous)
    return []


def custom_fields(data) -> dict:
    """Pipedrive custom fields by key (v2 `data.custom_fields`). A typed value
    `{"type": ..., "value": ...}` gives its value; an option set its label or id."""
    raw = data.get("custom_fields")
    out = {}
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        if isinstance(value, dict):
            value = value.get("value", value.get("label", value.get("id")))
        if isinstance(value, dict):  # an option {"id": 3, "label": "DE"}
            value = value.get("label", value.get("id"))
        out[str(key)] = value
    return clean_properties(out)


def _owner_events(meta, data, previous):
    external_id = data.get("id") or meta.get("entity_id")
    if external_id in (None, ""):
        return []
    at = _when(data.get("update_time"), meta.get("timestamp"), data.get("add_time"))
    if at is None:
        return []
    created = meta["action"] not in ("change", "updated")
    captured = custom_fields(data)
    events = []
    if captured and (created or "custom_fields" in previous):
        events.append(make_event(crm=CRM, key=f"pipedrive:{external_id}:props:{epoch_ms(at)}",
                                 type="lead.updated", occurred_at=at,
                                 external_id=str(external_id), lead={"properties": captured}))
    owner = _owner(data.get("owner_id"))
    if owner is None or not (created or "owner_id" in previous):
        return events  # an edit that did not touch the owner
    lead = {"name": data.get("name") or data.get("title"), "email": _primary_email(data)}
    lead = {k: v for k, v in lead.items() if isinstance(v, str) and v}
    lead["properties"] = {k: v for k, v in captured.items() if v is not None}
    events.append(make_event(crm=CRM, key=f"pipedrive:{external_id}:owner:{owner}:{epoch_ms(at)}",
                             type="lead.assigned", occurred_at=at, external_id=str(external_id),
                             lead={**lead, "owner": owner}))
    return events


def _primary_email(data):
    emails = data.get("emails") or data.get("email")
    if isinstance(emails, list) and emails and isinstance(emails[0], dict):
        return emails[0].get("value")
    return None


def _activity_events(meta, data, previous):
    if data.get("done") is not True or previous.get("done", False) is True:
        return []  # not (newly) done
    if meta["action"] in ("change", "updated") and "done" not in previous:
        return []
    target = data.get("lead_id") or data.get("person_id")
    if isinstance(target, dict):
        target = target.get("value") or target.get("id")
    at = _when(data.get("marked_as_done_time"), data.get("update_time"), meta.get("timestamp"))
    if target in (None, "") or at is None:
        return []
    activity_id = data.get("id") or meta.get("entity_id")
    touch = {"kind": TOUCH_KINDS.get(str(data.get("type", "")).lower(), OTHER),
             "at": at.isoformat(), "id": f"pipedrive:activity:{activity_id}"}
    by = _owner(data.get("owner_id") or data.get("user_id"))
    if by:
        touch["by"] = by
    return [make_event(crm=CRM, key=f"pipedrive:activity:{activity_id}", type="lead.touched",
                       occurred_at=at, external_id=str(target), touch=touch)]
