"""Benchmark 1 (ingest) and the web half of benchmark 5 (memory).

For each round, each connection count (16, 64) and each kind (generic: one event a
request; HubSpot: 100 notifications a request), wrk replays the same pre-signed
requests at slawatch's webhook and at the bare ceiling view, back to back on the same
gunicorn (`-w 2`, sync). Order alternates between rounds. Figures: events/s accepted
(2xx), p50/p99, slawatch/ceiling; then rows counted (every accepted event stored).

The worker is stopped while wrk runs (on 2 cores it would compete with the web
processes only during slawatch's turn, which would flatter the ceiling).

Then the processing check: wrk posts generic events on distinct leads for
`--process-seconds` (16 connections, worker stopped: the accepted rate), then real
workers (`-c 2`) and beat drain that backlog; the sustained processing rate (events
processed per second between the first and the last `processed_at`) is compared with
that accepted rate, in the same run (goal: at least 0.7). Last, a fixed batch of
events is posted and drained: received = stored = processed.

    .venv/bin/python -m bench.ingest_bench [--rounds 3] [--seconds 10] [--process-seconds 20]
    .venv/bin/python -m bench.ingest_bench --rounds 0     # the processing and drain checks only
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench import loadgen, signing, stack

KINDS = {
    # kind: (slawatch path, ceiling path, events per request, requests to pre-sign)
    "generic": ("/webhooks/events/", "/bench/ceiling/event/", 1, 45_000),
    "hubspot": ("/webhooks/hubspot/", "/bench/ceiling/batch/", 100, 5_000),
}


def count(table: str, where: str = "TRUE") -> int:
    return int(stack.psql(f"SELECT count(*) FROM {table} WHERE {where}").strip())


def one_pair(kind: str, run_no: int, conns: int, seconds: int, ceiling_first: bool) -> dict:
    slawatch_path, ceiling_path, per_request, n = KINDS[kind]
    path = loadgen.scratch(f"{kind}.txt")
    if kind == "generic":
        loadgen.write_generic(path, f"r{run_no}", n)
    else:
        loadgen.write_hubspot(path, run_no, n)
    source = "generic" if kind == "generic" else "hubspot"
    before = count("ingest_crmevent", f"source='{source}'")
    order = [("ceiling", ceiling_path), ("slawatch", slawatch_path)]
    if not ceiling_first:
        order.reverse()
    out = {}
    for name, url_path in order:
        out[name] = loadgen.wrk(path, url_path, connections=conns, seconds=seconds)
        out[name]["events_per_s"] = out[name]["rps"] * per_request
    stored = count("ingest_crmevent", f"source='{source}'") - before
    accepted = out["slawatch"]["ok"] * per_request
    wrapped = out["slawatch"]["wrapped"]
    out["stored"], out["accepted_events"] = stored, accepted
    # In-flight requests when wrk stops are stored but not counted as accepted,
    # so stored >= accepted; a lost event would show as stored < accepted.
    out["lost"] = max(0, accepted - stored) if not wrapped else None
    out["ratio"] = out["slawatch"]["events_per_s"] / out["ceiling"]["events_per_s"]
    return out


def warm_up(seconds: int = 3) -> None:
    for kind, (slawatch_path, ceiling_path, _, _) in KINDS.items():
        path = loadgen.scratch(f"warm-{kind}.txt")
        if kind == "generic":
            loadgen.write_generic(path, f"warm{int(time.time())}", 8000)
        else:
            loadgen.write_hubspot(path, 999, 400)
        for url_path in (slawatch_path, ceiling_path):
            loadgen.wrk(path, url_path, connections=16, seconds=seconds)


def post_fixed(count_: int, run: str) -> int:
    """Post `count_` signed generic events over keep-alive connections; returns 2xx."""
    def send(chunk):
        conn, ok = http.client.HTTPConnection("127.0.0.1", stack.WEB_PORT, timeout=30), 0
        for n in chunk:
            body = signing.dumps(signing.generic_event(run, n)).encode()
            conn.request("POST", "/webhooks/events/", body,
                         signing.generic_headers(stack.EVENTS_SECRET, body))
            resp = conn.getresponse()
            resp.read()
            ok += 200 <= resp.status < 300
        conn.close()
        return ok
    chunks = [range(i, count_, 8) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(send, chunks))


def processing_check(procs: stack.Procs, seconds: int, limit_s: float = 900) -> dict:
    """Accept generic events on distinct leads with the worker stopped, then let real
    workers drain them; compare the sustained processing rate with the accepted rate."""
    flush()
    # the bench's rep and policy, so every event opens a handoff with its milestone
    procs.manage("shell", "-c", "from bench.seed import cast; cast()")
    run = f"proc{int(time.time())}"
    path = loadgen.scratch("process.txt")
    loadgen.write_generic(path, run, 60_000)
    accepted = loadgen.wrk(path, "/webhooks/events/", connections=16, seconds=seconds)
    accepted_rate = accepted["ok"] / accepted["seconds"]
    where = f"source='generic' AND event_id LIKE '%{run}-%'"
    stored = count("ingest_crmevent", where)
    t0 = time.monotonic()
    procs.worker()
    procs.beat()
    processed, took = wait_processed(where, stored, t0, limit_s, every=1)
    stored = count("ingest_crmevent", where)  # requests in flight when wrk stopped included
    span = float(stack.psql(
        "SELECT EXTRACT(EPOCH FROM max(processed_at) - min(processed_at)) FROM ingest_crmevent "
        f"WHERE {where} AND status='processed'").strip() or 0)
    handoffs = count("leads_handoff h JOIN leads_lead l ON l.id = h.lead_id",
                     f"l.external_id LIKE '{run}-L%'")
    sustained = processed / span if span else None
    return {"accepted": accepted["ok"], "accepted_events_per_s": round(accepted_rate, 1),
            "non_2xx": accepted["bad"], "stored": stored, "processed": processed,
            "handoffs": handoffs, "wall_seconds_from_worker_start": round(took, 1),
            "processing_seconds_first_to_last": round(span, 1),
            "processed_events_per_s": round(sustained, 1) if sustained else None,
            "processed_over_accepted": round(sustained / accepted_rate, 3) if sustained else None}


def wait_processed(where: str, stored: int, t0: float, limit_s: float,
                   every: float) -> tuple[int, float]:
    """Poll (bounded by limit_s from t0) until the `stored` events are processed: how many
    were, and the seconds since t0."""
    processed = 0
    while time.monotonic() - t0 < limit_s:
        processed = count("ingest_crmevent", where + " AND status='processed'")
        if processed >= stored:
            break
        time.sleep(every)
    return processed, time.monotonic() - t0


def drain_check(procs: stack.Procs, run: str, n: int, limit_s: float = 300) -> dict:
    """Post n events to the running worker, wait (bounded) until every one is processed."""
    flush()  # the measured runs' backlog is counted already; drain a clean inbox
    accepted = post_fixed(n, run)
    where = f"source='generic' AND event_id LIKE '%{run}-%'"
    stored = count("ingest_crmevent", where)
    t0 = time.monotonic()
    if "worker" not in procs.procs:
        procs.worker()
        procs.beat()
    processed, took = wait_processed(where, stored, t0, limit_s, every=0.5)
    leads = count("leads_lead", f"external_id LIKE '{run}-L%'")
    return {"posted": n, "accepted": accepted, "stored": stored, "processed": processed,
            "leads": leads, "drain_seconds": round(took, 1),
            "events_per_s_processed": round(processed / took, 1)}


def summarize(results: list[dict]) -> dict:
    table = {}
    for item in results:
        key = (item["kind"], item["conns"])
        table.setdefault(key, []).append(item)
    summary = {}
    for (kind, conns), items in sorted(table.items()):
        med = statistics.median
        summary[f"{kind}@{conns}"] = {
            "slawatch_events_per_s": round(med(i["slawatch"]["events_per_s"] for i in items)),
            "ceiling_events_per_s": round(med(i["ceiling"]["events_per_s"] for i in items)),
            "ratio_median": round(med(i["ratio"] for i in items), 3),
            "ratios": [round(i["ratio"], 3) for i in items],
            "slawatch_p50_ms": round(med(i["slawatch"]["p50_ms"] for i in items), 1),
            "slawatch_p99_ms": round(med(i["slawatch"]["p99_ms"] for i in items), 1),
            "ceiling_p50_ms": round(med(i["ceiling"]["p50_ms"] for i in items), 1),
            "ceiling_p99_ms": round(med(i["ceiling"]["p99_ms"] for i in items), 1),
            "non_2xx": sum(i["slawatch"]["bad"] for i in items),
            "accepted_events": sum(i["accepted_events"] for i in items),
            "stored_events": sum(i["stored"] for i in items),
            "lost": sum(i["lost"] or 0 for i in items),
        }
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--drain", type=int, default=1000, help="events for the drain check")
    parser.add_argument("--process-seconds", type=int, default=20,
                        help="seconds of accepted events the processing check drains")
    args = parser.parse_args(argv)
    stack.servers_up()
    results = []
    with stack.Procs() as procs:
        procs.manage("migrate", "--noinput")
        flush()
        procs.web(workers=2)
        warm_up()
        for rnd in range(args.rounds):
            for conns in (16, 64):
                for kind in KINDS:
                    run_no = int(time.time()) % 100_000 * 10 + rnd
                    res = one_pair(kind, run_no, conns, args.seconds, ceiling_first=rnd % 2 == 0)
                    res.update(kind=kind, conns=conns, round=rnd)
                    results.append(res)
                    print(f"round {rnd} {kind:7} c={conns:2}: slawatch "
                          f"{res['slawatch']['events_per_s']:8.0f} ev/s p50 "
                          f"{res['slawatch']['p50_ms']:6.1f} p99 {res['slawatch']['p99_ms']:6.1f} ms"
                          f" | ceiling {res['ceiling']['events_per_s']:8.0f} ev/s p50 "
                          f"{res['ceiling']['p50_ms']:6.1f} p99 {res['ceiling']['p99_ms']:6.1f} ms"
                          f" | ratio {res['ratio']:.2f} | accepted {res['accepted_events']}"
                          f" stored {res['stored']} non-2xx {res['slawatch']['bad']}", flush=True)
        web_rss = {pid: stack.peak_rss_kib(pid) for pid in procs.children("web")}
        processing = processing_check(procs, args.process_seconds)
        generic = [r["slawatch"]["events_per_s"] for r in results
                   if r["kind"] == "generic" and r["conns"] == 16]
        if generic and processing["processed_events_per_s"]:
            processing["processed_over_rounds_generic_16"] = round(
                processing["processed_events_per_s"] / statistics.median(generic), 3)
        print(f"processing: {json.dumps(processing)}", flush=True)
        drain = drain_check(procs, f"drain{int(time.time())}", args.drain)
    summary = {"runs": summarize(results), "web_worker_peak_rss_mib":
               {str(k): round(v / 1024, 1) for k, v in web_rss.items()},
               "processing": processing, "drain": drain}
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps({"summary": summary, "raw": results}, indent=1))
    return 0


def flush() -> None:
    """Start from empty inboxes and an empty broker, so counts and queues are this run's."""
    stack.psql("TRUNCATE ingest_crmevent, bench_ceilingevent")
    subprocess.run(["redis-cli", "-p", str(stack.REDIS_PORT), "FLUSHALL"], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
