"""When to try again, once for every retrying part of slawatch. Pure, no Django.

`retry_after_seconds` reads a server's Retry-After header (either form RFC 9110 allows:
delay-seconds or an HTTP-date); `backoff_seconds` is the exponential back-off from the
first retry, capped, with the server's wish as a floor. The escalation outbox and the
CRM write outbox take base and cap from SLAWATCH_DELIVERY_*, the CrmEvent inbox from
SLAWATCH_INBOX_*, the CRM API clients (which sleep in-process) from their own bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_retry_after(value, now: datetime | None = None) -> float | None:
    """A Retry-After value in seconds (never negative); None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms carry no zone: they mean GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_after_seconds(headers: Mapping | None, now: datetime | None = None) -> float | None:
    """Retry-After from response headers: any mapping (requests' case-insensitive one, or
    slack_sdk's plain dict whose values may be lists), the name matched in any case."""
    if not headers:
        return None
    value = None
    for name, item in headers.items():
        if str(name).lower() == "retry-after":
            value = item[0] if isinstance(item, (list, tuple)) and item else item
    return parse_retry_after(value, now)


def backoff_seconds(attempts: int, *, base: float, cap: float,
                    floor: float | None = None) -> float:
    """base, 2 x base, 4 x base … after the 1st, 2nd, 3rd … failed attempt, at most `cap`;
    a longer `floor` (the server's Retry-After) wins."""
    delay = min(base * 2 ** min(max(0, attempts - 1), 60), cap)  # 2**60: far past any cap
    return max(delay, floor or 0.0)
