"""What-if: the handoffs of a past range replayed under a proposal, against what happened.

Reads only. The population is the handoffs with `handed_off_at` in [start, end),
narrowed by the user's role scope exactly like the reports. They are streamed in
chunks of whole leads (ordered by lead), so memory stays bounded whatever the range:
per chunk one query for the handoffs' milestones and one for the leads' events, then
the pure replay (slawatch/leads/replay.py) and a running tally per group and per
recipient. "actual" is read from the stored handoffs and milestones; "proposed" is
the derivation run again on the recorded events with the proposed policies.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from slawatch.definitions.selectors import definitions_in_force
from slawatch.leads import derive as d
from slawatch.leads import heat_rules, replay
from slawatch.leads.models import Handoff, LeadEvent, Milestone
from slawatch.leads.services import current_policy_snapshot
from slawatch.people.models import CrmIdentity, Person, Team, calendar_spec_to_clock
from slawatch.reports.selectors import label_for, ratio

GROUP_BYS = ("rep", "team", "heat", "week")
MAX_DAYS = 366
CHUNK_LEADS = 1000
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

    def figures(self) -> dict:
        return {"handoffs": self.handoffs, "met": self.met, "breached": self.breached,
                "compliance": ratio(self.met, self.met + self.breached),
                "escalations": self.escalations}


HANDOFF_COLUMNS = ("pk", "lead_id", "lead__crm", "rep_id", "team_id", "heat", "status",
                   "handed_off_at", "closed_at", "acknowledged_at", "snoozed_until",
                   "snapshots_text")


class TooBig(Exception):
    """The question is more than one request may replay; the message says why and what to
    narrow (answered 400)."""


def what_if_within_limits(question: WhatIf, *, now: datetime | None = None) -> dict:
    """`what_if` as a web request may ask it: at most SLAWATCH_WHATIF_MAX_HANDOFFS handoffs
    (counted first) and SLAWATCH_WHATIF_SECONDS of replay, else TooBig, so that no question
    holds a web worker until it is killed."""
    limit = settings.SLAWATCH_WHATIF_MAX_HANDOFFS
    count = _handoffs(question).count()
    if count > limit:
        raise TooBig(f"the range holds {count} handoffs; at most {limit} can be replayed at "
                     "once: narrow the range")
    return what_if(question, now=now, seconds=settings.SLAWATCH_WHATIF_SECONDS)


def what_if(question: WhatIf, *, now: datetime | None = None,
            chunk_leads: int = CHUNK_LEADS, seconds: float | None = None) -> dict:
    """`{"rows": [...], "totals": {...}, "pager_load": [...], "weeks": n}` (see docs/WHATIF.md).
    With `seconds`, TooBig once the replay has run that long (checked between chunks)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    now = now or timezone.now()
    world = _World.load()
    groups: dict[str, dict[str, Tally]] = defaultdict(lambda: {"actual": Tally(),
                                                                "proposed": Tally()})
    totals = {"actual": Tally(), "proposed": Tally()}
    pager: dict[str, Counter] = {"actual": Counter(), "proposed": Counter()}
    for chunk in _lead_chunks(_population(question), chunk_leads):
        if deadline is not None and time.monotonic() > deadline:
            raise TooBig(f"the replay took longer than {seconds:g} s: narrow the range")
        for row, actual, proposed in _replay_chunk(chunk, question, world, now):
            for side, outcome in (("actual", actual), ("proposed", proposed)):
                if outcome is None:
                    continue
                groups[_key(question.group_by, row, outcome)][side].add(outcome)
                totals[side].add(outcome)
                for notify, count in outcome.escalations.items():
                    pager[side][world.recipient(notify, row["rep_id"], row["team_id"])] += count
    weeks = (question.end - question.start) / timedelta(days=7)
    return {"rows": _rows(question.group_by, groups, world),
            "totals": {side: tally.figures() for side, tally in totals.items()},
            "pager_load": _pager_rows(pager, world, weeks), "weeks": round(weeks, 2)}


def _handoffs(question: WhatIf) -> QuerySet:
    qs = Handoff.objects.filter(handed_off_at__gte=question.start, handed_off_at__lt=question.end)
    return qs if question.scope is None else question.scope(qs)


