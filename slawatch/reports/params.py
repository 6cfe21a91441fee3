"""Query parameters of every report, parsed strictly: a bad value is a message, not a 500."""

import re
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from slawatch.reports import selectors

DEFAULT_DAYS = 30
QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


class BadParameter(ValueError):
    """A report parameter the user got wrong; the message says which and how."""


def parse_instant(text, name):
    """An ISO date (midnight in the site time zone) or datetime (naive = site time zone)."""
    try:
        value = parse_datetime(text)
        if value is None and (day := parse_date(text)) is not None:
            value = datetime.combine(day, time.min)
    except ValueError:
        value = None
    if value is None:
        raise BadParameter(f"{name} must be an ISO date (2026-11-01) or datetime "
                           f"(2026-11-01T09:00:00Z), not {text!r}")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def parse_window(query, *, scope=None, now=None, group_bys=selectors.GROUP_BYS):
    group_by = query.get("group_by") or group_bys[0]
    if group_by not in group_bys:
        raise BadParameter(f"group_by must be one of {', '.join(group_bys)}, not {group_by!r}")
    now = now or timezone.now()
    end = parse_instant(query["end"], "end") if query.get("end") else now
    if query.get("start"):
        start = parse_instant(query["start"], "start")
    else:
        start = end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise BadParameter(f"start ({start.isoformat()}) must be before end ({end.isoformat()})")
    return selectors.ReportWindow(start=start, end=end, group_by=group_by, scope=scope)


def parse_quarter(query, now=None):
    """`quarter=2026-Q4` (default: the current quarter) -> (2026, 4)."""
    text = query.get("quarter")
    if not text:
        return selectors.current_quarter(now)
    match = QUARTER.match(text.strip())
    if not match:
        raise BadParameter(f"quarter must look like 2026-Q4, not {text!r}")
    return int(match.group(1)), int(match.group(2))
