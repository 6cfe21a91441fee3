"""The escalation ladder: when each step of a policy fires for one milestone.

Pure functions over the business clock, no Django. A step fires at a percent of
the milestone's SLA time ("warn the rep at 50 %"), or some minutes after the
breach ("director 30 minutes after"), and may repeat until the milestone is
acknowledged, met or closed. All arithmetic is business time in the policy's
calendar, so nobody is paged at 3 a.m. for a lead whose clock is stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from slawatch.clock import BusinessCalendar, add_business_time, business_time_between

NOTIFY = ("rep", "manager", "escalation_contact", "team_channel")
CHANNELS = ("slack", "email")
ACTIONS = ("notify", "reassign")


def _number(value, name, index):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"steps[{index}].{name} must be a number")
    return value


def validate_steps(steps) -> None:
    if not isinstance(steps, list):
        raise ValueError("steps must be a list")
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise ValueError(f"steps[{index}] must be an object")
        unknown = set(step) - {"at_percent", "after_breach_minutes", "notify", "channel",
                               "repeat_minutes", "action"}
        if unknown:
            raise ValueError(f"steps[{index}] has unknown keys: {', '.join(sorted(unknown))}")
        percent, after = step.get("at_percent"), step.get("after_breach_minutes")
        if (percent is None) == (after is None):
            raise ValueError(f"steps[{index}] needs exactly one of at_percent or after_breach_minutes")
        if percent is not None and not 0 < _number(percent, "at_percent", index) <= 100:
            raise ValueError(f"steps[{index}].at_percent must be greater than 0 and at most 100")
        if after is not None and _number(after, "after_breach_minutes", index) < 0:
            raise ValueError(f"steps[{index}].after_breach_minutes must be 0 or more")
        action = step.get("action", "notify")
        if action not in ACTIONS:
            raise ValueError(f"steps[{index}].action must be one of {', '.join(ACTIONS)}")
        if action == "notify" or "notify" in step:
            if step.get("notify") not in NOTIFY:
                raise ValueError(f"steps[{index}].notify must be one of {', '.join(NOTIFY)}")
            if step.get("channel") not in CHANNELS:
                raise ValueError(f"steps[{index}].channel must be one of {', '.join(CHANNELS)}")
        repeat = step.get("repeat_minutes")
        if repeat is not None and _number(repeat, "repeat_minutes", index) < 1:
            raise ValueError(f"steps[{index}].repeat_minutes must be at least 1")


def normalize_steps(steps) -> list[dict]:
    validate_steps(steps)
    return [
        {
            "at_percent": step.get("at_percent"),
            "after_breach_minutes": step.get("after_breach_minutes"),
            "notify": step.get("notify"),
            "channel": step.get("channel"),
            "repeat_minutes": step.get("repeat_minutes"),
            "action": step.get("action", "notify"),
        }
        for step in steps
    ]


def step_instant(cal: BusinessCalendar, started: datetime, due: datetime, step: dict,
                 total: timedelta | None = None) -> datetime:
    """When a step first fires for a milestone running from `started` to `due`; `total`,
    the open time from started to due, may be passed when the caller already has it."""
    if step.get("at_percent") is not None:
        if step["at_percent"] >= 100:
            return due
        if total is None:
            total = business_time_between(cal, started, due)
        return add_business_time(cal, started, total * step["at_percent"] / 100)
    return add_business_time(cal, due, timedelta(minutes=step["after_breach_minutes"]))


def occurrence_instant(cal, base: datetime, step: dict, occurrence: int) -> datetime:
    """Occurrence 0 is the step itself; n > 0 are its repeats."""
    if occurrence == 0:
        return base
    return add_business_time(cal, base, timedelta(minutes=step["repeat_minutes"] * occurrence))


@dataclass(frozen=True)
class Firing:
    step_index: int
    occurrence: int
    at: datetime


def _next_occurrence(step: dict, fired: int) -> int | None:
    if fired == 0:
        return 0
    if step.get("repeat_minutes"):
        return fired
    return None


def next_fire_at(cal, started, due, steps, fired: dict, snoozed_until=None) -> datetime | None:
    """Earliest instant at which an unfired step (or repeat) of this milestone fires."""
    best = None
    for index, step in enumerate(steps):
        occurrence = _next_occurrence(step, int(fired.get(str(index), 0)))
        if occurrence is None:
            continue
        at = occurrence_instant(cal, step_instant(cal, started, due, step), step, occurrence)
        if snoozed_until is not None and at < snoozed_until:
            at = snoozed_until
        if best is None or at < best:
            best = at
    return best


def due_firings(cal, started, due, steps, fired: dict, now: datetime,
                snoozed_until=None) -> tuple[list[Firing], dict]:
    """Steps that are due at `now` and the `fired` map after they are sent.

    Missed repeats collapse into one firing (the latest), so a sweep that was
    down for hours sends one reminder, not a burst.
    """
    if snoozed_until is not None and now < snoozed_until:
        return [], dict(fired)
    firings, new_fired = [], dict(fired)
    for index, step in enumerate(steps):
        done = int(fired.get(str(index), 0))
        occurrence = _next_occurrence(step, done)
        if occurrence is None:
            continue
        base = step_instant(cal, started, due, step)
        if occurrence_instant(cal, base, step, occurrence) > now:
            continue
        if step.get("repeat_minutes"):
            elapsed = business_time_between(cal, base, now)
            occurrence = max(occurrence, int(elapsed / timedelta(minutes=step["repeat_minutes"])))
        firings.append(Firing(index, occurrence, occurrence_instant(cal, base, step, occurrence)))
        new_fired[str(index)] = occurrence + 1
    return firings, new_fired


def next_due(cal, steps, milestones, snoozed_until=None, closed=False) -> datetime | None:
    """The earliest instant the sweep must look at a handoff again (its `next_due_at`).

    `milestones` are anything with started_at, due_at, met_at, breached_at,
    acknowledged_at and fired (derive's plans and the Milestone model alike), so
    derive and the sweep advance the timer by one rule. A met milestone, a closed
    handoff and an acknowledgement each stop the ladder; an unbreached milestone
    still needs a look at its due time to record the breach.
    """
    if closed:
        return None
    candidates = []
    for milestone in milestones:
        if milestone.met_at:
            continue
        if milestone.breached_at is None:
            candidates.append(milestone.due_at)
        if milestone.acknowledged_at is None:
            fire = next_fire_at(cal, milestone.started_at, milestone.due_at, steps,
                                milestone.fired, snoozed_until)
            if fire is not None:
                candidates.append(fire)
    return min(candidates) if candidates else None


def count_firings(cal, started, due, steps, until: datetime,
                  snoozed_until=None) -> list[int]:
    """How many times each step fires for one milestone before `until` (when it was met,
    acknowledged or closed, or now): what a sweep looking at every instant would send.

    The what-if replay counts pager load with it, so it follows `due_firings` exactly: a
    step fires when its instant (or repeat) is reached strictly before `until`, and
    firings held by a snooze collapse into one at its end. Repeats are counted with two
    clock calls instead of one `due_firings` per repeat.
    """
    counts = []
    percent = [s for s in steps if s.get("at_percent") is not None and s["at_percent"] < 100]
    total = business_time_between(cal, started, due) if len(percent) > 1 else None
    for step in steps:
        base = step_instant(cal, started, due, step, total)
        counts.append(_count_occurrences(cal, base, step, until, snoozed_until))
    return counts


def _count_occurrences(cal, base, step, until, snoozed_until) -> int:
    repeats = bool(step.get("repeat_minutes"))
    if snoozed_until is not None and base < snoozed_until:
        if snoozed_until >= until:
            return 0
        if not repeats:
            return 1  # held, then sent when the snooze ends
        # Every occurrence due by the end of the snooze goes out once, when it ends.
        held = _occurrences_before(cal, base, step, snoozed_until, inclusive=True)
        return 1 + max(0, _occurrences_before(cal, base, step, until) - held)
    if not repeats:
        return int(base < until)
    return _occurrences_before(cal, base, step, until)


def _occurrences_before(cal, base, step, until, inclusive=False) -> int:
    """Occurrences 0, 1, … of a repeating step whose instant is before `until` (or at it)."""
    if base > until or (base == until and not inclusive):
        return 0
    period = timedelta(minutes=step["repeat_minutes"])
    # Open time is strictly increasing with the occurrence, so only the occurrence whose
    # open time equals the elapsed one can fall on either side of `until`.
    last = business_time_between(cal, base, until) // period
    at = occurrence_instant(cal, base, step, last)
    return last + (1 if at < until or (inclusive and at == until) else 0)
