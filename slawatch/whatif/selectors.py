"""What-if: the handoffs of a past range replayed under a proposal, against what happened.

Reads only. The population is the handoffs with `handed_off_at` in [start, end),
narrowed by the user's role scope exactly like the reports. Three queries, each
streamed in chunks (server-side cursors on PostgreSQL) and all ordered by lead — the
handoffs, their milestones, the leads' events — are merged one lead at a time, so
memory stays bounded whatever the range; then the pure replay
(slawatch/leads/replay.py) and a running tally per group and per recipient. "actual"
is read from the stored handoffs and milestones; "proposed" is the derivation run
again on the recorded events with the proposed policies.

On PostgreSQL the leads are shared among SLAWATCH_WHATIF_WORKERS processes (by lead id
modulo the count): this one and workers forked for the time of the replay, each with
its own connection (opened in a new thread of the worker, so the parent's connection,
inherited by the fork, is never touched), all reading one snapshot that this process
exports (`pg_export_snapshot`), so the shares add up to exactly what one process would
read. The replay is pure Python, so this is how it uses more than one core. SQLite, and
a question asked inside an open transaction (whose rows another connection could not
see), run in this process alone.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import DateTimeField, Func, QuerySet, TextField
from django.db.models.functions import Cast, Mod
from django.utils import timezone

from slawatch.definitions.selectors import definitions_in_force
from slawatch.escalation.models import (
    PERSON,
    TEAM,
    nobody_recipient,
    person_recipient,
    recipient_parts,
    team_recipient,
)
from slawatch.leads import derive as d
from slawatch.leads import heat_rules, replay
from slawatch.leads.models import Handoff, LeadEvent, Milestone
from slawatch.leads.services import current_policy_snapshot
from slawatch.people.models import CrmIdentity, Person, Team, calendar_spec_to_clock
from slawatch.reports.selectors import label_for, ratio

GROUP_BYS = ("rep", "team", "heat", "week")
MAX_DAYS = 366
CHUNK_ROWS = 2000  # rows fetched at a time from each stream
FIGURES = ("handoffs", "met", "breached", "compliance", "escalations")


@dataclass(frozen=True)
class WhatIf:
    """One what-if question. `policies` maps heat -> policy snapshot (SlaPolicy.snapshot()
    shape); heats left out keep the policy in force. `definition`, a draft's rules, decides
    every handoff's heat instead of the definitions in force. `scope` narrows a Handoff queryset to
    the rows the asking user may see (None: all)."""

    start: datetime
    end: datetime
    group_by: str = "rep"
    policies: dict = field(default_factory=dict)
    definition: heat_rules.Definition | None = None  # a draft under trial
    scope: Callable[[QuerySet], QuerySet] | None = None


@dataclass
class Tally:
    handoffs: int = 0
    met: int = 0
    breached: int = 0
    escalations: int = 0

    def add(self, outcome: replay.Outcome) -> None:
        self.handoffs += 1
        self.met += outcome.met
        self.breached += outcome.breached
        self.escalations += sum(outcome.escalations.values())

    def merge(self, other: Tally) -> None:
        self.handoffs += other.handoffs
        self.met += other.met
        self.breached += other.breached
        self.escalations += other.escalations

    def figures(self) -> dict:
        return {"handoffs": self.handoffs, "met": self.met, "breached": self.breached,
                "compliance": ratio(self.met, self.met + self.breached),
                "escalations": self.escalations}


class _Row(NamedTuple):
    pk: int
    lead_id: int
    crm: str
    rep_id: int
    team_id: int | None
    heat: str
    status: str
    handed_off_at: datetime
    closed_at: datetime | None
    acknowledged_at: datetime | None
    snoozed_until: datetime | None
    snapshots_key: str


class _Instant(Func):
    """A timestamp column read as integer microseconds since the epoch on PostgreSQL:
    Django parses each timestamptz text in Python (Django's loader keeps the connection's
    zone), a sixth of a replay's time for 700,000 of them; an integer is read in C.
    Elsewhere the column as it is. `_instant` turns either into the aware datetime."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"(EXTRACT(EPOCH FROM {sql}) * 1000000)::bigint", params


