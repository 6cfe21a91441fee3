"""Reads about the inbox and the polls, for the admin."""

from django.db.models import Count

from slawatch.ingest.models import CrmEvent, CrmEventStatus, Source

POLL_SOURCES = {"hubspot": Source.HUBSPOT_POLL, "salesforce": Source.SALESFORCE_POLL}


def polled_events_waiting_by_crm() -> dict[str, int]:
    """CRM -> polled records stored but not yet processed (a first sync's backlog)."""
    rows = CrmEvent.objects.filter(status=CrmEventStatus.PENDING,
                                   source__in=POLL_SOURCES.values()).values("source").annotate(
        n=Count("pk"))
    crm_of = {source: crm for crm, source in POLL_SOURCES.items()}
    return {crm_of[row["source"]]: row["n"] for row in rows}


def polled_events_waiting(stream: str) -> int:
    """Polled records of the stream's CRM still waiting to be processed."""
    return polled_events_waiting_by_crm().get(stream.split(":", 1)[0], 0)
