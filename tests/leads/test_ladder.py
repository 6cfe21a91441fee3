"""The escalation ladder: validation, step instants in business time, repeats, snooze."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slawatch.clock import BusinessCalendar, add_business_time
from slawatch.leads import ladder
from slawatch.leads.ladder import Firing, due_firings, next_fire_at, step_instant


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ALWAYS = BusinessCalendar(always_open=True)
# 09:00-17:00 UTC on weekdays; 2026-11-23 is a Monday.
OFFICE = BusinessCalendar.from_spec(
    "UTC", [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)])

WARN = {"at_percent": 50, "notify": "rep", "channel": "slack"}
BREACH = {"at_percent": 100, "notify": "manager", "channel": "slack"}
DIRECTOR = {"after_breach_minutes": 30, "notify": "escalation_contact", "channel": "email"}
NAG = {"after_breach_minutes": 0, "notify": "manager", "channel": "slack", "repeat_minutes": 60}


# --- validation ---------------------------------------------------------------------

@pytest.mark.parametrize("steps, message", [
    ("nope", "steps must be a list"),
    (["x"], r"steps\[0\] must be an object"),
    ([{"notify": "rep", "channel": "slack"}],
     r"steps\[0\] needs exactly one of at_percent or after_breach_minutes"),
    ([{"at_percent": 50, "after_breach_minutes": 5, "notify": "rep", "channel": "slack"}],
     "needs exactly one of"),
    ([WARN, {"at_percent": 0, "notify": "rep", "channel": "slack"}],
     r"steps\[1\].at_percent must be greater than 0 and at most 100"),
    ([{"at_percent": 120, "notify": "rep", "channel": "slack"}], "at most 100"),
    ([{"at_percent": "50", "notify": "rep", "channel": "slack"}], "at_percent must be a number"),
    ([{"at_percent": True, "notify": "rep", "channel": "slack"}], "at_percent must be a number"),
    ([{"after_breach_minutes": -1, "notify": "rep", "channel": "slack"}], "must be 0 or more"),
    ([{"at_percent": 50, "notify": "ceo", "channel": "slack"}], "notify must be one of"),
    ([{"at_percent": 50, "notify": "rep", "channel": "fax"}], "channel must be one of"),
    ([{"at_percent": 50, "notify": "rep", "channel": "slack", "repeat_minutes": 0}],
     "repeat_minutes must be at least 1"),
    ([{"at_percent": 50, "notify": "rep", "channel": "slack", "colour": "red"}],
     "unknown keys: colour"),
    ([{"at_percent": 50, "action": "explode"}], "action must be one of"),
])
def test_invalid_steps_are_refused_with_a_message(steps, message):
    with pytest.raises(ValueError, match=message):
        ladder.validate_steps(steps)


def test_valid_ladder_is_normalized_with_every_key():
    steps = ladder.normalize_steps([WARN, {"after_breach_minutes": 0, "action": "reassign"}])
    assert steps[0] == {"at_percent": 50, "after_breach_minutes": None, "notify": "rep",
                        "channel": "slack", "repeat_minutes": None, "action": "notify"}
    assert steps[1]["action"] == "reassign" and steps[1]["notify"] is None


# --- when steps fire ---------------------------------------------------------------

def test_percent_step_fires_at_that_share_of_the_time():
    assert step_instant(ALWAYS, utc("2026-11-23 09:00"), utc("2026-11-23 09:15"), WARN) == \
        utc("2026-11-23 09:07:30")


def test_percent_step_is_in_business_time():
    # Started 16:00 Monday, due 11:00 Tuesday (2 business hours): 50 % is 17:00 Monday's close,
    # i.e. the first business instant after one hour, not the wall-clock midpoint at 01:30.
    started, due = utc("2026-11-23 16:00"), utc("2026-11-24 10:00")
    assert step_instant(OFFICE, started, due, WARN) == utc("2026-11-23 17:00")
    assert step_instant(OFFICE, started, due, {**WARN, "at_percent": 75}) == \
        utc("2026-11-24 09:30")


def test_hundred_percent_and_zero_after_breach_both_mean_at_breach():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 10:00")
    assert step_instant(OFFICE, started, due, BREACH) == due
    assert step_instant(OFFICE, started, due, {**DIRECTOR, "after_breach_minutes": 0}) == due


def test_after_breach_minutes_are_business_minutes():
    # Due 16:45 Friday; 30 business minutes later is 09:15 Monday.
    started, due = utc("2026-11-27 16:00"), utc("2026-11-27 16:45")
    assert step_instant(OFFICE, started, due, DIRECTOR) == utc("2026-11-30 09:15")


def test_next_fire_at_is_the_earliest_unfired_step():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 09:15")
    steps = [WARN, BREACH]
    assert next_fire_at(ALWAYS, started, due, steps, {}) == utc("2026-11-23 09:07:30")
    assert next_fire_at(ALWAYS, started, due, steps, {"0": 1}) == due
    assert next_fire_at(ALWAYS, started, due, steps, {"0": 1, "1": 1}) is None


def test_due_firings_sends_each_due_step_once():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 09:15")
    steps = [WARN, BREACH, DIRECTOR]
    firings, fired = due_firings(ALWAYS, started, due, steps, {}, now=utc("2026-11-23 09:20"))
    assert firings == [Firing(0, 0, utc("2026-11-23 09:07:30")), Firing(1, 0, due)]
    assert fired == {"0": 1, "1": 1}
    again, fired_again = due_firings(ALWAYS, started, due, steps, fired, now=utc("2026-11-23 09:20"))
    assert again == [] and fired_again == fired


def test_nothing_is_due_before_the_first_step():
    firings, fired = due_firings(ALWAYS, utc("2026-11-23 09:00"), utc("2026-11-23 09:15"),
                                 [WARN], {}, now=utc("2026-11-23 09:07:29"))
    assert firings == [] and fired == {}


def test_repeat_fires_every_interval_after_the_step():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 10:00")
    assert next_fire_at(ALWAYS, started, due, [NAG], {"0": 1}) == utc("2026-11-23 11:00")
    assert next_fire_at(ALWAYS, started, due, [NAG], {"0": 3}) == utc("2026-11-23 13:00")
    firings, fired = due_firings(ALWAYS, started, due, [NAG], {"0": 1},
                                 now=utc("2026-11-23 11:00"))
    assert firings == [Firing(0, 1, utc("2026-11-23 11:00"))] and fired == {"0": 2}


def test_repeats_pause_while_the_calendar_is_closed():
    # Breach at 16:30 Friday; the hourly repeat comes at 09:30 Monday, not 17:30 Friday.
    started, due = utc("2026-11-27 16:00"), utc("2026-11-27 16:30")
    assert next_fire_at(OFFICE, started, due, [NAG], {"0": 1}) == utc("2026-11-30 09:30")


def test_missed_repeats_collapse_into_one_firing():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 10:00")
    # The sweep was down from 10:00 until 13:30: one firing, the latest repeat (3 at 13:00).
    firings, fired = due_firings(ALWAYS, started, due, [NAG], {"0": 1},
                                 now=utc("2026-11-23 13:30"))
    assert firings == [Firing(0, 3, utc("2026-11-23 13:00"))]
    assert fired == {"0": 4}
    assert next_fire_at(ALWAYS, started, due, [NAG], fired) == utc("2026-11-23 14:00")


def test_missed_step_and_repeats_collapse_even_before_the_first_send():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 10:00")
    firings, fired = due_firings(ALWAYS, started, due, [NAG], {}, now=utc("2026-11-23 12:10"))
    assert firings == [Firing(0, 2, utc("2026-11-23 12:00"))] and fired == {"0": 3}


def test_snooze_holds_every_step_until_it_ends():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 09:15")
    until = utc("2026-11-23 09:30")
    firings, fired = due_firings(ALWAYS, started, due, [WARN, BREACH], {},
                                 now=utc("2026-11-23 09:20"), snoozed_until=until)
    assert firings == [] and fired == {}
    assert next_fire_at(ALWAYS, started, due, [WARN, BREACH], {}, snoozed_until=until) == until
    firings, _ = due_firings(ALWAYS, started, due, [WARN, BREACH], {},
                             now=until, snoozed_until=until)
    assert [f.step_index for f in firings] == [0, 1]


def test_snooze_in_the_past_changes_nothing():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 09:15")
    assert next_fire_at(ALWAYS, started, due, [WARN], {},
                        snoozed_until=utc("2026-11-23 08:00")) == utc("2026-11-23 09:07:30")


def test_fractional_repeat_minutes_keep_their_cadence():
    started, due = utc("2026-11-23 09:00"), utc("2026-11-23 10:00")
    step = {**NAG, "repeat_minutes": 1.5}
    assert next_fire_at(ALWAYS, started, due, [step], {"0": 2}) == \
        due + timedelta(minutes=3)


# --- properties ---------------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(due_after=st.integers(1, 600), repeat=st.one_of(st.none(), st.integers(1, 120)),
       percent=st.one_of(st.none(), st.integers(1, 100)), after=st.integers(0, 240),
       sweeps=st.lists(st.integers(0, 3 * 24 * 60), min_size=1, max_size=12))
def test_sweeping_at_any_times_fires_each_occurrence_at_most_once_and_never_early(
        due_after, repeat, percent, after, sweeps):
    started = utc("2026-11-23 09:00")
    due = add_business_time(OFFICE, started, timedelta(minutes=due_after))
    step = {"notify": "manager", "channel": "slack", "repeat_minutes": repeat,
            **({"at_percent": percent} if percent else {"after_breach_minutes": after})}
    fired, sent = {}, []
    for minute in sorted(sweeps):
        now = started + timedelta(minutes=minute)
        firings, fired = due_firings(OFFICE, started, due, [step], fired, now)
        for firing in firings:
            assert firing.at <= now  # never early
            sent.append(firing.occurrence)
        upcoming = next_fire_at(OFFICE, started, due, [step], fired)
        assert upcoming is None or upcoming > now  # nothing due is left behind
    assert sent == sorted(set(sent))  # each occurrence once, in order
    if not repeat:
        assert len(sent) <= 1
