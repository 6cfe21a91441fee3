"""Reports benchmark: `GET /api/v1/reports/sla/?group_by=rep` over 90 days of 1,000,000
handoffs in PostgreSQL.

Uses its own database (default `slawatch_bench_reports`) on the PostgreSQL server that
`scripts/services.sh` runs on 127.0.0.1, migrates it, and seeds it once (kept for
re-runs; `--reseed` starts over) with INSERT … SELECT generate_series copies of one
real lead and handoff made through the ORM, so columns added later get their values
from the template row. Handoffs spread evenly over a year across 200 reps in 20
teams; 70 % met, 20 % breached, 10 % open, speed-to-lead spread over an hour.

Then the request runs through Django's test client (the full API stack: auth,
parameter parsing, selectors, JSON rendering) `--repeat` times after one warm-up;
it prints each time, the median, and the query count.

    eval "$(bash scripts/services.sh env)"
    .venv/bin/python -m bench.reports_bench [--handoffs 1000000] [--repeat 7] [--reseed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

PREFIX = "R"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
REPS, TEAMS = 200, 20


def bench_database_url(name: str) -> str:
    base = os.environ.get("SLAWATCH_TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not base or not base.startswith("postgres"):
        sys.exit('needs PostgreSQL: eval "$(bash scripts/services.sh env)" first')
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "b" * 40)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(n: int) -> None:
    from bench.seed import clone_leads, copy_sql, numbered_leads, reseeding
    from slawatch.leads.models import Handoff, Lead
    from slawatch.people.models import Person, Team

    with reseeding(f"{n:,} leads and handoffs") as cur:
        teams = Team.objects.bulk_create(
            [Team(name=f"Bench team {i}") for i in range(TEAMS)], ignore_conflicts=True)
        teams = list(Team.objects.filter(name__startswith="Bench team ").order_by("name"))
        reps = [Person.objects.get_or_create(name=f"Bench rep {i:03d}",
                                             defaults={"team": teams[i % TEAMS]})[0]
                for i in range(REPS)]
        lead = Lead.objects.create(crm="bench", external_id="template", source="web")
        template = Handoff.objects.create(lead=lead, rep=reps[0], team=teams[0], heat="hot",
                                          handed_off_at=YEAR_START - timedelta(days=1))
        clone_leads(cur, lead.id, n, PREFIX, {
            "source": "(ARRAY['web','event','partner','ads'])[1 + g % 4]",
            "campaign": "'c' || (g % 10)",
            "sourced_by": "CASE WHEN g % 3 = 0 THEN 'sales' ELSE 'marketing' END",
        })
        cur.execute(copy_sql(Handoff, _handoff_columns(n, reps), numbered_leads(PREFIX),
                             template.id))


def _handoff_columns(n: int, reps) -> dict:
    rep_ids = ",".join(str(r.id) for r in reps)
    team_ids = ",".join(str(r.team_id) for r in reps)
    step = 365 * 86400 / n  # seconds between handoffs: a year of them
    at = f"(TIMESTAMPTZ '{YEAR_START.isoformat()}' + (g * {step}) * INTERVAL '1 second')"
    roll = "((g * 7919) % 100)"  # a cheap, fixed pseudo-random 0-99 per handoff
    status = f"CASE WHEN {roll} < 70 THEN 'met' WHEN {roll} < 90 THEN 'breached' ELSE 'open' END"
    touched = f"{roll} < 90"
    speed = "CAST((g * 104729) % 3600 AS double precision)"
    return {
        "lead_id": "s.lead_id",
        "rep_id": f"(ARRAY[{rep_ids}])[1 + g % {REPS}]",
        "team_id": f"(ARRAY[{team_ids}])[1 + g % {REPS}]",
        "handed_off_at": at,
        "status": status,
        "first_touched_at": f"CASE WHEN {touched} THEN {at} + {speed} * INTERVAL '1 second' END",
        "speed_to_lead_seconds": f"CASE WHEN {touched} THEN {speed} END",
        "speed_to_lead_business_seconds": f"CASE WHEN {touched} THEN {speed} / 2 END",
        "breached_at": f"CASE WHEN {roll} BETWEEN 70 AND 89 THEN {at} + INTERVAL '15 minutes' END",
        "acknowledged_at": f"CASE WHEN {roll} BETWEEN 70 AND 79 THEN {at} + INTERVAL '40 minutes' END",
        "first_touch_due_at": f"{at} + INTERVAL '15 minutes'",
    }


def handoff_count() -> int:
    from slawatch.leads.models import Handoff

    return Handoff.objects.filter(lead__external_id__startswith=PREFIX).count()


def measure(repeat: int, days: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from rest_framework.test import APIClient

    user, _ = get_user_model().objects.get_or_create(
        username="bench-reports", defaults={"is_superuser": True, "is_staff": True})
    client = APIClient()
    client.force_authenticate(user)
    end = YEAR_START + timedelta(days=300)
    query = {"group_by": "rep", "start": (end - timedelta(days=days)).isoformat(),
             "end": end.isoformat()}
    queries = []  # counted by a wrapper: the test client's request_started resets queries_log
    with connection.execute_wrapper(lambda execute, sql, *a: queries.append(sql) or execute(sql, *a)):
        response = client.get("/api/v1/reports/sla/", query)  # warm-up
    assert response.status_code == 200, response.content[:500]
    rows = response.json()["rows"]
    in_range = sum(r["handoffs"] for r in rows)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get("/api/v1/reports/sla/", query)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    print(f"GET /api/v1/reports/sla/?group_by=rep, {days} days: {in_range:,} handoffs of "
          f"{handoff_count():,}, {len(rows)} rows, {len(queries)} queries")
    print("runs (ms): " + ", ".join(f"{t:.0f}" for t in times))
    print(f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handoffs", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", default="slawatch_bench_reports")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args(argv)
    url = bench_database_url(args.database)
    create_database(url)
    setup_django(url)
    if args.reseed or handoff_count() != args.handoffs:
        seed(args.handoffs)
    measure(args.repeat, args.days)


if __name__ == "__main__":
    main()
