"""Reads for health and metrics: small aggregate queries, cheap enough for every scrape."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.db.models import Count, Min, Q

from slawatch.leads.models import Handoff


def _model(label):
    """A model another capability owns, or None while it does not exist (yet)."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


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
    model = _model("ingest.CrmEvent")
    if model is None:
        return {}
    rows = model.objects.values("source").annotate(
        received=Count("id"),
        processed=Count("id", filter=Q(status="processed")),
        failed=Count("id", filter=Q(status="failed")),
        pending=Count("id", filter=Q(status="pending")),
    )
    return {row.pop("source"): row for row in rows}


def escalations_by_channel_status() -> dict[tuple[str, str], int]:
    model = _model("escalation.Escalation")
    rows = model.objects.values("channel", "status").annotate(n=Count("id"))
    return {(row["channel"], row["status"]): row["n"] for row in rows}


def poll_cursor_ages(now: datetime) -> dict[str, float]:
    """stream -> seconds since the newest change the poll has safely stored."""
    model = _model("ingest.PollCursor")
    if model is None:
        return {}
    ages = {}
    for stream, position, last_run in model.objects.values_list("stream", "position",
                                                                 "last_run_at"):
        reference = position or last_run
        if reference is not None:
            ages[stream] = max(0.0, (now - reference).total_seconds())
    return ages


def counters(name: str) -> dict[str, int]:
    from slawatch.ops.models import Counter

    return dict(Counter.objects.filter(name=name).values_list("label", "value"))


def heartbeat(name: str):
    from slawatch.ops.models import Heartbeat

    return Heartbeat.objects.filter(name=name).first()
