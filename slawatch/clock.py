"""Business-time arithmetic: the SLA clock.

Pure functions, no Django. A calendar is a time zone, weekly opening intervals
(several a day allowed) and holidays, or "always open". Intervals are wall-clock
times in the calendar's zone; they are turned into absolute instants day by day,
so nights, weekends, holidays and DST changes all fall out of the same loop.

Instants are timezone-aware datetimes; results are returned in UTC.

Each calendar keeps an index of its open spans over the days asked about so far, with
the open time accumulated up to each span's end (integer microseconds, so exact): the
open time between two instants is a difference of two look-ups and adding open time a
binary search, whatever the distance, instead of a walk over every day in between.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_ZERO = timedelta(0)
_INDEX_MARGIN_DAYS = 31  # days indexed beyond the ones asked about, either side
_GROW_DAYS = 2 * 366  # an index grows to cover instants this close to it, else is replaced
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
    # The _OpenIndex over the days asked about so far (key "index"), replaced as a whole.
    _index: dict = field(default_factory=dict, init=False, repr=False, compare=False,
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


@dataclass(frozen=True)
class _OpenIndex:
    """The open spans of local days first..last of one calendar, in time order, as
    microseconds since the epoch, with the open time accumulated up to each span's end.

    Spans of a local day lie within that day, so for an instant between the local
    midnights that start day first + 1 and day last (`safe_from`, `safe_to`, a day of
    margin either side) every span of the days outside the index lies wholly before or
    wholly after it: differences of `open_before` are exact. `empty_tail` counts the
    days at the end without any open span (the three-year search limit). Never changed
    once built: a larger one replaces it, so readers need no lock."""

    first: int  # date ordinals
    last: int
    safe_from: int
    safe_to: int
    starts: list
    ends: list
    cumulative: list  # open time up to the end of span i
    empty_tail: int

    @classmethod
    def build(cls, cal: BusinessCalendar, first: int, last: int) -> _OpenIndex:
        return cls(first, first - 1, 0, 0, [], [], [], 0).extended(cal, last)

    def extended(self, cal: BusinessCalendar, last: int) -> _OpenIndex:
        """A new index: these days and the following ones up to `last`."""
        starts, ends, cumulative = list(self.starts), list(self.ends), list(self.cumulative)
        total, empty = (cumulative[-1] if cumulative else 0), self.empty_tail
        for ordinal in range(self.last + 1, last + 1):
            spans = cal.open_spans(date.fromordinal(ordinal))
            empty = 0 if spans else empty + 1
            for span_start, span_end in spans:
                start, end = _micros(span_start), _micros(span_end)
                total += end - start
                starts.append(start)
                ends.append(end)
                cumulative.append(total)
        zone = cal.zone
        return _OpenIndex(self.first, last, _micros(_wall_to_utc(date.fromordinal(self.first + 1),
                                                                  0, zone)),
                          _micros(_wall_to_utc(date.fromordinal(last), 0, zone)),
                          starts, ends, cumulative, empty)

    def open_before(self, instant: int) -> int:
        """Open time from the start of the index to `instant` (microseconds)."""
        i = bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0
        before = self.cumulative[i - 1] if i else 0
        return before + min(self.ends[i], instant) - self.starts[i]


def _micros(instant: datetime) -> int:
    """Microseconds since the epoch of an aware instant."""
    return (instant - _EPOCH) // _US


def _aware_micros(instant: datetime, name: str) -> int:
    zone = instant.tzinfo
    if zone is not UTC and (zone is None or instant.utcoffset() is None):
        raise ClockError(f"{name} must be timezone-aware")
    return (instant - _EPOCH) // _US


def _index_for(cal: BusinessCalendar, low: int, high: int) -> _OpenIndex:
    """The calendar's index, grown (and kept) to hold instants low..high (microseconds)."""
    index = cal._index.get("index")
    if index is not None and index.safe_from <= low and high < index.safe_to:
        return index
    zone = cal.zone
    first, last = ((_EPOCH + timedelta(microseconds=m)).astimezone(zone).date().toordinal()
                   for m in (low, high))
    near = index is not None and index.first - _GROW_DAYS < first and last < index.last + _GROW_DAYS
    if near and index.safe_from <= low:  # only later days are missing: extend
        index = index.extended(cal, last + _INDEX_MARGIN_DAYS)
    else:
        if near:  # earlier days missing: one index over both
            first, last = min(first, index.first + 1), max(last, index.last - 1)
        # Far away (a stray instant years off): a new index there, not one over the gap.
        index = _OpenIndex.build(cal, first - _INDEX_MARGIN_DAYS, last + _INDEX_MARGIN_DAYS)
    cal._index["index"] = index
    return index


def _extended(cal: BusinessCalendar, index: _OpenIndex) -> _OpenIndex:
    """The index with more days at its end, for an addition that runs past it."""
    if index.empty_tail > _MAX_SEARCH_DAYS:
        raise ClockError("the calendar has no open hours within three years")
    index = index.extended(cal, index.last + 4 * _INDEX_MARGIN_DAYS)
    cal._index["index"] = index
    return index


def add_business_time(cal: BusinessCalendar, start: datetime, delta: timedelta) -> datetime:
    """The instant at which `delta` of open time has elapsed after `start`."""
    if not cal.always_open:
        begin = _aware_micros(start, "start")
        if delta <= _ZERO:
            if delta < _ZERO:
                raise ClockError("cannot add a negative duration")
            cal.require_hours()
            return start.astimezone(UTC)
        cal.require_hours()
        index = _index_for(cal, begin, begin)
        target = index.open_before(begin) + delta // _US
        while not index.cumulative or index.cumulative[-1] < target:
            index = _extended(cal, index)
        # The first span whose end reaches the target holds the answer (its end when exact).
        i = bisect_left(index.cumulative, target)
        return _EPOCH + timedelta(microseconds=index.ends[i] - (index.cumulative[i] - target))
    start = _require_aware(start, "start")
    if delta < _ZERO:
        raise ClockError("cannot add a negative duration")
    return start + delta


def business_time_between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end); zero when end is not after start."""
    begin, finish = _aware_micros(start, "start"), _aware_micros(end, "end")
    cal.require_hours()
    if finish <= begin:
        return _ZERO
    if cal.always_open:
        return timedelta(microseconds=finish - begin)
    index = _index_for(cal, begin, finish)
    return timedelta(microseconds=index.open_before(finish) - index.open_before(begin))


class HolidaySet(Container[date]):
    """Explicit dates united with an optional public-holiday calendar (holidays package)."""

    def __init__(self, dates: Iterable[date] = (), public: Container[date] | None = None):
        self._dates = frozenset(dates)
        self._public = public

    def __contains__(self, day: object) -> bool:
        return day in self._dates or (self._public is not None and day in self._public)
