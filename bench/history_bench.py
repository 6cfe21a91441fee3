"""Benchmark: the cost of one more event against the lead's history.

As a new user would try it: the embedded default (SQLite, one process), no server. A
lead with 10 prior events and one with 1,000 (an owner change every tenth event, heat
changes and touches between; 100 handoffs), then one more touch on each, applied
through `apply_events` exactly as the inbox does. Figures: median and p90 of
`--repeat` applications per lead (each a new, later touch), and their ratio (goal:
1,000 prior events within 1.5x the cost of 10).

    .venv/bin/python -m bench.history_bench [--repeat 50] [--sizes 10,1000]

It makes a throwaway SQLite database under var/bench/ (or uses DATABASE_URL if set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DATABASE_URL" not in os.environ:
        db = ROOT / "var" / "bench" / "history.sqlite3"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("SECRET_KEY", "history-bench-" + "x" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def parse(event_id, type_, when, external_id, **extra):
    from slawatch.leads.events import DomainEvent

    lead = {"external_id": external_id, **extra.pop("lead", {})}
    return DomainEvent.parse({"event_id": event_id, "type": type_, "occurred_at": when.isoformat(),
                              "crm": "bench-crm", "lead": lead, **extra})


def history(external_id: str, size: int) -> list:
    events, owner = [], None
    for n in range(size):
        when = START + timedelta(minutes=10 * n)
        if n % 10 == 0:
            owner = "rep-1" if n % 20 == 0 else "rep-2"
            events.append(parse(f"{external_id}-{n}", "lead.assigned", when, external_id,
                                lead={"owner": owner, "heat": "hot", "name": external_id}))
        elif n % 10 == 5:
            events.append(parse(f"{external_id}-{n}", "lead.heat_changed", when, external_id,
                                lead={"heat": "warm"}))
        else:
            events.append(parse(f"{external_id}-{n}", "lead.touched", when, external_id,
                                touch={"kind": "call", "by": owner}))
    return events


def cast() -> None:
    from slawatch.leads.models import SlaPolicy
    from slawatch.people.models import CrmIdentity, Person, Team

    team = Team.objects.create(name="History bench")
    for owner in ("rep-1", "rep-2"):
        person = Person.objects.create(name=f"Rep {owner}", team=team)
        CrmIdentity.objects.create(person=person, crm="bench-crm", owner_id=owner)
    SlaPolicy.objects.create(heat="hot", first_touch_minutes=15, follow_up_touches=2,
                             follow_up_window_minutes=60,
                             steps=[{"at_percent": 50, "notify": "rep", "channel": "slack"}])
    SlaPolicy.objects.create(heat="warm", first_touch_minutes=60)


def measure(size: int, repeat: int) -> dict:
    from slawatch.leads.services import apply_events

    external_id = f"H{size}"
    began = time.perf_counter()
    apply_events(history(external_id, size))
    seeded = time.perf_counter() - began
    last = START + timedelta(minutes=10 * size)
    owner = "rep-1" if (size - 1) // 10 % 2 == 0 else "rep-2"
    timings = []
    for n in range(repeat + 3):  # three warm-ups
        event = parse(f"{external_id}-new-{n}", "lead.touched", last + timedelta(minutes=n),
                      external_id, touch={"kind": "email", "by": owner})
        t0 = time.perf_counter()
        apply_events([event])
        if n >= 3:
            timings.append(time.perf_counter() - t0)
    timings.sort()
    return {"prior_events": size, "seed_seconds": round(seeded, 2),
            "median_ms": round(statistics.median(timings) * 1000, 2),
            "p90_ms": round(timings[int(len(timings) * 0.9) - 1] * 1000, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--sizes", default="10,1000")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    cast()
    rows = [measure(int(size), args.repeat) for size in args.sizes.split(",")]
    summary = {"database": connection.vendor, "rows": rows,
               "ratio_largest_to_smallest": round(rows[-1]["median_ms"] / rows[0]["median_ms"], 2)}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
