"""Business-time arithmetic: the SLA clock.

Pure functions, no Django. A calendar is a time zone, weekly opening intervals
(several a day allowed) and holidays, or "always open". Intervals are wall-clock
times in the calendar's zone; they are turned into absolute instants day by day,
so nights, weekends, holidays and DST changes all fall out of the same loop.

Instants are timezone-aware datetimes; results are returned in UTC.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
# A calendar open less than this often is a configuration error, not a long wait.
_MAX_SEARCH_DAYS = 3 * 366


class ClockError(ValueError):
    """The calendar cannot answer (no open hours, naive datetime, …)."""


@dataclass(frozen=True)
class Interval:
    """Opening hours on one weekday, in minutes after local midnight; end may be 1440."""

    weekday: int  # Monday = 0
    start: int
    end: int

    def __post_init__(self):
        if not 0 <= self.weekday <= 6:
            raise ClockError(f"weekday {self.weekday} is not 0-6 (Monday=0)")
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise ClockError(f"interval {self.start}-{self.end} must satisfy 0 <= start < end <= 1440")


def parse_hhmm(text: str) -> int:
    """'09:30' -> 570; '24:00' is allowed as the end of a day."""
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
    except (ValueError, AttributeError):
        raise ClockError(f"{text!r} is not a time of day as HH:MM") from None
    if not (0 <= int(minutes) < 60 and 0 <= value <= MINUTES_PER_DAY):
        raise ClockError(f"{text!r} is not a time of day between 00:00 and 24:00")
    return value


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    intervals: tuple[Interval, ...] = ()
    holidays: Container[date] = field(default_factory=frozenset)
    always_open: bool = False
    # Open spans per local day, computed once: a day's spans never change, and replaying
    # thousands of handoffs on one calendar asks for the same days again and again.
    _spans: dict = field(default_factory=dict, init=False, repr=False, compare=False,
                         hash=False)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ClockError(f"{self.time_zone!r} is not a known time zone") from None

    def require_hours(self) -> None:
        """A calendar with no weekly hours would make every deadline infinite: say so."""
        if not self.always_open and not self.intervals:
            raise ClockError("the calendar has no open hours (and is not always open)")

    @classmethod
    def from_spec(cls, time_zone, hours, holidays=frozenset(), always_open=False):
        """Build from the API shape: hours = [{"weekday", "start", "end"}]."""
        intervals = tuple(
            Interval(int(h["weekday"]), parse_hhmm(h["start"]), parse_hhmm(h["end"]))
            for h in hours
        )
        return cls(time_zone=time_zone, intervals=intervals, holidays=holidays,
                   always_open=always_open)

    def open_spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Absolute (UTC) open spans of one local day, sorted and merged."""
        spans = self._spans.get(day)
        if spans is None:
            spans = self._spans[day] = tuple(self._compute_spans(day))
        return spans

    def _compute_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.always_open:
            raise ClockError("an always-open calendar has no spans")
        if day in self.holidays:
            return []
        zone = self.zone
        spans = []
        for interval in self.intervals:
            if interval.weekday != day.weekday():
                continue
            start = _wall_to_utc(day, interval.start, zone)
            end = _wall_to_utc(day, interval.end, zone)
            if end > start:  # an interval wholly inside a DST gap never happens
                spans.append((start, end))
        return _merge(sorted(spans))


def _wall_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant a local wall-clock time happens; the first occurrence of a repeated one.

    A wall time skipped by a spring-forward gap never happens: it maps to the transition
    itself (the first instant after it), so 01:00-02:30 on a New York spring-forward night
    is one real hour, not the 90 minutes plain offset arithmetic would give.
    """
    wall = datetime.combine(day, time(0)) + timedelta(minutes=minute)
    after = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # offset before the change
    if after.astimezone(zone).replace(tzinfo=None) == wall:
        return after
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # offset after the change
    old_offset = before.astimezone(zone).utcoffset()
    while after - before > timedelta(seconds=1):  # bisect for the transition instant
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == old_offset:
            before = middle
        else:
            after = middle
    return after.replace(microsecond=0) if after.microsecond else after


def _merge(spans):
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _require_aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ClockError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


def _spans_from(cal: BusinessCalendar, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open spans that end after `instant`, in order, clipped to start no earlier."""
    day = instant.astimezone(cal.zone).date() - timedelta(days=1)
    empty_days = 0
    while empty_days <= _MAX_SEARCH_DAYS:
        spans = cal.open_spans(day)
        empty_days = 0 if spans else empty_days + 1
        for start, end in spans:
            if end > instant:
                yield max(start, instant), end
        day += timedelta(days=1)
    raise ClockError("the calendar has no open hours within three years")


def add_business_time(cal: BusinessCalendar, start: datetime, delta: timedelta) -> datetime:
    """The instant at which `delta` of open time has elapsed after `start`."""
    start = _require_aware(start, "start")
    if delta < timedelta(0):
        raise ClockError("cannot add a negative duration")
    if cal.always_open:
        return start + delta
    cal.require_hours()
    if delta == timedelta(0):
        return start
    remaining = delta
    for span_start, span_end in _spans_from(cal, start):
        available = span_end - span_start
        if remaining <= available:
            return span_start + remaining
        remaining -= available
    raise ClockError("unreachable")  # pragma: no cover - _spans_from raises first


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end); zero when end is not after start."""
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    cal.require_hours()
    if end <= start:
        return timedelta(0)
    if cal.always_open:
        return end - start
    total = timedelta(0)
    day = start.astimezone(cal.zone).date() - timedelta(days=1)
    last = end.astimezone(cal.zone).date() + timedelta(days=1)
    while day <= last:
        for span_start, span_end in cal.open_spans(day):
            overlap = min(span_end, end) - max(span_start, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


class HolidaySet(Container[date]):
    """Explicit dates united with an optional public-holiday calendar (holidays package)."""

    def __init__(self, dates: Iterable[date] = (), public: Container[date] | None = None):
        self._dates = frozenset(dates)
        self._public = public

    def __contains__(self, day: object) -> bool:
        return day in self._dates or (self._public is not None and day in self._public)
