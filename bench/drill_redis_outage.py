"""Drill 2: Redis stopped for 60 s while webhooks keep arriving, then restarted.

gunicorn, a worker and beat run against the bench stack. A sender posts signed generic
events (one per request, ~10/s) for the whole drill: 20 s with Redis up, 60 s with it
stopped (its queued messages are lost: no persistence), 30 s after its restart. Then
the drill waits (bounded) for the inbox to settle. Counts: events posted = answered 2xx
= stored = processed = leads with a handoff; and webhook latency in each phase.

    .venv/bin/python -m bench.drill_redis_outage [--up 20] [--down 60] [--after 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time

from bench import djsetup, scenario, signing, stack
from bench.scenario import percentiles


class Sender(threading.Thread):
    def __init__(self, run: str, rate: float):
        super().__init__(daemon=True)
        self.run_id, self.interval = run, 1.0 / rate
        self.stop_at = None
        self.phase = "up"
        self.results: list[tuple[str, int, float]] = []  # (phase, status, seconds)

    def run(self):
        conn, n = None, 0
        while self.stop_at is None or time.time() < self.stop_at:
            started = time.time()
            body = signing.dumps(signing.generic_event(self.run_id, n)).encode()
            status = 0
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", stack.WEB_PORT, timeout=30)
                conn.request("POST", "/webhooks/events/", body,
                             signing.generic_headers(stack.EVENTS_SECRET, body))
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn = None
            self.results.append((self.phase, status, time.time() - started))
            n += 1
            time.sleep(max(0.0, self.interval - (time.time() - started)))


def count(where: str) -> int:
    return int(stack.psql(f"SELECT count(*) FROM ingest_crmevent WHERE {where}").strip())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--up", type=float, default=20)
    parser.add_argument("--down", type=float, default=60)
    parser.add_argument("--after", type=float, default=30)
    parser.add_argument("--rate", type=float, default=10)
    args = parser.parse_args(argv)
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    scenario.clean()
    djsetup.setup()
    from bench import seed

    seed.cast()
    run = f"redis{int(time.time())}"
    sender = Sender(run, args.rate)
    with stack.Procs() as procs:
        procs.web()
        procs.worker(concurrency=2)
        procs.beat()
        sender.start()
        stack.supervised_sleep(procs, args.up)
        sender.phase = "down"
        stack.redis_stop()
        stack.supervised_sleep(procs, args.down)
        stack.redis_start()
        sender.phase = "after"
        sender.stop_at = time.time() + args.after
        stack.supervised_sleep(procs, args.after + 2)
        sender.join(60)
        where = f"event_id LIKE '%{run}-%'"
        t0 = time.time()
        stack.supervised_sleep(procs, 300, until=lambda: count(
            where + " AND status='processed'") >= count(where))
        settle = time.time() - t0
        restarts = dict(procs.restarts)
    posted = len(sender.results)
    accepted = sum(1 for _, s, _ in sender.results if 200 <= s < 300)
    phases = {}
    for phase in ("up", "down", "after"):
        rows = [(s, t) for p, s, t in sender.results if p == phase]
        phases[phase] = {"posted": len(rows), "2xx": sum(1 for s, _ in rows if 200 <= s < 300),
                         "other": sorted({s for s, _ in rows if not 200 <= s < 300}),
                         "latency_s": percentiles([t for _, t in rows]) if rows else None}
    leads = int(stack.psql(f"SELECT count(DISTINCT l.id) FROM leads_lead l JOIN leads_handoff h "
                           f"ON h.lead_id = l.id WHERE l.external_id LIKE '{run}-L%'").strip())
    summary = {"posted": posted, "accepted_2xx": accepted, "stored": count(where),
               "processed": count(where + " AND status='processed'"),
               "leads_with_handoff": leads, "settle_s_after_last_post": round(settle, 1),
               "process_restarts": restarts,
               "phases": phases}
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "drill-redis-outage.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
