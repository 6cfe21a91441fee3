"""Escalation scenarios shared by the latency benchmark and the long drills.

`prepare()` opens N handoffs through the real event path whose first touch falls due
at chosen instants (manager at breach, Slack); `tally()` matches what the loopback
Slack sink received to the escalation rows: expected, delivered, duplicates, and the
latency of each message after its due time.
"""

from __future__ import annotations

import statistics
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

from bench import stack

SLA_MINUTES = 15
MANAGER_AT_BREACH = [{"at_percent": 100, "notify": "manager", "channel": "slack"}]


def clean() -> None:
    """Empty the bench database's slawatch rows and the broker."""
    stack.psql("TRUNCATE leads_lead, people_team, people_person, ingest_crmevent, "
               "ingest_pollcursor CASCADE")
    subprocess.run(["redis-cli", "-p", str(stack.REDIS_PORT), "FLUSHALL"], capture_output=True)


def prepare(dues: list[datetime], run: str = "lat") -> None:
    """One handoff per due instant (handed off SLA_MINUTES before it)."""
    from bench import seed
    from slawatch.leads.events import DomainEvent
    from slawatch.leads.models import SlaPolicy
    from slawatch.leads.services import apply_events

    seed.cast()
    SlaPolicy.objects.filter(heat="hot", team=None).update(
        first_touch_minutes=SLA_MINUTES, steps=MANAGER_AT_BREACH)
    events = []
    for n, due in enumerate(dues):
        handed = (due - timedelta(minutes=SLA_MINUTES)).astimezone(UTC)
        events.append(DomainEvent.parse({
            "event_id": f"{run}-{n}", "type": "lead.assigned", "crm": "bench-crm",
            "occurred_at": handed.isoformat(timespec="milliseconds"),
            "lead": {"external_id": f"{run}-L{n}", "name": f"Lead {n}", "heat": "hot",
                     "owner": "rep-1"}}))
    for start in range(0, len(events), 200):
        apply_events(events[start:start + 200])


def handoff_of(message) -> int | None:
    """The handoff a Slack message is about (its buttons carry `handoff:<id>`)."""
    body = message.body if isinstance(message.body, dict) else {}
    for block in body.get("blocks", []):
        if block.get("type") == "actions":
            return int(block["elements"][0]["value"].split(":")[1])
    return None


def tally(sink) -> dict:
    from slawatch.escalation.models import Escalation, EscalationStatus

    rows = list(Escalation.objects.values_list("handoff_id", "due_at", "status"))
    due_by_handoff = {h: d for h, d, _ in rows}
    delivered = sink.delivered()
    per_handoff = Counter(handoff_of(m) for m in delivered)
    latencies = sorted(m.at - due_by_handoff[handoff_of(m)].timestamp() for m in delivered
                       if handoff_of(m) in due_by_handoff)
    out = {"escalation_rows": len(rows),
           "rows_sent": sum(1 for *_, s in rows if s == EscalationStatus.SENT),
           "rows_not_sent": dict(Counter(s for *_, s in rows if s != EscalationStatus.SENT)),
           "slack_posts": len(sink.received), "delivered": len(delivered),
           "delivered_distinct": len(per_handoff),
           "duplicates": sum(c - 1 for c in per_handoff.values())}
    if latencies:
        out["latency_s"] = percentiles(latencies)
    return out


def percentiles(values: list[float]) -> dict:
    values = sorted(values)

    def pct(p):
        return round(values[min(len(values) - 1, int(p / 100 * len(values)))], 2)
    return {"n": len(values), "min": round(values[0], 2), "p50": pct(50), "p90": pct(90),
            "p99": pct(99), "max": round(values[-1], 2),
            "mean": round(statistics.fmean(values), 2)}
