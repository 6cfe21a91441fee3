"""Drill 1: kill -9 a worker in the middle of deliveries, 20 times at random moments.

300 handoffs breach at once; the loopback Slack answers each post after 150 ms, so a
kill usually lands while a message is on the wire. Most kills take one pool process
(Celery starts another; acks_late + reject_on_worker_lost put its task back); every
fifth takes the whole worker (main process and pool, SIGKILL to its process group)
and starts a new one. The outbox and the reaper (rows stuck in `sending` go back to
pending after SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS, 15 s here) must deliver every
escalation, and exactly once: the posts go through the bot token (manager's DM), each
carries metadata naming its escalation, and a reaped row is looked up in the
conversation's history (the loopback Slack keeps it, like Slack) before it is sent
again. The drill counts duplicates and history look-ups.

    .venv/bin/python -m bench.drill_kill_worker [--leads 300] [--kills 20] [--seed 8]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from datetime import timedelta

from bench import djsetup, scenario, stack
from bench.sink import SlackSink

ENV = {"SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS": 15}


def all_settled(expected: int) -> bool:
    out = stack.psql("SELECT count(*) FROM escalation_escalation WHERE status IN ('sent','failed')")
    return int(out.strip() or 0) >= expected


def supervise(procs, done) -> None:
    """What compose's `restart: unless-stopped` does: a worker that exited is started
    again. (Celery's main process exits with "Could not start worker processes" when
    a pool process is killed while the pool is still starting.)"""
    if procs.procs["worker"].poll() is not None:
        procs.procs.pop("worker")
        procs.worker(concurrency=2)
        done["worker_exited_restarted"] += 1


def kill_loop(procs, kills: int, rng) -> dict:
    done = {"pool_process": 0, "whole_worker": 0, "missed": 0, "worker_exited_restarted": 0}
    for n in range(1, kills + 1):
        time.sleep(rng.uniform(0.3, 1.5))
        supervise(procs, done)
        if n % 5 == 0:
            os.killpg(procs.procs["worker"].pid, signal.SIGKILL)
            procs.procs.pop("worker").wait(10)
            procs.worker(concurrency=2)
            done["whole_worker"] += 1
            continue
        children, limit = procs.children("worker"), time.time() + 30
        while not children and time.time() < limit:  # a new worker is still booting
            time.sleep(0.2)
            supervise(procs, done)
            children = procs.children("worker")
        if not children:
            done["missed"] += 1
            continue
        os.kill(rng.choice(children), signal.SIGKILL)
        done["pool_process"] += 1
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    stack.servers_up()
    stack.Procs().manage("migrate", "--noinput")
    scenario.clean()
    djsetup.setup(**ENV)
    from django.utils import timezone

    due = timezone.now() + timedelta(seconds=20)
    scenario.prepare([due] * args.leads, run="kill")
    with SlackSink(port=stack.SINK_PORT, delay=0.15) as sink, stack.Procs(ENV) as procs:
        procs.worker(concurrency=2)
        procs.beat()
        limit = time.time() + 90
        while not sink.received and time.time() < limit:
            time.sleep(0.2)  # until deliveries have started
        kills = kill_loop(procs, args.kills, rng)
        t0 = time.time()
        while time.time() - t0 < 300 and not all_settled(args.leads):
            time.sleep(1)
            supervise(procs, kills)
        time.sleep(5)
        result = scenario.tally(sink)
    summary = {"leads": args.leads, "kills": kills, "settle_s_after_last_kill":
               round(time.time() - t0, 1), **result,
               "history_lookups": len([r for r in sink.lookups()
                                       if r.path.endswith("conversations.history")])}
    summary.pop("latency_s", None)
    print(json.dumps(summary, indent=2))
    out = stack.VAR / "results"
    out.mkdir(exist_ok=True)
    (out / "drill-kill-worker.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
