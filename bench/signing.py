"""Signed bodies as the CRMs send them (written from the formats in docs/INGEST.md and the CRMs' own documentation,
independently of slawatch's own checks, so a drill catches a mismatch)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

_HS_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
              "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def generic_headers(secret: str, body: bytes, now: int | None = None) -> dict:
    ts = str(int(time.time()) if now is None else now)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Slawatch-Signature": f"t={ts},v1={mac}"}


def hubspot_headers(secret: str, uri: str, body: str, now_ms: int | None = None) -> dict:
    ts = str(int(time.time() * 1000) if now_ms is None else now_ms)
    for enc, dec in _HS_DECODE.items():
        uri = uri.replace(enc, dec).replace(enc.lower(), dec)
    msg = f"POST{uri}{body}{ts}".encode()
    sig = base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "X-HubSpot-Signature-v3": sig,
            "X-HubSpot-Request-Timestamp": ts, "X-HubSpot-Signature-Version": "v3"}


def generic_event(run: str, n: int, *, owner: str = "rep-1", crm: str = "bench-crm",
                  occurred_at: str = "2026-11-23T09:00:00Z") -> dict:
    """One `lead.assigned` event for a lead of its own."""
    return {"event_id": f"{run}-{n}", "type": "lead.assigned", "occurred_at": occurred_at,
            "crm": crm, "lead": {"external_id": f"{run}-L{n}", "email": f"lead{n}@example.com",
                                 "name": f"Bench Lead {n}", "source": "bench", "heat": "hot",
                                 "owner": owner}}


def hubspot_batch(run_no: int, batch_no: int, size: int = 100, owner: str = "81234567") -> list:
    """`size` notifications: creation and owner change for contacts of their own.

    HubSpot's eventId is numeric; run_no keeps ids unique across runs."""
    base = (run_no * 10_000_000 + batch_no * size) * 2
    occurred = int(time.time() * 1000)
    items = []
    for i in range(size):
        contact = 90_000_000_000 + base + i
        event = {"eventId": base + i, "subscriptionId": 2451240, "portalId": 44556677,
                 "appId": 1234567, "occurredAt": occurred, "attemptNumber": 0,
                 "objectId": contact, "changeSource": "CRM_UI", "sourceId": "userId:9876543"}
        if i % 2:
            event.update(subscriptionType="contact.propertyChange",
                         propertyName="hubspot_owner_id", propertyValue=owner)
        else:
            event.update(subscriptionType="contact.creation", changeFlag="CREATED")
        items.append(event)
    return items


def dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))
