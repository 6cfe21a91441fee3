"""Domain events: the one shape every CRM adapter produces and `apply` consumes.

The generic signed format (docs/INGEST.md) *is* this shape, so `DomainEvent.parse`
is both the generic endpoint's validator and the adapters' target. No Django.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

TYPES = ("lead.created", "lead.assigned", "lead.heat_changed", "lead.touched",
         "lead.converted", "lead.disqualified", "lead.updated")
# The vocabulary of heats and touch kinds, defined here once: pure modules use these
# names, Django code the choices built from them (leads.models.Heat, TouchKind).
HOT, WARM, COLD = "hot", "warm", "cold"
HEATS = (HOT, WARM, COLD)
CALL, EMAIL, MEETING, SMS, OTHER = "call", "email", "meeting", "sms", "other"
TOUCH_KINDS = (CALL, EMAIL, MEETING, SMS, OTHER)
# Statuses and close reasons, named here once the same way (leads.models.LeadStatus,
# HandoffStatus, CloseReason and OpportunityStatus are built from them). A lead is open
# until converted or disqualified; a handoff is open until its first touch is met or
# breached, or it closes (reassigned, converted, disqualified).
OPEN = "open"
CONVERTED, DISQUALIFIED = "converted", "disqualified"
LEAD_STATUSES = (OPEN, CONVERTED, DISQUALIFIED)
MET, BREACHED, CLOSED = "met", "breached", "closed"
HANDOFF_STATUSES = (OPEN, MET, BREACHED, CLOSED)
REASSIGNED = "reassigned"
CLOSE_REASONS = (REASSIGNED, CONVERTED, DISQUALIFIED)
WON, LOST = "won", "lost"
OPPORTUNITY_STATUSES = (OPEN, WON, LOST)
LEAD_TEXT_FIELDS = {"email": 254, "name": 200, "company": 200, "phone": 50, "source": 100,
                    "campaign": 200, "owner": 100}
MAX_ID = 100
MAX_KEY = 255
MAX_PROPERTIES = 100
MAX_PROPERTY_NAME = 100
MAX_PROPERTY_TEXT = 500


class EventError(ValueError):
    """The event is malformed; the message says which field and why."""


def parse_instant(value, name) -> datetime:
    if not isinstance(value, str):
        raise EventError(f"{name} must be an ISO 8601 string with a time zone")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise EventError(f"{name} is not an ISO 8601 date-time: {value[:40]!r}") from None
    if instant.tzinfo is None:
        raise EventError(f"{name} must include a time zone offset (e.g. Z or +01:00)")
    return instant


def _text(value, name, limit, required=False):
    if value is None:
        if required:
            raise EventError(f"{name} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise EventError(f"{name} must be a string")
    value = str(value).strip()
    if required and not value:
        raise EventError(f"{name} must not be empty")
    if len(value) > limit:
        raise EventError(f"{name} is longer than {limit} characters")
    return value


def _bounded_key(key: str) -> str:
    """Keys are stored in 255 characters (LeadEvent.key); a longer one keeps a readable
    head and a hash of the whole, so it stays unique instead of failing on PostgreSQL."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[:MAX_KEY - len(digest) - 1]}~{digest}"


def _object(value, name):
    if not isinstance(value, dict):
        raise EventError(f"{name} must be an object")
    return value


@dataclass(frozen=True)
class DomainEvent:
    key: str
    type: str
    occurred_at: datetime
    crm: str
    external_id: str
    lead: dict = field(default_factory=dict)
    touch: dict | None = None
    opportunity: dict | None = None

    def data(self) -> dict:
        """What is stored on LeadEvent.data (JSON-safe)."""
        out = {"lead": self.lead}
        if self.touch is not None:
            out["touch"] = self.touch
        if self.opportunity is not None:
            out["opportunity"] = self.opportunity
        return out

    @classmethod
    def parse(cls, obj, key_prefix="generic", default_crm=None) -> DomainEvent:
        obj = _object(obj, "event")
        event_id = _text(obj.get("event_id"), "event_id", 200, required=True)
        kind = obj.get("type")
        if kind not in TYPES:
            raise EventError(f"type {str(kind)[:40]!r} is not one of {', '.join(TYPES)}")
        occurred_at = parse_instant(obj.get("occurred_at"), "occurred_at")
        crm = _text(obj.get("crm", default_crm), "crm", 50, required=True)
        lead = _parse_lead(_object(obj.get("lead"), "lead"))
        touch = _parse_touch(obj.get("touch"), occurred_at) if kind == "lead.touched" else None
        opportunity = None
        if kind == "lead.converted" and obj.get("opportunity") is not None:
            opportunity = _parse_opportunity(obj["opportunity"])
        if kind == "lead.heat_changed" and not lead.get("heat"):
            raise EventError("lead.heat is required for lead.heat_changed")
        if kind == "lead.assigned" and not lead.get("owner"):
            raise EventError("lead.owner is required for lead.assigned")
        return cls(key=_bounded_key(f"{key_prefix}:{crm}:{event_id}"), type=kind,
                   occurred_at=occurred_at,
                   crm=crm, external_id=lead.pop("external_id"), lead=lead, touch=touch,
                   opportunity=opportunity)


