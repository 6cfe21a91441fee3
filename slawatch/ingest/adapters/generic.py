"""The generic signed format: already the domain shape (docs/INGEST.md)."""

from __future__ import annotations

import json

from slawatch.ingest.adapters.common import (
    BadPayload,
    InboxItem,
    as_batch,
    dumps,
    parse_json,
)
from slawatch.leads.events import DomainEvent, EventError


def split(body: bytes) -> list[InboxItem]:
    """Validate the whole batch first: one bad element rejects all (nothing half-stored)."""
    payload = parse_json(body)
    elements = as_batch(payload)
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