def _instant(value):
    if value is None or isinstance(value, datetime):
        return value
    return _EPOCH + timedelta(microseconds=value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HANDOFF_COLUMNS = ("pk", "lead_id", "lead__crm", "rep_id", "team_id", "heat", "status",
                   _Instant("handed_off_at"), _Instant("closed_at"),
                   _Instant("acknowledged_at"), _Instant("snoozed_until"), "snapshots_key")
HANDOFF_INSTANTS = slice(7, 11)
MILESTONE_COLUMNS = ("handoff__lead_id", "handoff_id", "seq", _Instant("started_at"),
                     _Instant("due_at"), _Instant("met_at"), _Instant("acknowledged_at"))
EVENT_COLUMNS = ("lead_id", "key", "type", _Instant("occurred_at"), "data")


class TooBig(Exception):
    """The question is more than one request may replay; the message says why and what to
    narrow (answered 400)."""


def what_if_within_limits(question: WhatIf, *, now: datetime | None = None) -> dict:
    """`what_if` as a web request may ask it: at most SLAWATCH_WHATIF_MAX_HANDOFFS handoffs
    (counted first) and SLAWATCH_WHATIF_SECONDS of replay, else TooBig, so that no question
    holds a web worker until it is killed."""
    limit = settings.SLAWATCH_WHATIF_MAX_HANDOFFS
    count = _population(question).count()
    if count > limit:
        raise TooBig(f"the range holds {count} handoffs; at most {limit} can be replayed at "
                     "once: narrow the range")
    return what_if(question, now=now, seconds=settings.SLAWATCH_WHATIF_SECONDS)


def what_if(question: WhatIf, *, now: datetime | None = None,
            chunk_rows: int = CHUNK_ROWS, seconds: float | None = None,
            workers: int | None = None) -> dict:
    """`{"rows": [...], "totals": {...}, "pager_load": [...], "weeks": n}` (see docs/WHATIF.md).
    With `seconds`, TooBig once the replay has run that long (checked between leads).
    `workers`: processes to share the leads among (default SLAWATCH_WHATIF_WORKERS; see
    the module's docstring for when more than one is used)."""
    # _World.load() reads before the transaction below opens, so the connection's health
    # check (a SELECT) is done by then: SET TRANSACTION must be a transaction's first.
    job = _Job(question, now or timezone.now(), chunk_rows,
               None if seconds is None else time.monotonic() + seconds, seconds, _World.load())
    workers = settings.SLAWATCH_WHATIF_WORKERS if workers is None else workers
    if (connection.vendor != "postgresql" or connection.in_atomic_block
            or multiprocessing.current_process().daemon):  # a daemon may not fork (Celery's)
        workers = 1
    tallies = _Tallies()
    # One transaction: the streams' cursors are read as they go (no copy held for them).
    with transaction.atomic():
        if workers == 1:
            _replay_share(job, tallies)
        else:
            _replay_shared(job, tallies, workers)
    return tallies.answer(question, job.world)


class _Job(NamedTuple):
    question: WhatIf
    now: datetime
    chunk_rows: int
    deadline: float | None  # time.monotonic()
    seconds: float | None
    world: _World


class _Tallies:
    """Running figures per group and side, the totals, and the pager load per recipient."""

    def __init__(self):
        self.groups: dict[str, dict[str, Tally]] = {}
        self.totals = {"actual": Tally(), "proposed": Tally()}
        self.pager: dict[str, Counter] = {"actual": Counter(), "proposed": Counter()}

    def _group(self, key: str) -> dict[str, Tally]:
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = {"actual": Tally(), "proposed": Tally()}
        return group

    def add(self, key: str, side: str, outcome: replay.Outcome, recipient) -> None:
        self._group(key)[side].add(outcome)
        self.totals[side].add(outcome)
        for notify, count in outcome.escalations.items():
            self.pager[side][recipient(notify)] += count

    def merge(self, other: _Tallies) -> None:
        for key, sides in other.groups.items():
            mine = self._group(key)
            for side, tally in sides.items():
                mine[side].merge(tally)
        for side in ("actual", "proposed"):
            self.totals[side].merge(other.totals[side])
            self.pager[side].update(other.pager[side])

    def answer(self, question: WhatIf, world: _World) -> dict:
        weeks = (question.end - question.start) / timedelta(days=7)
        return {"rows": _rows(question.group_by, self.groups, world),
                "totals": {side: tally.figures() for side, tally in self.totals.items()},
                "pager_load": _pager_rows(self.pager, world, weeks), "weeks": round(weeks, 2)}


def _replay_share(job: _Job, tallies: _Tallies, share: tuple[int, int] | None = None) -> None:
    """Replay the leads of the population (those with lead id % n == k for share (k, n))
    into `tallies`, in the current transaction."""
    question, world, now = job.question, job.world, job.now
    replays: dict[str, replay.Replay] = {}  # per CRM: what is the same for every lead
    snapshots = _Snapshots()
    for rows, milestones, facts in _leads(question, job.chunk_rows, share):
        if job.deadline is not None and time.monotonic() > job.deadline:
            raise TooBig(f"the replay took longer than {job.seconds:g} s: narrow the range")
        crm = rows[0].crm
        if crm not in replays:
            replays[crm] = replay.Replay(world.context(crm, now), question.policies,
                                         question.definition)
        for row, actual, proposed in _replay_lead(rows, milestones, facts, replays[crm],
                                                  snapshots, world, now):
            def recipient(notify, row=row):
                return world.recipient(notify, row.rep_id, row.team_id)

            for side, outcome in (("actual", actual), ("proposed", proposed)):
                if outcome is not None:
                    tallies.add(_key(question.group_by, row, outcome), side, outcome, recipient)


def _replay_shared(job: _Job, tallies: _Tallies, workers: int) -> None:
    """Share 0 here, shares 1 … workers - 1 in forked processes, all in this
    transaction's snapshot (exported for them; repeatable read, so this process's own
    reads see that same snapshot)."""
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    forked = [_Worker(job, (k, workers), snapshot) for k in range(1, workers)]
    try:
        _replay_share(job, tallies, (0, workers))
        for worker in forked:
            tallies.merge(worker.result())
    finally:
        for worker in forked:
            worker.stop()


class _Worker:
    """One forked process replaying one share; its answer (or its error) comes back
    through a pipe."""

    def __init__(self, job: _Job, share: tuple[int, int], snapshot: str):
        context = multiprocessing.get_context("fork")  # the replay's state, not re-imported
        self.answers, sender = context.Pipe(duplex=False)
        self.process = context.Process(target=_work, args=(job, share, snapshot, sender),
                                       name=f"what-if share {share[0]}", daemon=True)
        self.process.start()
        sender.close()

    def result(self) -> _Tallies:
        try:
            kind, value = self.answers.recv()
        except EOFError:
            raise RuntimeError("a what-if worker process ended without an answer") from None
        if kind == "too_big":
            raise TooBig(value)
        if kind == "error":
            raise RuntimeError(f"a what-if worker process failed:\n{value}")
        return value

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()  # the replay here gave up (an error, TooBig)
        self.process.join()
        self.answers.close()


def _work(job: _Job, share: tuple[int, int], snapshot: str, sender) -> None:
    """In the forked process. The work runs in a new thread, whose Django connection is a
    new one; the connection inherited from the parent is the parent's session and is never
    used or closed here (the process ends with os._exit, as multiprocessing's fork does).
    SIGTERM is made to end it again: a web server's handler, inherited by the fork, might
    only ask it to finish its request."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    answer = []

    def run():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                tallies = _Tallies()
                _replay_share(job, tallies, share)
            answer.append(("ok", tallies))
        except TooBig as exc:
            answer.append(("too_big", str(exc)))
        except BaseException:
            answer.append(("error", traceback.format_exc()))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="what-if share")
    thread.start()
    thread.join()
    sender.send(answer[0])
    sender.close()


class _SnapshotsKey(Cast):
    """Equal for equal policy snapshots, without reading them out of the database: on
    PostgreSQL the 64-bit hash of the stored jsonb (turning 100,000 snapshots into text
    cost more than the rest of the query; two different sets of snapshots sharing a hash
    is a chance of about one in 10^19 per pair, and a range holds a handful of sets),
    elsewhere the JSON text itself."""

    def __init__(self, expression):
        super().__init__(expression, TextField())

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"jsonb_hash_extended({sql}, 0)::text", params


class _Snapshots:
    """Each distinct set of policy snapshots, read once (by one handoff that has it) and
    shared: the dicts, and the calendars built from them, are the same objects."""

    def __init__(self):
        self.by_key: dict[str, dict] = {}

    def of(self, row: _Row) -> dict:
        found = self.by_key.get(row.snapshots_key)
        if found is None:
            found = self.by_key[row.snapshots_key] = Handoff.objects.filter(
                pk=row.pk).values_list("policy_snapshots", flat=True).get()
        return found


def _population(question: WhatIf) -> QuerySet:
    qs = Handoff.objects.filter(handed_off_at__gte=question.start, handed_off_at__lt=question.end)
    return question.scope(qs) if question.scope is not None else qs


def _leads(question: WhatIf, chunk_rows: int,
           share: tuple[int, int] | None = None) -> Iterator[tuple[list[_Row], list, list]]:
    """(handoff rows, milestone rows, events) of each lead of the population (or of its
    share (k, n): the leads whose id % n == k), in lead order."""
    population = _population(question)
    if share is not None:
        population = population.alias(share=Mod("lead_id", share[1])).filter(share=share[0])
    handoffs = population.annotate(snapshots_key=_SnapshotsKey("policy_snapshots")).order_by(
        "lead_id", "handed_off_at").values_list(*HANDOFF_COLUMNS).iterator(chunk_size=chunk_rows)
    milestones = _ByLead(Milestone.objects.filter(handoff__in=population.values("pk")).order_by(
        "handoff__lead_id", "handoff_id", "seq").values_list(*MILESTONE_COLUMNS)
        .iterator(chunk_size=chunk_rows))
    events = _ByLead(LeadEvent.objects.filter(lead_id__in=population.values("lead_id")).order_by(
        "lead_id").values_list(*EVENT_COLUMNS).iterator(chunk_size=chunk_rows))
    for lead_id, rows in groupby(map(_row, handoffs), key=itemgetter(1)):
        yield list(rows), milestones.take(lead_id), events.take(lead_id)


def _row(values: tuple) -> _Row:
    values = list(values)
    values[HANDOFF_INSTANTS] = map(_instant, values[HANDOFF_INSTANTS])
    return _Row._make(values)


class _ByLead:
    """A stream of rows ordered by lead id (their first value), taken one lead at a time."""

    def __init__(self, rows: Iterator[tuple]):
        self.rows = rows
        self.head = next(rows, None)

    def take(self, lead_id: int) -> list[tuple]:
        while self.head is not None and self.head[0] < lead_id:
            self.head = next(self.rows, None)  # a lead no longer in the population
        taken = []
        while self.head is not None and self.head[0] == lead_id:
            taken.append(self.head)
            self.head = next(self.rows, None)
        return taken


def _replay_lead(rows, milestone_rows, event_rows, lead_replay, snapshots, world, now):
    milestones = defaultdict(list)
    for _, handoff_id, seq, started_at, due_at, met_at, acknowledged_at in milestone_rows:
        milestones[handoff_id].append(replay.RecordedMilestone(
            seq, _instant(started_at), _instant(due_at), _instant(met_at),
            _instant(acknowledged_at)))
    facts = [d.Fact(key, kind, _instant(occurred_at), data)
             for _, key, kind, occurred_at, data in event_rows]
    recorded = {row.handed_off_at: _recorded(row, snapshots.of(row), milestones[row.pk])
                for row in rows}
    proposed = replay.replay_lead(facts, lead_replay.context(recorded.values()))
    for row in rows:
        actual = replay.recorded_outcome(recorded[row.handed_off_at], now=now,
                                         calendar_for=world.calendar_for)
        # None only if the owner mapping changed since and the handoff is gone in a
        # replay; it then counts on the actual side only.
        yield row, actual, proposed.get(row.handed_off_at)


def _recorded(row: _Row, policy_snapshots: dict, milestones) -> replay.RecordedHandoff:
    return replay.RecordedHandoff(
        handed_off_at=row.handed_off_at, rep_id=row.rep_id, team_id=row.team_id,
        heat=row.heat, status=row.status, policy_snapshots=policy_snapshots,
        closed_at=row.closed_at, acknowledged_at=row.acknowledged_at,
        snoozed_until=row.snoozed_until, milestones=tuple(milestones))


def _key(group_by, row, outcome) -> str:
    if group_by == "heat":
        return outcome.heat
    if group_by == "week":
        day = timezone.localtime(row.handed_off_at).date()
        return (day - timedelta(days=day.weekday())).isoformat()
    value = row.rep_id if group_by == "rep" else row.team_id
    return "" if value is None else str(value)


def _rows(group_by, groups, world) -> list[dict]:
    rows = []
    for key, sides in groups.items():
        name = world.name(group_by, key)
        rows.append({"key": key, "label": label_for(group_by, key, name),
                     "actual": sides["actual"].figures(), "proposed": sides["proposed"].figures()})
    return sorted(rows, key=lambda r: (r["label"].lower(), r["key"]))


def _pager_rows(pager, world, weeks) -> list[dict]:
    rows = []
    for recipient in set(pager["actual"]) | set(pager["proposed"]):
        rows.append({"recipient": recipient, "label": world.recipient_label(recipient),
                     **{side: {"escalations": pager[side][recipient],
                               "per_week": round(pager[side][recipient] / weeks, 2)}
                        for side in ("actual", "proposed")}})
    return sorted(rows, key=lambda r: (-r["proposed"]["escalations"],
                                       -r["actual"]["escalations"], r["label"].lower()))


_ALWAYS_OPEN = calendar_spec_to_clock(None)


@lru_cache(maxsize=64)
def _calendar_from_json(spec_json: str):
    return calendar_spec_to_clock(json.loads(spec_json))


@dataclass
class _World:
    """The small tables a replay looks up per lead, read once: CRM owner ids, people,
    teams, current policies, and calendars built once per distinct spec."""

    owners: dict
    people: dict  # pk -> (name, team_id)
    teams: dict   # pk -> (name, manager_id, escalation_contact_id)
    definitions: tuple = ()  # every definition activated, as the live derivation sees them
    policies: dict = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)

    @classmethod
    def load(cls) -> _World:
        return cls(
            owners={(crm, owner): person for crm, owner, person in
                    CrmIdentity.objects.values_list("crm", "owner_id", "person_id")},
            people={pk: (name, team) for pk, name, team in
                    Person.objects.values_list("pk", "name", "team_id")},
            teams={pk: (name, manager, contact) for pk, name, manager, contact in
                   Team.objects.values_list("pk", "name", "manager_id", "escalation_contact_id")},
            definitions=definitions_in_force())

    def context(self, crm: str, now: datetime) -> d.Context:
        return d.Context(
            crm=crm, now=now, default_heat=settings.SLAWATCH_DEFAULT_HEAT,
            person_for_owner=lambda c, owner: self.owners.get((c, owner)),
            team_of=lambda person: self.people.get(person, (None, None))[1],
            policy_for=self.policy_for, calendar_for=self.calendar_for,
            definitions=self.definitions)

    def policy_for(self, heat, team_id):
        if (heat, team_id) not in self.policies:
            self.policies[(heat, team_id)] = current_policy_snapshot(heat, team_id)
        return self.policies[(heat, team_id)]

    def calendar_for(self, spec):
        # Snapshot dicts are shared (see _Snapshots), so most lookups hit by identity; the
        # dict is kept in the entry so its id is never reused while the entry lives.
        if spec is None:
            return _ALWAYS_OPEN
        hit = self.calendars.get(id(spec))
        if hit is None:
            hit = self.calendars[id(spec)] = (spec, _calendar_from_json(
                json.dumps(spec, sort_keys=True)))
        return hit[1]

    def name(self, group_by, key):
        if not key:
            return None
        if group_by == "rep":
            return self.people.get(int(key), (None,))[0]
        if group_by == "team":
            return self.teams.get(int(key), (None,))[0]
        return None

    def recipient(self, notify: str, rep_id: int, team_id: int | None) -> str:
        """Who a step pages, as escalation/recipients.py resolves it (the team at handoff,
        else the rep's team now)."""
        if notify == "rep":
            return person_recipient(rep_id)
        team_id = team_id or self.people.get(rep_id, (None, None))[1]
        if team_id is None or team_id not in self.teams:
            return nobody_recipient(notify)
        if notify == "team_channel":
            return team_recipient(team_id)
        person = self.teams[team_id][1 if notify == "manager" else 2]
        return person_recipient(person) if person else nobody_recipient(notify)

    def recipient_label(self, recipient: str) -> str:
        kind, value = recipient_parts(recipient)
        if kind == PERSON:
            return self.people.get(int(value), (f"person {value}",))[0]
        if kind == TEAM:
            return f"{self.teams[int(value)][0]} channel"
        return f"nobody ({value.replace('_', ' ')} missing)"
