"""Drill 3: PostgreSQL restarted while the sweep runs.

3,000 handoffs are due at once (copied from one real handoff with INSERT … SELECT);
a worker and beat sweep them in batches and deliver to the loopback Slack. As soon as
the first escalation rows are committed, PostgreSQL is restarted (`pg_ctl restart -m
fast`: every connection is cut, in-flight transactions roll back). Processes that exit
are restarted as compose would. Counts: escalations expected = rows = delivered, no
duplicates.

    .venv/bin/python -m bench.drill_pg_restart [--due 3000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta

from bench import djsetup, scenario, stack
from bench.sink import SlackSink


def escalations() -> int:
    try:
        return int(stack.psql("SELECT count(*) FROM escalation_escalation").strip() or 0)
    except Exception:  # noqa: BLE001 (the server is restarting)
        return -1


def sent() -> int:
    try:
        return int(stack.psql("SELECT count(*) FROM escalation_escalation "
                              "WHERE status = 'sent'").strip() or 0)
    except Exception:  # noqa: BLE001
        return -1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=3000)
    args = parser.parse_args(argv)
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    scenario.clean()
    djsetup.setup()
    from django.db import connection
    from django.utils import timezone

    from bench import seed
    from slawatch.leads.models import Handoff

    seed.cast()
    template = seed.template_handoff("TPL", timezone.now() - timedelta(hours=1))
    Handoff.objects.filter(pk=template.pk).update(next_due_at=None)
    seed.clone_handoffs(template, 1, args.due, "P", due_sql="now() - interval '10 seconds'",
                        not_due_sql="now() + interval '1 day'", due_every=1)
    stack.psql("UPDATE leads_milestone SET due_at = now() - interval '10 seconds', "
               "started_at = now() - interval '10 seconds' - interval '15 minutes'")
    connection.close()
    with SlackSink(port=stack.SINK_PORT) as sink, stack.Procs() as procs:
        procs.worker(concurrency=2)
        procs.beat()
        stack.supervised_sleep(procs, 120, until=lambda: escalations() > 0)
        at_restart = escalations()
        t0 = time.time()
        stack.pg_restart()
        restart_s = time.time() - t0
        stack.supervised_sleep(procs, 400, until=lambda: sent() >= args.due)
        settle = time.time() - t0
        stack.supervised_sleep(procs, 12)  # two more beat ticks: late duplicates land now
        restarts = dict(procs.restarts)
        connection.close()
        result = scenario.tally(sink)
    result.pop("latency_s", None)
    summary = {"due": args.due, "escalations_when_restarted": at_restart,
               "pg_restart_s": round(restart_s, 1), "all_sent_after_s": round(settle, 1),
               "process_restarts": restarts, **result}
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "drill-pg-restart.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
