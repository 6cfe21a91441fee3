"""The bench's cast and bulk rows.

`cast()` makes one team (manager with a Slack id), one rep mapped to the bench CRMs and
a hot-lead policy (warn the rep at 50 %, manager at breach). `clone_handoffs()` copies
one real handoff (made by apply_events, so every column is what slawatch writes) into
N more with `INSERT … SELECT generate_series`, leads and milestones included.

The benchmarks that seed a large range of their own (reports, what-if) share the loop:
`reseeding()` empties the lead tables in one transaction and analyzes them afterwards,
`copy_sql()` copies every concrete column of a template row (columns added later get
their values from it), `clone_leads()` makes N numbered copies of a template lead and
`numbered_leads()` is the source that gives each copy back with its number `g`.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection

HOT_STEPS = [{"at_percent": 50, "notify": "rep", "channel": "slack"},
             {"at_percent": 100, "notify": "manager", "channel": "slack"}]


def cast(crm="bench-crm", owner="rep-1", hubspot_owner="81234567", first_touch_minutes=15):
    from slawatch.leads.models import SlaPolicy
    from slawatch.people.models import CrmIdentity, Person, Role, Team

    team, _ = Team.objects.get_or_create(name="Bench team")
    manager, _ = Person.objects.get_or_create(
        name="Bench Manager", defaults={"role": Role.MANAGER, "team": team,
                                        "slack_user_id": "UBENCHMGR", "email": "m@example.com"})
    rep, _ = Person.objects.get_or_create(
        name="Bench Rep", defaults={"team": team, "slack_user_id": "UBENCHREP",
                                    "email": "r@example.com"})
    team.manager = manager
    team.save()
    for crm_name, owner_id in ((crm, owner), ("hubspot", hubspot_owner)):
        CrmIdentity.objects.get_or_create(person=rep, crm=crm_name, defaults={"owner_id": owner_id})
    SlaPolicy.objects.update_or_create(
        heat="hot", team=None, defaults={"first_touch_minutes": first_touch_minutes,
                                         "steps": HOT_STEPS})
    return team, manager, rep


def template_handoff(external_id: str, handed_off_at: datetime, crm="bench-crm", owner="rep-1"):
    """One real handoff via the real event path; returns it."""
    from slawatch.leads.events import DomainEvent
    from slawatch.leads.models import Handoff
    from slawatch.leads.services import apply_events

    event = DomainEvent.parse({
        "event_id": f"tpl-{external_id}", "type": "lead.assigned",
        "occurred_at": handed_off_at.astimezone(UTC).isoformat(), "crm": crm,
        "lead": {"external_id": external_id, "name": "Template", "heat": "hot", "owner": owner}})
    apply_events([event])
    return Handoff.objects.get(lead__crm=crm, lead__external_id=external_id)


LEAD_TABLES = ("leads_handoff", "leads_lead", "leads_milestone", "leads_touch",
               "leads_opportunity", "leads_leadevent")


@contextmanager
def reseeding(label: str):
    """Empties the lead tables and yields a cursor, all in one transaction; then analyzes
    the tables (outside it: VACUUM cannot run in one) and prints how long seeding took."""
    from django.db import transaction

    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(LEAD_TABLES)} RESTART IDENTITY CASCADE")
        yield cur
    with connection.cursor() as cur:
        for table in LEAD_TABLES:
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"seeded {label} in {time.perf_counter() - t0:.1f} s")


def copy_sql(model, overrides: dict, source: str, template_id: int | None = None) -> str:
    """INSERT every concrete column of `model` for each row of `source`: the value in
    `overrides` (SQL) where given, else the template row's (`t`, with `template_id`)."""
    cols, exprs = _columns(model, overrides)
    if template_id is None:
        return f"INSERT INTO {model._meta.db_table} ({cols}) SELECT {exprs} FROM {source}"
    return (f"INSERT INTO {model._meta.db_table} ({cols}) SELECT {exprs} FROM "
            f"{model._meta.db_table} t, {source} WHERE t.id = {int(template_id)}")


