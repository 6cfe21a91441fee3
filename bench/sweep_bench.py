"""Benchmark 2 (sweep cost against scale) and the worker half of benchmark 5 (memory).

Grows the bench database to 10k, 100k and 1M open handoffs (each with its lead and
first-touch milestone, copied from one real handoff with INSERT … SELECT
generate_series). At each scale, 0.1 % of them are due (the manager-at-breach step
fires for each), and the real `slawatch.escalation.sweep.sweep()` claims and
evaluates them; repeated, medians reported. A second variant keeps 10 rows due at
every scale, so the cost of the open rows alone shows. Database time is summed from
every query the sweep runs (connection.execute_wrapper).

Finally, at 1M, a real Celery worker runs the beat's sweep task with the loopback
Slack sink receiving the deliveries: its peak RSS, and escalations expected =
delivered, no duplicates.

    .venv/bin/python -m bench.sweep_bench [--repeat 5] [--scales 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from bench import djsetup, stack

PREFIX = "B"


@contextmanager
def db_timer(acc: dict):
    from django.db import connection

    def wrapper(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            acc["db_s"] += time.perf_counter() - t0
            acc["queries"] += 1

    with connection.execute_wrapper(wrapper):
        yield


def reset(due_ids: list[int], parked_ids: list[int]) -> None:
    """Make `due_ids` due 10 s ago (nothing fired but the 50 % warning), park the others."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE escalation_escalation CASCADE")  # and its attempts
        cur.execute("UPDATE leads_handoff SET next_due_at = now() - interval '10 seconds', "
                    "status = 'open', breached_at = NULL WHERE id = ANY(%s)", [due_ids])
        cur.execute("UPDATE leads_milestone SET due_at = now() - interval '10 seconds', "
                    "started_at = now() - interval '10 seconds' - interval '15 minutes', "
                    "fired = '{\"0\": 1}'::jsonb, breached_at = NULL WHERE handoff_id = ANY(%s)",
                    [due_ids])
        if parked_ids:
            cur.execute("UPDATE leads_handoff SET next_due_at = now() + interval '2 days' "
                        "WHERE id = ANY(%s)", [parked_ids])
        cur.execute("VACUUM ANALYZE leads_handoff")


def due_set(limit_g: int) -> list[int]:
    from django.db import connection

    g = f"CAST(substring(l.external_id from {len(PREFIX) + 1}) AS bigint)"
    with connection.cursor() as cur:
        cur.execute(f"SELECT h.id FROM leads_handoff h JOIN leads_lead l ON l.id = h.lead_id "
                    f"WHERE l.external_id LIKE '{PREFIX}%%' AND {g} %% 1000 = 0 "
                    f"AND {g} <= %s ORDER BY {g}", [limit_g])
        return [row[0] for row in cur.fetchall()]


def measure(due_ids, parked_ids, repeat: int) -> dict:
    from slawatch.escalation.sweep import due_candidates, sweep
    from django.utils import timezone

    totals, dbs, cands, idles, queries, escalations = [], [], [], [], [], []
    for run in range(repeat + 1):
        reset(due_ids, parked_ids)
        acc = {"db_s": 0.0, "queries": 0}
        t0 = time.perf_counter()
        with db_timer(acc):
            result = sweep()
        if run == 0:
            continue  # warm-up: first imports, calendar cache, broker connection
        totals.append(time.perf_counter() - t0)
        dbs.append(acc["db_s"])
        queries.append(acc["queries"])
        escalations.append(result.escalations)
        assert result.claimed == len(due_ids), (result, len(due_ids))
        t0 = time.perf_counter()
        due_candidates(timezone.now(), 500)
        cands.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sweep()  # nothing due now: the idle cost every beat tick pays
        idles.append(time.perf_counter() - t0)
    med = statistics.median
    return {"due": len(due_ids), "sweep_ms": round(med(totals) * 1000, 2),
            "sweep_ms_runs": [round(x * 1000, 1) for x in totals],
            "db_ms": round(med(dbs) * 1000, 2), "queries": med(queries),
            "per_due_ms": round(med(totals) * 1000 / max(1, len(due_ids)), 3),
            "escalations": med(escalations),
            "candidates_query_ms": round(med(cands) * 1000, 2),
            "idle_sweep_ms": round(med(idles) * 1000, 2)}