def _population(question: WhatIf):
    qs = _handoffs(question)
    # The snapshots as text, parsed once per distinct text: thousands of handoffs share a
    # few policies, so they share the dicts too (and the calendars built from them).
    rows = qs.annotate(snapshots_text=Cast("policy_snapshots", TextField())).order_by(
        "lead_id", "handed_off_at").values_list(*HANDOFF_COLUMNS)
    for values in rows.iterator(chunk_size=2000):
        row = dict(zip(HANDOFF_COLUMNS, values, strict=True))
        row["policy_snapshots"] = _snapshots(row.pop("snapshots_text"))
        yield row


@lru_cache(maxsize=1024)
def _snapshots(text: str) -> dict:
    return json.loads(text)


def _lead_chunks(rows, size) -> Iterator[list[dict]]:
    """Lists of handoff rows holding at most `size` whole leads (rows come by lead)."""
    chunk, leads, last = [], 0, None
    for row in rows:
        if row["lead_id"] != last:
            if leads == size:
                yield chunk
                chunk, leads = [], 0
            leads, last = leads + 1, row["lead_id"]
        chunk.append(row)
    if chunk:
        yield chunk


def _replay_chunk(chunk, question, world, now):
    milestones = defaultdict(list)
    for handoff_id, *values in Milestone.objects.filter(
            handoff_id__in=[row["pk"] for row in chunk]).order_by("handoff_id", "seq").values_list(
            "handoff_id", "seq", "started_at", "due_at", "met_at", "acknowledged_at"):
        milestones[handoff_id].append(replay.RecordedMilestone(*values))
    facts = defaultdict(list)
    for lead_id, key, kind, occurred_at, data in LeadEvent.objects.filter(
            lead_id__in={row["lead_id"] for row in chunk}).values_list(
            "lead_id", "key", "type", "occurred_at", "data"):
        facts[lead_id].append(d.Fact(key, kind, occurred_at, data))
    by_lead = defaultdict(list)
    for row in chunk:
        by_lead[row["lead_id"]].append(row)
    for lead_id, rows in by_lead.items():
        recorded = {row["handed_off_at"]: _recorded(row, milestones[row["pk"]]) for row in rows}
        ctx = replay.replay_context(world.context(rows[0]["lead__crm"], now),
                                    question.policies, recorded.values(),
                                    question.definition)
        proposed = replay.replay_lead(facts[lead_id], ctx)
        for row in rows:
            actual = replay.recorded_outcome(recorded[row["handed_off_at"]], now=now,
                                             calendar_for=world.calendar_for)
            # None only if the owner mapping changed since and the handoff is gone in a
            # replay; it then counts on the actual side only.
            yield row, actual, proposed.get(row["handed_off_at"])


def _recorded(row, milestones) -> replay.RecordedHandoff:
    return replay.RecordedHandoff(
        handed_off_at=row["handed_off_at"], rep_id=row["rep_id"], team_id=row["team_id"],
        heat=row["heat"], status=row["status"], policy_snapshots=row["policy_snapshots"],
        closed_at=row["closed_at"], acknowledged_at=row["acknowledged_at"],
        snoozed_until=row["snoozed_until"], milestones=tuple(milestones))


def _key(group_by, row, outcome) -> str:
    if group_by == "heat":
        return outcome.heat
    if group_by == "week":
        day = timezone.localtime(row["handed_off_at"]).date()
        return (day - timedelta(days=day.weekday())).isoformat()
    value = row["rep_id"] if group_by == "rep" else row["team_id"]
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
        # Snapshot dicts are shared (see _snapshots), so most lookups hit by identity; the
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
            return f"person:{rep_id}"
        team_id = team_id or self.people.get(rep_id, (None, None))[1]
        if team_id is None or team_id not in self.teams:
            return f"nobody:{notify}"
        if notify == "team_channel":
            return f"team:{team_id}"
        person = self.teams[team_id][1 if notify == "manager" else 2]
        return f"person:{person}" if person else f"nobody:{notify}"

    def recipient_label(self, recipient: str) -> str:
        kind, _, value = recipient.partition(":")
        if kind == "person":
            return self.people.get(int(value), (f"person {value}",))[0]
        if kind == "team":
            return f"{self.teams[int(value)][0]} channel"
        return f"nobody ({value.replace('_', ' ')} missing)"
