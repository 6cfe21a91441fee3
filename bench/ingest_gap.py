"""Where the generic webhook's time goes: the ceiling plus one slawatch cost at a time.

Same wrk set-up as bench/ingest_bench.py (16 connections, pre-signed generic events),
against: the bare ceiling; the ceiling plus the duplicate counter's pre-insert SELECT;
plus one Celery publish per request after commit; plus both; and slawatch itself.

    .venv/bin/python -m bench.ingest_gap [--rounds 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench import loadgen, stack

TARGETS = {
    "ceiling": "/bench/ceiling/event-plus/",
    "ceiling+count": "/bench/ceiling/event-plus/?with=count",
    "ceiling+enqueue": "/bench/ceiling/event-plus/?with=enqueue",
    "ceiling+count+enqueue": "/bench/ceiling/event-plus/?with=count,enqueue",
    "slawatch": "/webhooks/events/",
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    stack.servers_up()
    rates: dict[str, list[float]] = {name: [] for name in TARGETS}
    with stack.Procs() as procs:
        procs.manage("migrate", "--noinput")
        stack.psql("TRUNCATE ingest_crmevent, bench_ceilingevent")
        procs.web()
        for rnd in range(args.rounds + 1):
            path = loadgen.scratch("gap.txt")
            loadgen.write_generic(path, f"gap{int(time.time())}r{rnd}", 30_000)
            for name, url_path in TARGETS.items():
                stack.psql("TRUNCATE bench_ceilingevent")  # every target inserts fresh ids
                result = loadgen.wrk(path, url_path, connections=16,
                                     seconds=3 if rnd == 0 else args.seconds)
                if rnd:  # round 0 warms up
                    rates[name].append(result["rps"])
            subprocess.run(["redis-cli", "-p", str(stack.REDIS_PORT), "DEL", "slawatch"],
                           capture_output=True)
    base = statistics.median(rates["ceiling"])
    summary = {name: {"req_per_s": round(statistics.median(v)), "vs_ceiling":
                      round(statistics.median(v) / base, 2),
                      "cpu_ms_per_request": round(2000 / statistics.median(v), 2)}
               for name, v in rates.items()}
    print(json.dumps(summary, indent=2))
    (stack.VAR / "results").mkdir(exist_ok=True)
    (stack.VAR / "results" / "ingest-gap.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
