"""Reads for health and metrics: small aggregate queries, cheap enough for every scrape."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q

from slawatch.escalation.models import Escalation
from slawatch.ingest.models import CrmEvent, CrmEventStatus, PollCursor
from slawatch.leads.models import Handoff
from slawatch.ops.models import Counter, Heartbeat


def sweep_lag_seconds(now: datetime) -> float:
    """How late the sweep is: now minus the oldest timer that is already due (0 if none).

    Uses the partial index on next_due_at, so it costs the same at any table size.
    """
    oldest = Handoff.objects.filter(next_due_at__lte=now).aggregate(m=Min("next_due_at"))["m"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def open_handoffs_by_heat() -> dict[str, int]:
    rows = Handoff.objects.filter(closed_at__isnull=True).values("heat").annotate(n=Count("id"))
    return {row["heat"]: row["n"] for row in rows}


def inbox_by_source() -> dict[str, dict[str, int]]:
    """source -> {received, processed, failed, pending} from the CrmEvent inbox."""
    rows = CrmEvent.objects.values("source").annotate(
        received=Count("id"),
        processed=Count("id", filter=Q(status=CrmEventStatus.PROCESSED)),
        failed=Count("id", filter=Q(status=CrmEventStatus.FAILED)),
        pending=Count("id", filter=Q(status=CrmEventStatus.PENDING)),
    )
    return {row.pop("source"): row for row in rows}


def escalations_by_channel_status() -> dict[tuple[str, str], int]:
    rows = Escalation.objects.values("channel", "status").annotate(n=Count("id"))
    return {(row["channel"], row["status"]): row["n"] for row in rows}


def poll_cursor_ages(now: datetime) -> dict[str, float]:
    """stream -> seconds since the newest change the poll has safely stored."""
    ages = {}
    for stream, position, last_run in PollCursor.objects.values_list(
            "stream", "position", "last_run_at"):
        reference = position or last_run
        if reference is not None:
            ages[stream] = max(0.0, (now - reference).total_seconds())
    return ages


def counters(name: str) -> dict[str, int]:
    return dict(Counter.objects.filter(name=name).values_list("label", "value"))


def heartbeat(name: str):
    return Heartbeat.objects.filter(name=name).first()
