"""The generic signed format: already the domain shape (CONTRACT.md)."""

from __future__ import annotations

import json

from slawatch.ingest.adapters.common import BadPayload, InboxItem, dumps, parse_json
from slawatch.leads.events import DomainEvent, EventError

MAX_BATCH = 1000


def split(body: bytes) -> list[InboxItem]:
    """Validate the whole batch first: one bad element rejects all (nothing half-stored)."""
    payload = parse_json(body)
    elements = payload if isinstance(payload, list) else [payload]
    if not elements:
        raise BadPayload("body is an empty array")
    if len(elements) > MAX_BATCH:
        raise BadPayload(f"a batch holds at most {MAX_BATCH} events")
    items = []
    for index, element in enumerate(elements):
        try:
            event = DomainEvent.parse(element)
        except EventError as exc:
            where = f"event {index}: " if isinstance(payload, list) else ""
            raise BadPayload(f"{where}{exc}") from None
        items.append(InboxItem(event_id=f"{event.crm}:{element['event_id']}"[:255],
                               body=dumps(element)))
    return items


def to_events(body: str) -> list[DomainEvent]:
    return [DomainEvent.parse(json.loads(body))]
