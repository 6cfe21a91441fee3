"""The business-time clock: examples across nights, weekends, holidays and DST, plus properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slawatch import clock
from slawatch.clock import (
    BusinessCalendar,
    ClockError,
    add_business_time,
    business_time_between,
)
from slawatch.people.models import calendar_spec_to_clock


def add_business_minutes(cal, start, minutes):
    return add_business_time(cal, start, timedelta(minutes=minutes))


def business_minutes_between(cal, start, end):
    return business_time_between(cal, start, end).total_seconds() / 60


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text, zone):
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def weekdays(start="09:00", end="17:00", days=range(5)):
    return [{"weekday": d, "start": start, "end": end} for d in days]


def every_day(start, end):
    return weekdays(start, end, range(7))


NY_9_TO_5 = BusinessCalendar.from_spec("America/New_York", weekdays())


# --- examples: nights, weekends, several intervals, holidays -------------------------

def test_minutes_inside_one_open_interval_are_plain_minutes():
    # Monday 2026-11-23 10:00 EST is 15:00Z.
    assert add_business_minutes(NY_9_TO_5, utc("2026-11-23 15:00"), 30) == utc("2026-11-23 15:30")


def test_time_left_at_closing_carries_over_to_next_morning():
    # 16:50 EST + 15 business minutes: 10 today, 5 after 09:00 tomorrow.
    result = add_business_minutes(NY_9_TO_5, local("2026-11-23 16:50", "America/New_York"), 15)
    assert result == local("2026-11-24 09:05", "America/New_York")


def test_friday_evening_lands_on_monday_morning():
    result = add_business_minutes(NY_9_TO_5, local("2026-11-20 16:00", "America/New_York"), 120)
    assert result == local("2026-11-23 10:00", "America/New_York")


def test_start_during_weekend_waits_for_monday():
    result = add_business_minutes(NY_9_TO_5, local("2026-11-21 12:00", "America/New_York"), 1)
    assert result == local("2026-11-23 09:01", "America/New_York")


def test_counting_skips_night_and_weekend():
    start = local("2026-11-20 16:00", "America/New_York")  # Friday
    end = local("2026-11-23 10:00", "America/New_York")  # Monday
    assert business_minutes_between(NY_9_TO_5, start, end) == 120


def test_several_intervals_a_day_skip_the_lunch_break():
    cal = BusinessCalendar.from_spec(
        "Europe/Berlin", weekdays("09:00", "12:00") + weekdays("13:00", "17:00"))
    start = local("2026-11-23 11:30", "Europe/Berlin")
    assert add_business_minutes(cal, start, 60) == local("2026-11-23 13:30", "Europe/Berlin")
    assert business_minutes_between(cal, start, local("2026-11-23 17:00", "Europe/Berlin")) == 270


def test_overlapping_intervals_are_not_counted_twice():
    cal = BusinessCalendar.from_spec(
        "UTC", weekdays("09:00", "12:00") + weekdays("11:00", "13:00"))
    assert business_minutes_between(cal, utc("2026-11-23 00:00"), utc("2026-11-24 00:00")) == 240


def test_explicit_holiday_is_closed():
    cal = calendar_spec_to_clock({"time_zone": "America/New_York", "hours": weekdays(),
                                  "holidays": ["2026-11-24"]})
    result = add_business_minutes(cal, local("2026-11-23 16:30", "America/New_York"), 60)
    assert result == local("2026-11-25 09:30", "America/New_York")


def test_country_public_holiday_is_closed():
    # 2026-11-26 is Thanksgiving in the US; without the country it is a working Thursday.
    spec = {"time_zone": "America/New_York", "hours": weekdays(), "country": "US"}
    start = local("2026-11-25 16:00", "America/New_York")
    with_holidays = add_business_minutes(calendar_spec_to_clock(spec), start, 120)
    without = add_business_minutes(calendar_spec_to_clock({**spec, "country": None}), start, 120)
    assert with_holidays == local("2026-11-27 10:00", "America/New_York")
    assert without == local("2026-11-26 10:00", "America/New_York")


def test_german_public_holiday_via_country_code():
    # 2026-12-25 (Friday) and 2026-12-26 are public holidays in Germany.
    cal = calendar_spec_to_clock({"time_zone": "Europe/Berlin", "hours": weekdays(),
                                  "country": "de"})
    result = add_business_minutes(cal, local("2026-12-24 16:00", "Europe/Berlin"), 120)
    assert result == local("2026-12-28 10:00", "Europe/Berlin")


def test_interval_until_midnight_continues_after_midnight():
    cal = BusinessCalendar.from_spec("UTC", every_day("22:00", "24:00") + every_day("00:00", "02:00"))
    assert add_business_minutes(cal, utc("2026-11-23 23:30"), 60) == utc("2026-11-24 00:30")


def test_always_open_is_plain_arithmetic():
    cal = calendar_spec_to_clock(None)
    start = utc("2026-11-21 03:00")
    assert add_business_minutes(cal, start, 90) == utc("2026-11-21 04:30")
    assert business_minutes_between(cal, start, utc("2026-11-22 03:00")) == 24 * 60


def test_count_is_zero_when_end_is_not_after_start():
    start = utc("2026-11-23 15:00")
    assert business_time_between(NY_9_TO_5, start, start) == timedelta(0)
    assert business_time_between(NY_9_TO_5, start, start - timedelta(hours=1)) == timedelta(0)


def test_result_is_utc_whatever_the_zone_of_the_input():
    start = local("2026-11-23 10:00", "Asia/Kolkata")
    result = add_business_minutes(BusinessCalendar(always_open=True), start, 1)
    assert result.utcoffset() == timedelta(0)


# --- DST and odd offsets ----------------------------------------------------------------

@pytest.mark.parametrize("zone, night, hours", [
    ("America/New_York", "2026-03-08", 2),     # 02:00 -> 03:00
    ("Europe/Berlin", "2026-03-29", 2),        # 02:00 -> 03:00
    ("Australia/Lord_Howe", "2026-10-04", 2.5),  # 02:00 -> 02:30: half an hour is lost
    ("Asia/Kolkata", "2026-03-08", 3),         # no DST
])
def test_hours_00_to_03_across_spring_forward_night(zone, night, hours):
    day = date.fromisoformat(night)
    cal = BusinessCalendar.from_spec(zone, [{"weekday": day.weekday(), "start": "00:00",
                                             "end": "03:00"}])
    start = local(f"{night} 00:00", zone)
    assert business_time_between(cal, start, start + timedelta(days=1)) == timedelta(hours=hours)
    # The whole open time of the night is used up at 03:00 local (after the jump).
    minutes = int(hours * 60)
    assert add_business_minutes(cal, start, minutes) == local(f"{night} 03:00", zone)


@pytest.mark.parametrize("zone, night, hours", [
    ("America/New_York", "2026-11-01", 4),     # 02:00 -> 01:00
    ("Europe/Berlin", "2026-10-25", 4),        # 03:00 -> 02:00
    ("Australia/Lord_Howe", "2026-04-05", 3.5),  # 02:00 -> 01:30
])
def test_hours_00_to_03_across_fall_back_night(zone, night, hours):
    day = date.fromisoformat(night)
    cal = BusinessCalendar.from_spec(zone, [{"weekday": day.weekday(), "start": "00:00",
                                             "end": "03:00"}])
    start = local(f"{night} 00:00", zone)
    assert business_time_between(cal, start, start + timedelta(days=1)) == timedelta(hours=hours)


@pytest.mark.parametrize("zone, day, hours", [
    ("America/New_York", "2026-03-08", 23),
    ("America/New_York", "2026-11-01", 25),
    ("Europe/Berlin", "2026-03-29", 23),
    ("Europe/Berlin", "2026-10-25", 25),
    ("Australia/Lord_Howe", "2026-10-04", 23.5),
    ("Australia/Lord_Howe", "2026-04-05", 24.5),
    ("Asia/Kolkata", "2026-03-29", 24),
])
def test_business_day_spanning_the_change_has_its_real_length(zone, day, hours):
    weekday = date.fromisoformat(day).weekday()
    cal = BusinessCalendar.from_spec(zone, [{"weekday": weekday, "start": "00:00", "end": "24:00"}])
    start = local(f"{day} 00:00", zone)
    assert business_time_between(cal, start - timedelta(days=2), start + timedelta(days=3)) == \
        timedelta(hours=hours)


@pytest.mark.parametrize("zone, night, start, end, minutes", [
    # Wall times skipped by the jump never happen: only the real time inside counts.
    ("America/New_York", "2026-03-08", "01:00", "02:30", 60),  # 01:00-02:00 EST
    ("America/New_York", "2026-03-08", "02:30", "04:00", 60),  # 03:00-04:00 EDT
    ("America/New_York", "2026-03-08", "02:00", "03:00", 0),   # the whole gap
    ("Europe/Berlin", "2026-03-29", "01:30", "02:30", 30),
    ("Australia/Lord_Howe", "2026-10-04", "01:45", "02:15", 15),  # the gap is 02:00-02:30
    ("Australia/Lord_Howe", "2026-10-04", "02:10", "02:20", 0),
])
def test_interval_edges_inside_a_spring_forward_gap(zone, night, start, end, minutes):
    day = date.fromisoformat(night)
    cal = BusinessCalendar.from_spec(zone, [{"weekday": day.weekday(), "start": start,
                                             "end": end}])
    midnight = local(f"{night} 00:00", zone)
    assert business_minutes_between(cal, midnight, midnight + timedelta(days=1)) == minutes


def test_time_added_just_before_a_gap_continues_after_it():
    cal = BusinessCalendar.from_spec("America/New_York", [{"weekday": 6, "start": "01:00",
                                                           "end": "04:00"}])
    start = local("2026-03-08 01:50", "America/New_York")
    # 10 minutes until the jump at 02:00 EST, then 20 minutes from 03:00 EDT.
    assert add_business_minutes(cal, start, 30) == local("2026-03-08 03:20", "America/New_York")


def test_opening_hours_follow_local_time_after_the_change():
    # 9-to-5 in New York is 14:00Z-22:00Z in winter and 13:00Z-21:00Z in summer.
    friday = utc("2026-03-06 21:30")  # Friday 16:30 EST
    assert add_business_minutes(NY_9_TO_5, friday, 60) == utc("2026-03-09 13:30")  # 09:30 EDT


def test_wait_across_a_weekend_with_the_change_in_berlin():
    cal = BusinessCalendar.from_spec("Europe/Berlin", weekdays())
    friday = local("2026-10-23 16:00", "Europe/Berlin")
    assert add_business_minutes(cal, friday, 90) == local("2026-10-26 09:30", "Europe/Berlin")
    assert business_minutes_between(cal, friday, local("2026-10-26 09:30", "Europe/Berlin")) == 90


def test_kolkata_half_hour_offset():
    cal = BusinessCalendar.from_spec("Asia/Kolkata", weekdays("09:30", "18:00"))
    # 09:30 IST is 04:00Z.
    assert add_business_minutes(cal, utc("2026-11-23 00:00"), 0.5) == utc("2026-11-23 04:00:30")
    assert business_minutes_between(cal, utc("2026-11-23 00:00"), utc("2026-11-24 00:00")) == 510


def test_lord_howe_business_hours_after_the_half_hour_change():
    # Lord Howe is +10:30 in winter and +11:00 in summer (from 2026-10-04 02:00).
    cal = BusinessCalendar.from_spec("Australia/Lord_Howe", weekdays())
    friday = local("2026-10-02 16:30", "Australia/Lord_Howe")
    result = add_business_minutes(cal, friday, 60)
    assert result == local("2026-10-05 09:30", "Australia/Lord_Howe")
    assert result == utc("2026-10-04 22:30")


# --- errors -----------------------------------------------------------------------------

def test_naive_start_raises():
    with pytest.raises(ClockError, match="start must be timezone-aware"):
        add_business_minutes(NY_9_TO_5, datetime(2026, 11, 23, 9), 10)


def test_naive_end_raises():
    with pytest.raises(ClockError, match="end must be timezone-aware"):
        business_time_between(NY_9_TO_5, utc("2026-11-23 09:00"), datetime(2026, 11, 23, 10))


def test_calendar_without_hours_raises_instead_of_searching():
    cal = BusinessCalendar.from_spec("UTC", [])
    with pytest.raises(ClockError, match="no open hours"):
        add_business_minutes(cal, utc("2026-11-23 09:00"), 10)
    with pytest.raises(ClockError, match="no open hours"):
        business_time_between(cal, utc("2026-11-23 09:00"), utc("2026-11-24 09:00"))


def test_calendar_closed_by_holidays_for_years_raises():
    every = type("Every", (), {"__contains__": lambda self, day: True})()
    cal = BusinessCalendar("UTC", BusinessCalendar.from_spec("UTC", weekdays()).intervals, every)
    with pytest.raises(ClockError, match="no open hours"):
        add_business_minutes(cal, utc("2026-11-23 09:00"), 10)


def test_negative_duration_raises():
    with pytest.raises(ClockError, match="negative"):
        add_business_minutes(NY_9_TO_5, utc("2026-11-23 15:00"), -1)


def test_unknown_time_zone_raises_clock_error():
    cal = BusinessCalendar.from_spec("Mars/Olympus", weekdays())
    with pytest.raises(ClockError, match="Mars/Olympus"):
        add_business_minutes(cal, utc("2026-11-23 15:00"), 1)


@pytest.mark.parametrize("text", ["9", "09:60", "25:00", "24:01", "ab:cd", None])
def test_bad_time_of_day_raises(text):
    with pytest.raises(ClockError):
        clock.parse_hhmm(text)


def test_interval_end_before_start_raises():
    with pytest.raises(ClockError, match="start < end"):
        clock.Interval(0, clock.parse_hhmm("17:00"), clock.parse_hhmm("09:00"))


# --- properties -------------------------------------------------------------------------

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]


@st.composite
def calendars(draw):
    zone = draw(st.sampled_from(ZONES))
    hours = []
    for weekday in draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)):
        # One or two intervals a day on a 30-minute grid, including the DST hours 00:00-04:00.
        bounds = sorted(draw(st.sets(st.integers(0, 48), min_size=2, max_size=4)))
        for start, end in zip(bounds[::2], bounds[1::2], strict=False):
            hours.append({"weekday": weekday, "start": f"{start // 2:02d}:{start % 2 * 30:02d}",
                          "end": f"{end // 2:02d}:{end % 2 * 30:02d}"})
    holidays = draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=5))
    return BusinessCalendar.from_spec(zone, hours, frozenset(holidays))


# Instants around the 2026 DST changes of the zones above and ordinary days.
instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))
minutes = st.integers(min_value=0, max_value=3 * 24 * 60)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=instants, n=minutes)
def test_adding_then_counting_gives_back_n(cal, start, n):
    end = add_business_minutes(cal, start, n)
    assert business_time_between(cal, start, end) == timedelta(minutes=n)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), start=instants, n=minutes, more=minutes)
def test_result_is_monotonic_in_n(cal, start, n, more):
    assert add_business_minutes(cal, start, n) <= add_business_minutes(cal, start, n + more)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), start=instants, later=st.timedeltas(timedelta(0), timedelta(days=4)),
       n=minutes)
def test_result_is_monotonic_in_start(cal, start, later, n):
    assert add_business_minutes(cal, start, n) <= add_business_minutes(cal, start + later, n)


@settings(max_examples=100, deadline=None)
@given(start=instants, n=st.integers(0, 10**6))
def test_always_open_equals_plain_arithmetic(start, n):
    cal = BusinessCalendar(always_open=True)
    assert add_business_minutes(cal, start, n) == start + timedelta(minutes=n)
    assert business_time_between(cal, start, start + timedelta(minutes=n)) == timedelta(minutes=n)


@settings(max_examples=100, deadline=None)
@given(start=instants, n=st.integers(0, 20_000))
def test_calendar_open_all_week_equals_plain_arithmetic(start, n):
    cal = BusinessCalendar.from_spec("Australia/Lord_Howe", every_day("00:00", "24:00"))
    assert add_business_minutes(cal, start, n) == start + timedelta(minutes=n)


@settings(max_examples=100, deadline=None)
@given(cal=calendars(), start=instants,
       first=st.timedeltas(timedelta(0), timedelta(days=5)),
       second=st.timedeltas(timedelta(0), timedelta(days=5)))
def test_business_time_between_is_additive_over_a_split_point(cal, start, first, second):
    split, end = start + first, start + first + second
    assert business_time_between(cal, start, end) == \
        business_time_between(cal, start, split) + business_time_between(cal, split, end)


# --- the open-time index against a walk over the days -----------------------------------
# The clock answers from an index of open spans with their accumulated open time (built
# lazily, grown and rebuilt as instants further away are asked about). These walk the
# calendar's days one by one, the plain definition, and must give the same instants.

def _walked_open_time(cal, start, end):
    total, day = timedelta(0), start.astimezone(cal.zone).date() - timedelta(days=1)
    while day <= end.astimezone(cal.zone).date() + timedelta(days=1):
        for span_start, span_end in cal.open_spans(day):
            total += max(timedelta(0), min(span_end, end) - max(span_start, start))
        day += timedelta(days=1)
    return total


def _walked_addition(cal, start, delta):
    if delta == timedelta(0):
        return start
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    while True:
        for span_start, span_end in cal.open_spans(day):
            if span_end <= start:
                continue
            available = span_end - max(span_start, start)
            if delta <= available:
                return max(span_start, start) + delta
            delta -= available
        day += timedelta(days=1)


seconds = st.integers(min_value=0, max_value=5 * 24 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), asked=st.lists(st.tuples(instants, seconds), min_size=1, max_size=6))
def test_indexed_clock_equals_a_walk_over_the_days_whatever_was_asked_before(cal, asked):
    # One calendar asked in turn about instants months apart, earlier and later than
    # before: the index is extended and rebuilt, the answers never change.
    for start, delta in asked:
        end = add_business_time(cal, start, delta)
        assert end == _walked_addition(cal, start, delta)
        assert business_time_between(cal, start, start + delta) == \
            _walked_open_time(cal, start, start + delta)


def test_an_addition_running_past_the_index_continues_into_later_days():
    cal = BusinessCalendar.from_spec("Europe/Berlin", weekdays())
    start = utc("2026-03-02 10:00")
    assert business_time_between(cal, start, start + timedelta(hours=1)) == timedelta(hours=1)
    # 400 business days of 8 hours: far past the days indexed for the first question.
    end = add_business_time(cal, start, timedelta(hours=8 * 400))
    assert end == _walked_addition(cal, start, timedelta(hours=8 * 400))
    assert business_time_between(cal, start, end) == timedelta(hours=8 * 400)


def test_an_instant_years_away_gets_its_own_index_and_the_same_answers():
    cal = BusinessCalendar.from_spec("Europe/Berlin", weekdays(), frozenset())
    asked = [utc("2026-03-02 10:00"), utc("1990-10-01 08:00"), utc("2026-03-27 16:00"),
             utc("2031-06-30 23:00")]
    for start in asked + asked:
        for delta in (timedelta(minutes=45), timedelta(hours=30)):
            assert add_business_time(cal, start, delta) == _walked_addition(cal, start, delta)
            assert business_time_between(cal, start, start + delta) == \
                _walked_open_time(cal, start, start + delta)
    index = cal._index["index"]
    assert index.last - index.first < 3 * 366  # never one index over the 41 years between