def clone_leads(cur, template_lead_id: int, n: int, prefix: str, overrides: dict = ()) -> None:
    """N copies of the template lead, external ids `prefix` 1 … N; in `overrides`, `g`
    is the copy's number."""
    from slawatch.leads.models import Lead

    cur.execute(copy_sql(Lead, {"external_id": f"'{prefix}' || g", **dict(overrides)},
                         f"generate_series(1, {int(n)}) g", template_lead_id))


def numbered_leads(prefix: str) -> str:
    """SQL source `s` of the copies made by clone_leads: `s.lead_id` and their number `s.g`."""
    return (f"(SELECT id AS lead_id, CAST(substring(external_id FROM {len(prefix) + 1}) "
            f"AS bigint) AS g FROM leads_lead WHERE external_id LIKE '{prefix}%%') s")


def _columns(model, overrides: dict) -> tuple[str, str]:
    cols = [f.column for f in model._meta.concrete_fields if f.column != "id"]
    exprs = [overrides.get(c, f"t.{c}") for c in cols]
    return ", ".join(cols), ", ".join(exprs)


def clone_handoffs(template, first: int, last: int, prefix: str, due_sql: str,
                   not_due_sql: str, due_every: int = 1000) -> None:
    """Copies template's lead, handoff and milestones for g in [first, last].

    Row g is due (its timers at `due_sql`) when g % due_every == 0, else `not_due_sql`.
    SQL evaluated by PostgreSQL; in `not_due_sql`, {g} stands for the row number
    (e.g. "now() + (1440 + mod({g}, 1440)) * interval '1 minute'").
    """
    from slawatch.leads.models import Handoff, Lead, Milestone

    cols, exprs = _columns(Lead, {"external_id": f"'{prefix}' || g"})
    sql = [f"INSERT INTO {Lead._meta.db_table} ({cols}) SELECT {exprs} FROM "
           f"{Lead._meta.db_table} t, generate_series({first}, {last}) g WHERE t.id = %s"]
    g_of_lead = f"CAST(substring(l.external_id from {len(prefix) + 1}) AS bigint)"
    cols, exprs = _columns(Handoff, {
        "lead_id": "l.id",
        "next_due_at": f"(CASE WHEN mod({g_of_lead}, {due_every}) = 0 THEN {due_sql} "
                       f"ELSE {not_due_sql.format(g=g_of_lead)} END)",
        "first_touch_due_at": "NULL", "status": "'open'"})
    sql.append(f"INSERT INTO {Handoff._meta.db_table} ({cols}) SELECT {exprs} FROM "
               f"{Handoff._meta.db_table} t, {Lead._meta.db_table} l WHERE t.id = %s "
               f"AND l.external_id LIKE '{prefix}%%' AND {g_of_lead} BETWEEN {first} AND {last}")
    cols, exprs = _columns(Milestone, {
        "handoff_id": "h.id", "due_at": "h.next_due_at",
        "started_at": "h.next_due_at - interval '15 minutes'", "fired": "'{\"0\": 1}'::jsonb",
        "met_at": "NULL", "breached_at": "NULL", "acknowledged_at": "NULL"})
    sql.append(f"INSERT INTO {Milestone._meta.db_table} ({cols}) SELECT {exprs} FROM "
               f"{Milestone._meta.db_table} t, {Handoff._meta.db_table} h, "
               f"{Lead._meta.db_table} l WHERE t.handoff_id = %s AND t.seq = 0 "
               f"AND h.lead_id = l.id AND l.external_id LIKE '{prefix}%%' "
               f"AND {g_of_lead} BETWEEN {first} AND {last}")
    with connection.cursor() as cur:
        cur.execute(sql[0], [template.lead_id])
        cur.execute(sql[1], [template.pk])
        cur.execute(sql[2], [template.pk])