def _parse_lead(raw):
    lead = {"external_id": _text(raw.get("external_id"), "lead.external_id", MAX_ID, required=True)}
    for name, limit in LEAD_TEXT_FIELDS.items():
        value = _text(raw.get(name), f"lead.{name}", limit)
        if value is not None:
            lead[name] = value
    heat = raw.get("heat")
    if heat is not None:
        if not isinstance(heat, str) or heat.lower() not in HEATS:
            raise EventError(f"lead.heat must be one of {', '.join(HEATS)}")
        lead["heat"] = heat.lower()
    score = raw.get("score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, (int, float)) or abs(score) > 10**9:
            raise EventError("lead.score must be a number")
        lead["score"] = int(score)
    sourced_by = raw.get("sourced_by")
    if sourced_by is not None:
        if sourced_by not in ("marketing", "sales"):
            raise EventError("lead.sourced_by must be marketing or sales")
        lead["sourced_by"] = sourced_by
    if raw.get("properties") is not None:
        lead["properties"] = parse_properties(raw["properties"])
    return lead


def parse_properties(raw) -> dict:
    """CRM field name -> value (string, number or boolean; null clears the property)."""
    raw = _object(raw, "lead.properties")
    if len(raw) > MAX_PROPERTIES:
        raise EventError(f"lead.properties holds at most {MAX_PROPERTIES} entries")
    out = {}
    for name, value in raw.items():
        if not name.strip() or len(name) > MAX_PROPERTY_NAME:
            raise EventError(f"lead.properties: a name must be 1-{MAX_PROPERTY_NAME} characters")
        where = f"lead.properties.{name}"
        if isinstance(value, float) and not math.isfinite(value):
            raise EventError(f"{where} must be a finite number")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise EventError(f"{where} must be a string, number, boolean or null")
        if isinstance(value, str) and len(value) > MAX_PROPERTY_TEXT:
            raise EventError(f"{where} is longer than {MAX_PROPERTY_TEXT} characters")
        out[name.strip()] = value
    return out


def _parse_touch(raw, occurred_at):
    if raw is None:
        raise EventError("touch is required for lead.touched")
    raw = _object(raw, "touch")
    kind = raw.get("kind", OTHER)
    if kind not in TOUCH_KINDS:
        raise EventError(f"touch.kind must be one of {', '.join(TOUCH_KINDS)}")
    at = parse_instant(raw["at"], "touch.at") if raw.get("at") is not None else occurred_at
    touch = {"kind": kind, "at": at.isoformat()}
    by = _text(raw.get("by"), "touch.by", MAX_ID)
    if by:
        touch["by"] = by
    touch_id = _text(raw.get("id"), "touch.id", 200)
    if touch_id:
        touch["id"] = touch_id
    return touch


def _parse_opportunity(raw):
    raw = _object(raw, "opportunity")
    opp = {"external_id": _text(raw.get("external_id"), "opportunity.external_id", MAX_ID,
                                required=True)}
    if raw.get("amount") is not None:
        try:
            amount = Decimal(str(raw["amount"]))
        except InvalidOperation:
            raise EventError("opportunity.amount must be a number") from None
        if not amount.is_finite() or abs(amount) >= Decimal(10) ** 12:
            raise EventError("opportunity.amount is out of range")
        opp["amount"] = str(amount.quantize(Decimal("0.01")))
    currency = _text(raw.get("currency"), "opportunity.currency", 3)
    if currency:
        if len(currency) != 3 or not currency.isalpha():
            raise EventError("opportunity.currency must be a 3-letter ISO code")
        opp["currency"] = currency.upper()
    status = raw.get("status", OPEN)
    if status not in OPPORTUNITY_STATUSES:
        raise EventError("opportunity.status must be open, won or lost")
    opp["status"] = status
    if raw.get("closed_at") is not None:
        opp["closed_at"] = parse_instant(raw["closed_at"], "opportunity.closed_at").isoformat()
    return opp
