"""A pretend CRM for the demo: keeps posting signed generic events to a running slawatch.

Every few seconds a new lead is created and assigned to a demo rep; most are hot
(24x7 tier, a first-touch SLA of a minute or two). Each lead gets a fate: touched
promptly, touched late (after the breach), passed to a colleague, or ignored
until it is disqualified ten minutes later. So warnings, breaches, repeats and
escalations happen live, over HTTP, through the same signed endpoint a real
CRM integration uses. No Django here: the command in management/ wires it up.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

from slawatch.demo import cast
from slawatch.ingest.signatures import generic_header
from slawatch.leads.events import CALL, COLD, EMAIL, HOT, SMS, WARM

log = logging.getLogger(__name__)
PATH = "/webhooks/events/"
FATES = {"prompt": 0.35, "late": 0.3, "ignored": 0.25, "reassigned": 0.1}


class Simulator:
    """Decides what happens to which lead when; `tick(now)` hands out what is due."""

    def __init__(self, *, rng: random.Random, run_id: str, hot_sla: timedelta,
                 lead_every: timedelta, hot_share: float = 0.8):
        self.rng, self.run_id, self.hot_sla = rng, run_id, hot_sla
        self.lead_every, self.hot_share = lead_every, hot_share
        self.queue: list[tuple[datetime, int, dict]] = []
        self.next_lead_at: datetime | None = None
        self.leads = 0
        self._seq = itertools.count()

    def tick(self, now: datetime) -> list[dict]:
        """Every event due at `now` (new leads included), oldest first."""
        if self.next_lead_at is None or now >= self.next_lead_at:
            self._new_lead(now)
            self.next_lead_at = now + self.lead_every
        due = []
        while self.queue and self.queue[0][0] <= now:
            due.append(heapq.heappop(self.queue)[2])
        return due

    def next_wakeup(self) -> datetime:
        times = [self.next_lead_at] + ([self.queue[0][0]] if self.queue else [])
        return min(t for t in times if t is not None)

    def _at(self, when: datetime, kind: str, external_id: str, lead: dict, **extra) -> None:
        body = {"event_id": f"{external_id}-{next(self._seq)}", "type": kind,
                "occurred_at": when.isoformat(), "crm": cast.CRM,
                "lead": {"external_id": external_id, **lead}, **extra}
        heapq.heappush(self.queue, (when, next(self._seq), body))

    def _touch(self, when, external_id, owner):
        touch = {"kind": self.rng.choice([CALL, EMAIL, SMS]), "at": when.isoformat(),
                 "by": owner}
        self._at(when, "lead.touched", external_id, {}, touch=touch)

    def _new_lead(self, now: datetime) -> None:
        self.leads += 1
        external_id = f"SIM-{self.run_id}-{self.leads:04d}"
        team = self.rng.choice(list(cast.REPS_BY_TEAM))
        owner = self.rng.choice(cast.REPS_BY_TEAM[team])
        heat = HOT if self.rng.random() < self.hot_share else self.rng.choice([WARM, COLD])
        fields = cast.lead_fields(self.rng, external_id, heat)
        fields.pop("external_id")
        self._at(now, "lead.created", external_id, fields)
        self._at(now, "lead.assigned", external_id, {"owner": owner, "heat": heat})
        if heat == HOT:
            self._hot_fate(now, external_id, team, owner)
        else:  # business-hours tiers: touched within a few minutes, for the board
            self._touch(now + timedelta(minutes=self.rng.uniform(1, 5)), external_id, owner)

    def _hot_fate(self, now, external_id, team, owner):
        fate = self.rng.choices(list(FATES), weights=list(FATES.values()))[0]
        sla = self.hot_sla
        if fate == "prompt":  # before the 50 % warning, or between warning and breach
            self._touch(now + sla * self.rng.uniform(0.2, 0.9), external_id, owner)
        elif fate == "late":
            self._touch(now + sla * self.rng.uniform(1.5, 3.0), external_id, owner)
        elif fate == "reassigned":
            other = self.rng.choice([o for o in cast.REPS_BY_TEAM[team] if o != owner])
            handed_on = now + sla * 0.7
            self._at(handed_on, "lead.assigned", external_id, {"owner": other})
            self._touch(handed_on + sla * self.rng.uniform(0.3, 2.0), external_id, other)
        else:  # ignored: the manager is reminded until someone acknowledges or it is closed
            self._at(now + timedelta(minutes=10), "lead.disqualified", external_id, {})


def post(session: requests.Session, base_url: str, secret: str, events: list[dict],
         timeout: float = 10.0, now: Callable[[], float] = time.time) -> int:
    """POST the events as one signed batch; returns the HTTP status."""
    body = json.dumps(events, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json",
               "X-Slawatch-Signature": generic_header(secret, int(now()), body)}
    response = session.post(base_url.rstrip("/") + PATH, data=body, headers=headers,
                            timeout=timeout)
    return response.status_code


def run(*, base_url: str, secret: str, simulator: Simulator, duration: float | None = None,
        clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
        out: Callable[[str], None] = print) -> int:
    """Post events as they fall due until `duration` seconds have passed (None: forever).

    A batch the service refuses or cannot take (it is still starting, or down) is
    retried on the next round, so nothing the simulator decided is lost.
    """
    session, started, sent, backlog = requests.Session(), clock(), 0, []
    while duration is None or clock() - started < duration:
        now = datetime.fromtimestamp(clock(), UTC)
        batch = backlog + simulator.tick(now)
        backlog = []
        if batch:
            try:
                status = post(session, base_url, secret, batch)
            except requests.RequestException as exc:
                status = f"unreachable ({type(exc).__name__})"
            if isinstance(status, int) and 200 <= status < 300:
                sent += len(batch)
                out(f"simulator: posted {len(batch)} event(s) "
                    f"({', '.join(sorted({e['type'] for e in batch}))}), HTTP {status}")
            elif isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
                out(f"simulator: {len(batch)} event(s) refused (HTTP {status}); dropped")
            else:
                backlog = batch
                out(f"simulator: {len(batch)} event(s) not taken ({status}); will retry")
        wait = (simulator.next_wakeup() - datetime.fromtimestamp(clock(), UTC)).total_seconds()
        sleep(min(max(wait, 0.2), 2.0 if backlog else 5.0))
    return sent
