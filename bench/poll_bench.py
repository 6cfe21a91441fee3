"""Benchmark 4: onboarding a portal — a first HubSpot poll of 50,000 contacts and
100,000 engagements, until every contact is a lead with its handoff.

The loopback fake (bench/hubspot_fake.py) holds the contacts, modified over the last
23 hours (inside the poller's first-run lookback), and their calls, emails and
meetings; it enforces HubSpot's 200-per-page, 10,000-results-per-query, 1,000-per-
association-read and 5-requests-per-second limits. Real Celery workers (`-c 2`) and
beat run on the bench stack while slawatch's own poller (`pollers.poll_hubspot` with
its HubSpotClient) runs once from an empty cursor in this process, then once more (the
next incremental poll).

Figures: poll time, API calls (and 429s) against the minimum, and the time until every
polled record is processed (every contact a lead with its handoff, every engagement a
touch), against the rate-limited minimum poll time: (contact pages + engagement pages
+ one association read per engagement page) / 5 requests a second. Goal: within 1.2x.

    .venv/bin/python -m bench.poll_bench [--contacts 50000] [--engagements 100000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter

from bench import djsetup, stack
from bench.hubspot_fake import PAGE_MAX, RATE_PER_S, HubSpotFake

HEAT = {"HUBSPOT_HEAT_PROPERTY": "lead_heat"}  # the fake's contacts are hot


def run_poll(fake) -> dict:
    from slawatch.ingest.clients import HubSpotClient
    from slawatch.ingest.pollers import poll_hubspot

    before = len(fake.calls)
    t0 = time.perf_counter()
    stored = poll_hubspot(HubSpotClient(fake.url, "bench-token"))
    took = time.perf_counter() - t0
    calls = fake.calls[before:]
    by_kind = Counter(("contacts" if "/contacts/search" in path else
                       "associations" if "/associations/" in path else "engagements", status)
                      for _, path, status in calls)
    return {"seconds": round(took, 1), "stored": stored, "calls": len(calls),
            "contacts_calls": by_kind[("contacts", 200)],
            "engagement_calls": by_kind[("engagements", 200)],
            "association_calls": by_kind[("associations", 200)],
            "rate_limited_429": sum(1 for _, _, s in calls if s == 429),
            "other_errors": sum(1 for _, _, s in calls if s not in (200, 429)),
            "requests_per_s": round(len(calls) / took, 2) if took else None}


def backlog() -> tuple[int, int]:
    out = stack.psql("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) "
                     "FROM ingest_crmevent WHERE source = 'hubspot-poll'").strip()
    pending, total = (int(x) for x in out.split("|"))
    return pending, total


def wait_processed(t0: float, limit_s: float) -> float | None:
    """Seconds since t0 when no polled record is pending any more (None: gave up)."""
    while time.perf_counter() - t0 < limit_s:
        if backlog()[0] == 0:
            return time.perf_counter() - t0
        time.sleep(0.5)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--engagements", type=int, default=100_000)
    args = parser.parse_args(argv)
    stack.servers_up()
    with stack.Procs(HEAT) as procs:
        procs.manage("migrate", "--noinput")
        stack.psql("TRUNCATE ingest_pollcursor, ingest_crmevent, leads_lead CASCADE")
        procs.manage("shell", "-c", "from bench.seed import cast; cast()")
        djsetup.setup(**HEAT)
        procs.worker()
        procs.beat()
        time.sleep(5)  # the workers are up before the clock starts

        with HubSpotFake(args.contacts, span_ms=23 * 3600 * 1000,
                         engagements=args.engagements) as fake:
            t0 = time.perf_counter()
            full = run_poll(fake)
            done = wait_processed(t0, limit_s=3600)
            pending_after, polled = backlog()
            again = run_poll(fake)
        leads = int(stack.psql("SELECT count(*) FROM leads_lead WHERE crm = 'hubspot'"))
        with_handoff = int(stack.psql(
            "SELECT count(DISTINCT lead_id) FROM leads_handoff h JOIN leads_lead l "
            "ON l.id = h.lead_id WHERE l.crm = 'hubspot'"))
        touches = int(stack.psql("SELECT count(*) FROM leads_touch t JOIN leads_lead l "
                                 "ON l.id = t.lead_id WHERE l.crm = 'hubspot'"))
        met = int(stack.psql("SELECT count(*) FROM leads_handoff h JOIN leads_lead l "
                             "ON l.id = h.lead_id WHERE l.crm = 'hubspot' AND h.status = 'met'"))
        first_sync = stack.psql("SELECT stream, sync_stored, sync_total, first_synced_at IS NOT NULL "
                                "FROM ingest_pollcursor ORDER BY stream").split()
        worker_rss = {pid: stack.peak_rss_kib(pid) for pid in procs.children("worker")}

    pages = math.ceil(args.contacts / PAGE_MAX) + sum(
        math.ceil(len(rows) / PAGE_MAX) for rows in fake.engagements.values())
    association_reads = sum(math.ceil(len(rows) / PAGE_MAX) for rows in fake.engagements.values())
    minimum_calls = pages + association_reads
    minimum_seconds = minimum_calls / RATE_PER_S
    summary = {
        "contacts": args.contacts, "engagements": args.engagements,
        "minimum_calls": minimum_calls, "minimum_poll_seconds_at_5_per_s": minimum_seconds,
        "first_poll": full, "next_poll": again,
        "polled_records_stored": polled, "pending_after": pending_after,
        "all_processed_seconds_from_poll_start": round(done, 1) if done else None,
        "processed_over_minimum_poll": round(done / minimum_seconds, 3) if done else None,
        "poll_over_minimum_poll": round(full["seconds"] / minimum_seconds, 3),
        "calls_over_minimum": round(full["calls"] / minimum_calls, 3),
        "leads": leads, "leads_with_handoff": with_handoff, "touches": touches,
        "handoffs_met": met, "cursors": first_sync,
        "worker_peak_rss_mib": {str(k): round(v / 1024, 1) for k, v in worker_rss.items()},
    }
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "poll.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
