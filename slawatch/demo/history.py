"""A few weeks of plausible CRM history, as generic events (pure, no Django).

Every historical lead is finished: it was touched (on time or late), its
follow-ups done, and some were converted or disqualified. So the history fills
the reports and the board's charts but leaves no timer due: the live
escalations in the demo come from the simulator, not from the past.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slawatch.demo import cast
from slawatch.leads.events import CALL, COLD, EMAIL, HOT, MEETING, SMS, WARM

HEAT_WEIGHTS = {HOT: 0.3, WARM: 0.45, COLD: 0.25}
TEAM_ZONES = {"North America": "America/New_York", "EMEA": "Europe/Berlin"}
# (on-time share, on-time delay range, late delay range) in minutes, by heat
TOUCH_DELAYS = {
    HOT: (0.75, (0.3, 1.8), (3, 45)),
    WARM: (0.8, (5, 55), (70, 300)),
    COLD: (0.7, (30, 400), (600, 2400)),
}
REJECT_REASONS = ["bad_contact_data", "not_target_market", "no_budget", "no_need",
                  "student_or_job_seeker", "competitor", "duplicate"]


@dataclass
class LeadHistory:
    external_id: str
    owner: str
    events: list[dict] = field(default_factory=list)
    verdict: str | None = None          # accepted / rejected (a rep's feedback), or None
    reason: str = ""
    rating: int | None = None
    dispute: str | None = None          # None, "open", "upheld", "overturned"


def _event(history, kind, at, lead, **extra):
    body = {"event_id": f"{history.external_id}-{len(history.events)}", "type": kind,
            "occurred_at": at.isoformat(), "crm": cast.CRM, "lead": lead, **extra}
    history.events.append(body)


def _handoff_instant(rng, day, team):
    """A weekday moment between 09:00 and 17:00 in the team's own zone."""
    zone = ZoneInfo(TEAM_ZONES[team])
    local = datetime.combine(day, time(9), tzinfo=zone) + timedelta(minutes=rng.randint(0, 480))
    return local.astimezone(UTC)


def _touch(history, rng, at, owner, kind=None):
    touch = {"kind": kind or rng.choice([CALL, CALL, EMAIL, MEETING, SMS]),
             "at": at.isoformat(), "by": owner}
    _event(history, "lead.touched", at, {"external_id": history.external_id}, touch=touch)


def lead_history(rng: random.Random, number: str, assigned_at: datetime, team: str,
                 latest: datetime) -> LeadHistory:
    heat = rng.choices(list(HEAT_WEIGHTS), weights=list(HEAT_WEIGHTS.values()))[0]
    owners = cast.REPS_BY_TEAM[team]
    owner = rng.choice(owners)
    history = LeadHistory(external_id=f"H-{number}", owner=owner)
    lead = cast.lead_fields(rng, history.external_id, heat)
    _event(history, "lead.created", assigned_at - timedelta(minutes=1), dict(lead))
    # No heat from the CRM: the demo's lead definition decides it from the fields above.
    _event(history, "lead.assigned", assigned_at, {"external_id": history.external_id,
                                                   "owner": owner})
    start = assigned_at
    if heat == WARM and rng.random() < 0.1:  # handed on to a colleague before any touch
        owner = rng.choice([o for o in owners if o != owner])
        start = assigned_at + timedelta(minutes=rng.randint(10, 40))
        history.owner = owner
        _event(history, "lead.assigned", start, {"external_id": history.external_id,
                                                 "owner": owner})
    on_time, fast, slow = TOUCH_DELAYS[heat]
    low, high = fast if rng.random() < on_time else slow
    touched = min(start + timedelta(minutes=rng.uniform(low, high)), latest)
    _touch(history, rng, touched, owner)
    if heat == WARM:  # the one follow-up the warm tier requires
        follow_up = min(touched + timedelta(minutes=rng.uniform(60, 900)), latest)
        _touch(history, rng, max(follow_up, touched + timedelta(seconds=1)), owner,
               kind=EMAIL)
    _outcome(history, rng, touched, latest)
    _feedback(history, rng)
    return history


def _outcome(history, rng, touched, latest):
    roll, ref = rng.random(), {"external_id": history.external_id}
    at = min(touched + timedelta(days=rng.uniform(2, 15)), latest)
    if roll < 0.25:
        opportunity = {"external_id": f"OPP-{history.external_id}", "currency": "USD",
                       "amount": float(rng.randrange(5_000, 60_000, 500))}
        _event(history, "lead.converted", at, ref, opportunity=opportunity)
    elif roll < 0.4:
        _event(history, "lead.disqualified", at, ref)


def _feedback(history, rng):
    if rng.random() > 0.6:
        return
    if rng.random() < 0.75:
        history.verdict, history.rating = "accepted", rng.randint(3, 5)
        return
    history.verdict, history.rating = "rejected", rng.randint(1, 2)
    history.reason = rng.choice(REJECT_REASONS)
    if rng.random() < 0.45:
        history.dispute = rng.choice(["open", "upheld", "overturned"])


def build(now: datetime, days: int = 21, per_day: int = 6, seed: int = 7) -> list[LeadHistory]:
    """`per_day` leads per team on each weekday of the last `days` days (not today).

    Each day's leads come from a generator seeded with that day, and their ids
    carry the day, so running again (even a day later) yields the same events
    for the same ids, and applying them again changes nothing.
    """
    latest = now - timedelta(minutes=10)
    leads = []
    for back in range(days, 1, -1):
        day = (now - timedelta(days=back)).date()
        if day.weekday() >= 5:
            continue
        for team_index, team in enumerate(TEAM_ZONES):
            rng = random.Random(f"{seed}:{day.isoformat()}:{team}")
            for index in range(per_day):
                number = f"{day:%Y%m%d}-{team_index}{index:02d}"
                assigned = _handoff_instant(rng, day, team)
                leads.append(lead_history(rng, number, assigned, team, latest))
    return leads