def grow(template, have: int, want: int) -> None:
    from bench.seed import clone_handoffs
    from django.db import connection

    t0 = time.perf_counter()
    clone_handoffs(template, have + 1, want, PREFIX, due_sql="now() + interval '3 days'",
                   not_due_sql="now() + (1440 + mod({g}, 1440)) * interval '1 minute'")
    with connection.cursor() as cur:
        cur.execute("ANALYZE leads_lead; ANALYZE leads_handoff; ANALYZE leads_milestone")
    print(f"  generated {want - have} handoffs in {time.perf_counter() - t0:.1f} s", flush=True)


def worker_run(due_ids, expected: int, limit_s: float = 180) -> dict:
    """The beat's sweep task in a real worker, deliveries to the loopback Slack sink."""
    from bench.sink import SlackSink
    from config.celery import app
    from slawatch.escalation.models import Escalation

    reset(due_ids, [])
    with SlackSink(port=stack.SINK_PORT) as sink, stack.Procs() as procs:
        procs.worker(concurrency=1)
        time.sleep(2)  # let the worker connect before the task is sent (bounded, once)
        t0 = time.monotonic()
        app.send_task("slawatch.escalation.tasks.sweep_due")
        while time.monotonic() - t0 < limit_s and len(sink.delivered()) < expected:
            time.sleep(0.5)
        took = time.monotonic() - t0
        rss = {pid: stack.peak_rss_kib(pid) for pid in procs.children("worker")}
        rss[procs.procs["worker"].pid] = stack.peak_rss_kib(procs.procs["worker"].pid)
        time.sleep(1)  # a duplicate sent late would land now
        delivered = sink.delivered()
    keys = Counter(json.dumps(r.body, sort_keys=True) for r in delivered)
    return {"expected": expected, "escalation_rows": Escalation.objects.count(),
            "delivered": len(delivered), "duplicates": sum(c - 1 for c in keys.values()),
            "seconds": round(took, 1),
            "worker_peak_rss_mib": {str(k): round(v / 1024, 1) for k, v in rss.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scales", default="10000,100000,1000000")
    parser.add_argument("--no-worker", action="store_true")
    args = parser.parse_args(argv)
    scales = [int(x) for x in args.scales.split(",")]
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    stack.psql("TRUNCATE leads_lead, people_team, people_person CASCADE")
    subprocess.run(["redis-cli", "-p", str(stack.REDIS_PORT), "FLUSHALL"], capture_output=True)
    djsetup.setup()
    from django.utils import timezone

    from bench import seed
    from slawatch.leads.models import Handoff

    seed.cast()
    template = seed.template_handoff("TPL", timezone.now() - timedelta(hours=1))
    Handoff.objects.filter(pk=template.pk).update(next_due_at=None)
    results, have = {}, 0
    for scale in scales:
        grow(template, have, scale)
        have = scale
        due = due_set(scale)
        results[scale] = {"pct": measure(due, [], args.repeat),
                          "fixed10": measure(due[:10], due[10:], args.repeat)}
        print(f"{scale:>9} open: {json.dumps(results[scale])}", flush=True)
    base, top = results[scales[0]], results[scales[-1]]
    summary = {
        "scales": results,
        "ratio_fixed10_sweep_top_vs_base": round(
            top["fixed10"]["sweep_ms"] / base["fixed10"]["sweep_ms"], 2),
        "ratio_per_due_top_vs_base": round(
            top["pct"]["per_due_ms"] / base["pct"]["per_due_ms"], 2),
        "ratio_idle_top_vs_base": round(
            top["pct"]["idle_sweep_ms"] / base["pct"]["idle_sweep_ms"], 2),
    }
    if not args.no_worker:
        due = due_set(scales[-1])
        summary["worker"] = worker_run(due, expected=len(due))
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
