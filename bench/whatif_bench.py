"""What-if benchmark: replay 90 days of 100,000 handoffs in PostgreSQL under a proposal.

Uses its own database (default `slawatch_bench_whatif`) on the PostgreSQL server that
`scripts/services.sh` runs on 127.0.0.1, migrates it and seeds it once (kept for
re-runs; `--reseed` starts over). 200 reps in 20 teams (manager and escalation contact
each); default hot / warm / cold policies on a Berlin office calendar (09:00-17:30,
Monday-Friday) with a ladder that warns the rep at 50 %, pages the manager at breach
and the escalation contact an hour later, every four business hours until stopped.
One real lead is made through apply_events; the others are copied from it with
INSERT … SELECT generate_series: per lead an assignment event (heat and owner spread
over the reps) and, for 90 %, a touch event between 1 and 150 minutes later; the
handoff and its first-touch milestone are copied with the matching times (the 10 %
nobody touched are disqualified two days later). The stored outcome is a plain rule
(met when touched within an hour), not the Berlin calendar's: the bench measures the
replay's cost, and the actual side is read, not recomputed.

Then `what_if()` — the selector behind `POST /api/v1/what-if/` — replays the 90 days
with hot at 15 business minutes instead of 30, grouped by team, `--repeat` times, in
SLAWATCH_WHATIF_WORKERS processes (`--workers 1`: one); it prints each time (wall, and
the CPU of this process and of its forked workers: the machine is shared), the handoffs
replayed, the totals, the query count and the peak RSS growth of the process (bounded:
leads stream in chunks).

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python -m bench.whatif_bench [--handoffs 100000] [--repeat 3] [--reseed] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from datetime import UTC, datetime, timedelta

from bench.reports_bench import bench_database_url, create_database, setup_django

PREFIX = "WI"
START = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
DAYS = 90
REPS, TEAMS = 200, 20
STEPS = [{"at_percent": 50, "notify": "rep", "channel": "slack"},
         {"at_percent": 100, "notify": "manager", "channel": "slack"},
         {"after_breach_minutes": 60, "notify": "escalation_contact", "channel": "email",
          "repeat_minutes": 240}]
BERLIN = {"time_zone": "Europe/Berlin", "country": "DE",
          "hours": [{"weekday": d, "start": "09:00", "end": "17:30"} for d in range(5)]}
MINUTES = {"hot": 30, "warm": 240, "cold": 1440}


def cast():
    from slawatch.leads.models import SlaPolicy
    from slawatch.people.models import Calendar, CrmIdentity, Person, Team

    calendar, _ = Calendar.objects.get_or_create(name="Bench Berlin", defaults=BERLIN)
    teams = []
    for i in range(TEAMS):
        team, _ = Team.objects.get_or_create(name=f"WI team {i:02d}")
        team.manager, _ = Person.objects.get_or_create(name=f"WI manager {i:02d}",
                                                       defaults={"role": "manager", "team": team})
        team.escalation_contact, _ = Person.objects.get_or_create(
            name=f"WI director {i:02d}", defaults={"role": "director", "team": team})
        team.save()
        teams.append(team)
    for i in range(REPS):
        rep, _ = Person.objects.get_or_create(name=f"WI rep {i:03d}",
                                              defaults={"team": teams[i % TEAMS]})
        CrmIdentity.objects.get_or_create(crm="bench", owner_id=f"rep-{i}",
                                          defaults={"person": rep})
    for heat, minutes in MINUTES.items():
        SlaPolicy.objects.update_or_create(heat=heat, team=None, defaults={
            "first_touch_minutes": minutes, "calendar": calendar, "steps": STEPS})


def seed(n: int) -> None:
    from bench.seed import clone_leads, copy_sql, numbered_leads, reseeding
    from slawatch.leads.events import DomainEvent
    from slawatch.leads.models import Handoff, LeadEvent, Milestone, SlaPolicy
    from slawatch.leads.services import apply_events
    from slawatch.people.models import CrmIdentity, Person

    with reseeding(f"{n:,} leads, handoffs and their events") as cur:
        cast()
        apply_events([DomainEvent.parse({
            "event_id": "tpl", "type": "lead.assigned", "occurred_at": START.isoformat(),
            "crm": "bench", "lead": {"external_id": "template", "heat": "hot", "owner": "rep-0"}})])
        template = Handoff.objects.get(lead__external_id="template")
        snapshots = json.dumps({p.heat: p.snapshot() for p in SlaPolicy.objects.all()})
        reps = dict(CrmIdentity.objects.filter(crm="bench").values_list("owner_id", "person_id"))
        rep_ids = ",".join(str(reps[f"rep-{i}"]) for i in range(REPS))
        team_of = dict(Person.objects.values_list("pk", "team_id"))
        team_ids = ",".join(str(team_of[reps[f"rep-{i}"]]) for i in range(REPS))
        step = DAYS * 86400 / n
        g = "s.g"
        at = f"(TIMESTAMPTZ '{START.isoformat()}' + ({g} * {step}) * INTERVAL '1 second')"
        roll = f"(({g} * 7919) % 100)"
        heat = f"(ARRAY['hot','warm','cold'])[1 + {g} % 3]"
        speed = f"(1 + ({g} * 104729) % 150)"  # minutes to the touch
        touched_at = f"({at} + {speed} * INTERVAL '1 minute')"
        iso = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
        leads = numbered_leads(PREFIX)
        clone_leads(cur, template.lead_id, n, PREFIX)
        cur.execute(copy_sql(LeadEvent, {
            "lead_id": "s.lead_id", "key": f"'bench:a' || {g}", "type": "'lead.assigned'",
            "occurred_at": at, "received_at": "now()",
            "data": f"jsonb_build_object('lead', jsonb_build_object('owner', 'rep-' || ({g} % "
                    f"{REPS}), 'heat', {heat}))"}, leads))
        cur.execute(copy_sql(LeadEvent, {
            "lead_id": "s.lead_id", "key": f"'bench:t' || {g}", "type": "'lead.touched'",
            "occurred_at": touched_at, "received_at": "now()",
            "data": f"jsonb_build_object('lead', '{{}}'::jsonb, 'touch', jsonb_build_object("
                    f"'kind', 'call', 'at', {iso.format(touched_at)}, 'by', 'rep-' || ({g} % "
                    f"{REPS})))"}, f"{leads} WHERE {roll} < 90"))
        # Leads nobody touched are disqualified two days later, as sales teams do.
        cur.execute(copy_sql(LeadEvent, {
            "lead_id": "s.lead_id", "key": f"'bench:d' || {g}", "type": "'lead.disqualified'",
            "occurred_at": f"{at} + INTERVAL '2 days'", "received_at": "now()",
            "data": "'{\"lead\": {}}'::jsonb"}, f"{leads} WHERE {roll} >= 90"))
        status = f"CASE WHEN {roll} >= 90 THEN 'breached' WHEN {speed} > 60 THEN " \
                 f"'breached' ELSE 'met' END"
        due = f"({at} + INTERVAL '30 minutes')"
        cur.execute(copy_sql(Handoff, {
            "lead_id": "s.lead_id", "handed_off_at": at, "heat": heat, "status": status,
            "rep_id": f"(ARRAY[{rep_ids}])[1 + {g} % {REPS}]",
            "team_id": f"(ARRAY[{team_ids}])[1 + {g} % {REPS}]",
            "policy_snapshots": f"'{snapshots}'::jsonb", "next_due_at": "NULL",
            "first_touch_due_at": due,
            "first_touched_at": f"CASE WHEN {roll} < 90 THEN {touched_at} END",
            "closed_at": f"CASE WHEN {roll} >= 90 THEN {at} + INTERVAL '2 days' END",
            "close_reason": f"CASE WHEN {roll} >= 90 THEN 'disqualified' ELSE '' END",
            "breached_at": f"CASE WHEN {status} = 'breached' THEN {due} END"}, leads,
            template.pk))
        cur.execute(copy_sql(Milestone, {
            "handoff_id": "h.id", "seq": "0", "kind": "'first_touch'",
            "started_at": "h.handed_off_at", "due_at": "h.first_touch_due_at",
            "met_at": "h.first_touched_at",
            "breached_at": "h.breached_at", "acknowledged_at": "NULL",
            "fired": "'{}'::jsonb"},
            f"{Handoff._meta.db_table} h WHERE h.lead_id <> {template.lead_id}"))


def handoff_count() -> int:
    from slawatch.leads.models import Handoff

    return Handoff.objects.filter(lead__external_id__startswith=PREFIX).count()


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _forked_cpu() -> float:
    """CPU time of the ended child processes (the what-if's forked workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(repeat: int, workers: int) -> None:
    from django.db import connection

    from slawatch.leads.models import SlaPolicy
    from slawatch.whatif.selectors import WhatIf, what_if

    hot = SlaPolicy.objects.get(heat="hot", team=None)
    hot.first_touch_minutes = 15
    question = WhatIf(start=START, end=START + timedelta(days=DAYS), group_by="team",
                      policies={"hot": hot.snapshot()})
    now = START + timedelta(days=DAYS + 1)
    rss_before = _rss_mib()
    times = []
    for run in range(repeat):
        queries = []
        with connection.execute_wrapper(lambda ex, sql, *a: queries.append(sql) or ex(sql, *a)):
            t0, cpu0, forked0 = time.perf_counter(), time.process_time(), _forked_cpu()
            answer = what_if(question, now=now, workers=workers)
            times.append(time.perf_counter() - t0)
            cpu, forked = time.process_time() - cpu0, _forked_cpu() - forked0
        print(f"run {run + 1}: {times[-1]:.2f} s wall, {cpu:.2f} s CPU of this process + "
              f"{forked:.2f} s of its {workers - 1} forked worker(s), {len(queries)} queries "
              f"in this process, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    totals = answer["totals"]
    print(f"what-if over {DAYS} days: {totals['actual']['handoffs']:,} handoffs replayed, "
          f"{len(answer['rows'])} rows")
    print(f"actual:   {totals['actual']}")
    print(f"proposed: {totals['proposed']}")
    print(f"best {min(times):.2f} s, worst {max(times):.2f} s; peak RSS grew "
          f"{_rss_mib() - rss_before:.0f} MiB (to {_rss_mib():.0f} MiB)")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="slawatch_bench_whatif")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes to replay in (default: SLAWATCH_WHATIF_WORKERS)")
    args = parser.parse_args(argv)
    url = bench_database_url(args.database)
    create_database(url)
    setup_django(url)
    if args.reseed or handoff_count() != args.handoffs:
        seed(args.handoffs)
    from django.conf import settings

    measure(args.repeat, args.workers or settings.SLAWATCH_WHATIF_WORKERS)


if __name__ == "__main__":
    main()
