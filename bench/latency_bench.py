"""Benchmark 3: escalation latency with the real worker, beat and sweeper.

1,000 handoffs (opened through the real event path) breach over one minute. The
sweeper process (`manage.py slawatch_sweeper`, default settings) wakes at each due
time, claims and sends to the loopback Slack sink itself; the worker and the beat
(its 5 s sweep and delivery pass, the safety net) run beside it. Latency = the sink's
receive time − the escalation's due time. Also counts expected = delivered, no
duplicates.

`--sweepers 0` is the beat-only path (a sweep every SLAWATCH_SWEEP_INTERVAL_SECONDS,
then a broker hop to a worker): the figures before the sweeper existed.
`--beats 2` / `--sweepers 2` are drill 6 (two of them by mistake or by design): the
duplicate count must stay 0.

    .venv/bin/python -m bench.latency_bench [--leads 1000] [--spread 60] [--open 0]
                                            [--beats 1] [--sweepers 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta

from bench import djsetup, scenario, stack
from bench.sink import SlackSink


def wait_for(sink, expected: int, deadline: float) -> None:
    while time.time() < deadline and len(sink.delivered()) < expected:
        time.sleep(0.5)


def open_rows(count: int) -> None:
    """`count` more open handoffs whose timers fall due a day or more from now (copies of
    a real one, bench/seed.py), so the due rows are found among many open ones."""
    from django.db import connection
    from django.utils import timezone

    from bench import seed
    from slawatch.leads.models import Lead

    template = seed.template_handoff("OPEN-TPL", timezone.now() - timedelta(minutes=1))
    seed.clone_handoffs(template, 1, count, "open-", due_sql="now() + interval '1 day'",
                        not_due_sql="now() + (1440 + mod({g}, 1440)) * interval '1 minute'",
                        due_every=count + 1)
    Lead.objects.filter(pk=template.lead_id).delete()  # its own timer falls due in the run
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the dues span")
    parser.add_argument("--beats", type=int, default=1)
    parser.add_argument("--sweepers", type=int, default=1)
    parser.add_argument("--open", type=int, default=0,
                        help="open handoffs beside them that do not fall due during the run")
    parser.add_argument("--lead-time", type=float, default=60.0,
                        help="seconds between now and the first due (covers set-up)")
    args = parser.parse_args(argv)
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    scenario.clean()
    djsetup.setup()
    from django.conf import settings
    from django.utils import timezone

    first = timezone.now() + timedelta(seconds=args.lead_time)
    dues = [first + timedelta(seconds=args.spread * i / args.leads) for i in range(args.leads)]
    t0 = time.time()
    scenario.prepare(dues)
    if args.open:
        open_rows(args.open)
    setup_s = time.time() - t0
    if timezone.now() >= first:
        sys.exit(f"set-up took {setup_s:.0f} s, past the first due: raise --lead-time")
    with SlackSink(port=stack.SINK_PORT) as sink, stack.Procs() as procs:
        procs.worker(concurrency=2)
        for b in range(args.beats):
            procs.beat(f"beat{b}")
        for n in range(args.sweepers):
            procs.sweeper(f"sweeper{n}")
        last_due = dues[-1].timestamp()
        wait_for(sink, args.leads, last_due + 120)
        time.sleep(2 * settings.SLAWATCH_SWEEP_INTERVAL_SECONDS)  # late duplicates land now
        result = scenario.tally(sink)
        rss = {name: round(stack.peak_rss_kib(proc.pid) / 1024, 1)
               for name, proc in procs.procs.items() if name.startswith("sweeper")}
    summary = {"leads": args.leads, "open_handoffs": args.open, "spread_s": args.spread,
               "beats": args.beats, "sweepers": args.sweepers,
               "sweep_interval_s": settings.SLAWATCH_SWEEP_INTERVAL_SECONDS,
               "setup_s": round(setup_s, 1), **result, "goal_p99_s": 1.0,
               "sweeper_peak_rss_mib": rss}
    p99 = (result.get("latency_s") or {}).get("p99")
    if p99 is not None:
        summary["p99_against_goal"] = round(p99 / 1.0, 2)
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / f"latency-beats{args.beats}-sweepers{args.sweepers}.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
