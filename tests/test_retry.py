"""slawatch/retry.py: the one Retry-After reader and the one back-off."""

from datetime import UTC, datetime

import pytest
from requests.structures import CaseInsensitiveDict

from slawatch.retry import backoff_seconds, parse_retry_after, retry_after_seconds

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_retry_after_reads_seconds_and_http_dates():
    assert parse_retry_after("7", NOW) == 7.0
    assert parse_retry_after(" 2.5 ", NOW) == 2.5
    assert parse_retry_after("Mon, 23 Nov 2026 09:01:30 GMT", NOW) == 90.0
    assert parse_retry_after("Monday, 23-Nov-26 09:00:45 GMT", NOW) == 45.0  # RFC 850
    assert parse_retry_after("Mon, 23 Nov 2026 08:00:00 GMT", NOW) == 0.0  # past: now
    assert parse_retry_after("-3", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "Mon, 99 Nov", True, []])
def test_unreadable_retry_after_is_none(value):
    assert parse_retry_after(value, NOW) is None


def test_retry_after_is_found_in_any_header_mapping():
    assert retry_after_seconds(CaseInsensitiveDict({"Retry-After": "3"}), NOW) == 3.0
    assert retry_after_seconds({"retry-after": ["12"]}, NOW) == 12.0  # slack_sdk's shape
    assert retry_after_seconds({"RETRY-AFTER": "Mon, 23 Nov 2026 09:00:10 GMT"}, NOW) == 10.0
    assert retry_after_seconds({"Content-Type": "text/plain"}, NOW) is None
    assert retry_after_seconds(None, NOW) is None and retry_after_seconds({}, NOW) is None


def test_backoff_doubles_from_the_first_retry_up_to_the_cap():
    delays = [backoff_seconds(n, base=15, cap=100) for n in range(1, 6)]
    assert delays == [15, 30, 60, 100, 100]
    assert backoff_seconds(0, base=15, cap=100) == 15
    assert backoff_seconds(10_000, base=15, cap=3600) == 3600  # no overflow


def test_the_servers_retry_after_is_a_floor_never_a_ceiling():
    assert backoff_seconds(1, base=15, cap=3600, floor=120.0) == 120.0
    assert backoff_seconds(4, base=15, cap=3600, floor=5.0) == 120
    assert backoff_seconds(9, base=15, cap=60, floor=7200.0) == 7200.0
    assert backoff_seconds(1, base=15, cap=60, floor=None) == 15
