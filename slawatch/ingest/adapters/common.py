"""What every adapter shares: the inbox item shape, timestamp parsing, and building
DomainEvents from CRM values (truncated to the domain's limits, never rejected for
length: a long CRM name must not poison an event)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slawatch.leads.events import (
    HEATS,
    LEAD_TEXT_FIELDS,
    MAX_PROPERTY_NAME,
    MAX_PROPERTY_TEXT,
    DomainEvent,
)


class BadPayload(ValueError):
    """The delivery is malformed; the message names the problem (answered with 400)."""


@dataclass(frozen=True)
class InboxItem:
    event_id: str
    body: str
    headers: dict = field(default_factory=dict)


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def parse_json(body: bytes):
    # PostgreSQL text and jsonb cannot hold NUL: refuse it here rather than fail later.
    if b"\\u0000" in body:
        raise BadPayload("body contains a NUL character (\\u0000)")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise BadPayload("body is not UTF-8") from None
    except ValueError as exc:
        raise BadPayload(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # `[[[[…` thousands deep: a client error, not a crash
        raise BadPayload("body is nested too deeply") from None


MAX_BATCH = 1000


def as_batch(payload) -> list:
    """A parsed body holding one event object or an array of them, as a non-empty list."""
    elements = payload if isinstance(payload, list) else [payload]
    if not elements:
        raise BadPayload("body is an empty array")
    if len(elements) > MAX_BATCH:
        raise BadPayload(f"a batch holds at most {MAX_BATCH} events")
    return elements


def to_instant(value) -> datetime | None:
    """Epoch milliseconds (int or digit string), ISO 8601, or Salesforce's
    `2024-06-10T06:13:20.000+0000`; naive values are UTC. None/'' -> None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (
            isinstance(value, str) and value.isascii() and value.isdigit()):
        number = float(value)
        # epoch seconds (Pipedrive) vs milliseconds (HubSpot): ms values are > 1e11
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    instant = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def to_instant_safe(value) -> datetime | None:
    """to_instant, with None for a value that is not a usable timestamp."""
    try:
        return to_instant(value)
    except (ValueError, OverflowError, OSError):
        return None


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def clean_properties(raw: dict) -> dict:
    """CRM field values as lead properties: scalars kept (text cut to the domain's limit),
    empty text as null (the CRM cleared it), anything else (a list, an object) as text."""
    out = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name or len(name) > MAX_PROPERTY_NAME:
            continue
        if isinstance(value, float) and value != value:  # NaN
            value = None
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = json.dumps(value, sort_keys=True)
        if isinstance(value, str):
            value = value.strip()[:MAX_PROPERTY_TEXT] or None
        out[name] = value
    return out


def _clean_lead(lead: dict) -> dict:
    out = {}
    for name, value in lead.items():
        if value is None or value == "" or (name == "properties" and not value):
            continue
        if name in LEAD_TEXT_FIELDS:
            value = str(value).strip()[:LEAD_TEXT_FIELDS[name]]
        elif name == "properties":
            value = clean_properties(value)
        out[name] = value
    return out


def make_event(*, crm, key, type, occurred_at: datetime, external_id, lead=None, touch=None,
               opportunity=None) -> DomainEvent:
    """A DomainEvent validated by the same parser as the generic endpoint."""
    obj = {"event_id": key, "type": type, "occurred_at": occurred_at.isoformat(), "crm": crm,
           "lead": {"external_id": str(external_id), **_clean_lead(lead or {})}}
    if touch is not None:
        obj["touch"] = touch
    if opportunity is not None:
        obj["opportunity"] = opportunity
    return DomainEvent.parse(obj, key_prefix="crm")


def heat_of(value) -> str | None:
    lowered = str(value or "").strip().lower()
    return lowered if lowered in HEATS else None
