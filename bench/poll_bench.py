"""Benchmark 4: a full incremental HubSpot poll of 50,000 changed contacts.

The loopback fake (bench/hubspot_fake.py) holds the contacts, modified over the last
23 hours (inside the poller's first-run lookback), enforces HubSpot's 200-per-page,
10,000-results-per-query and 5-requests-per-second limits. slawatch's own poller
(`slawatch.ingest.pollers.poll_hubspot` with its HubSpotClient) runs once from an
empty cursor, then once more (the next incremental poll). Figures: time, API calls
(and 429s) against the minimum ceil(N / 200), and contacts stored in the inbox.

    .venv/bin/python -m bench.poll_bench [--contacts 50000]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter

from bench import djsetup, stack
from bench.hubspot_fake import HubSpotFake


def run_poll(fake) -> dict:
    from slawatch.ingest.clients import HubSpotClient
    from slawatch.ingest.pollers import poll_hubspot

    before = len(fake.calls)
    t0 = time.perf_counter()
    stored = poll_hubspot(HubSpotClient(fake.url, "bench-token"))
    took = time.perf_counter() - t0
    calls = fake.calls[before:]
    by_kind = Counter(("contacts" if "/contacts/" in path else "engagements", status)
                      for _, path, status in calls)
    return {"seconds": round(took, 1), "stored": stored, "calls": len(calls),
            "contacts_calls": by_kind[("contacts", 200)],
            "engagement_calls": by_kind[("engagements", 200)],
            "rate_limited_429": sum(1 for _, _, s in calls if s == 429),
            "other_errors": sum(1 for _, _, s in calls if s not in (200, 429)),
            "requests_per_s": round(len(calls) / took, 2) if took else None}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    args = parser.parse_args(argv)
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    stack.psql("TRUNCATE ingest_pollcursor, ingest_crmevent")
    djsetup.setup()
    from slawatch.ingest.models import CrmEvent, Source

    with HubSpotFake(args.contacts, span_ms=23 * 3600 * 1000) as fake:
        full = run_poll(fake)
        again = run_poll(fake)
    distinct = CrmEvent.objects.filter(source=Source.HUBSPOT_POLL).count()
    minimum = math.ceil(args.contacts / 200)
    summary = {
        "contacts": args.contacts, "minimum_contact_calls": minimum,
        "first_poll": full, "next_poll": again,
        "contacts_stored_distinct": distinct,
        "calls_over_minimum": round(full["contacts_calls"] / minimum, 3),
        "minimum_seconds_at_5_per_s": minimum / 5,
    }
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "poll.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
