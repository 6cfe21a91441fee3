"""Edge cases, partly through the real event pipeline (apply_events), so the reports
are checked against what slawatch itself stores."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slawatch.leads.services import apply_events
from slawatch.quality.models import Commitment
from slawatch.reports import selectors
from tests.factories import CalendarFactory, PersonFactory, PolicyFactory, event
from tests.reports.builders import T0, handoff, lead, opportunity

NOV = selectors.ReportWindow(start=datetime(2026, 10, 1, tzinfo=UTC),
                             end=datetime(2026, 12, 1, tzinfo=UTC))
FAMILIES = [selectors.sla_report, selectors.speed_report, selectors.leakage_report,
            selectors.quality_report, selectors.funnel_report, selectors.revenue_report]


def by(window, group_by):
    return selectors.ReportWindow(start=window.start, end=window.end, group_by=group_by)


@pytest.mark.parametrize("report", FAMILIES)
@pytest.mark.parametrize("group_by", selectors.GROUP_BYS)
def test_no_data_gives_no_rows(db, report, group_by):
    assert report(by(NOV, group_by)) == []


def test_no_commitments_gives_no_rows(db):
    assert selectors.commitments_report(year=2026, quarter=4) == []


def test_one_handoff_is_its_own_median_and_p90(cast):
    handoff(cast.rep, status="met", stl_minutes=7, business_minutes=3)
    [row] = selectors.sla_report(NOV)
    assert (row["handoffs"], row["met"], row["compliance"]) == (1, 1, 1.0)
    assert row["speed_to_lead_median_minutes"] == row["speed_to_lead_p90_minutes"] == 7.0
    assert row["speed_to_lead_business_median_minutes"] == 3.0


def test_all_open_has_no_compliance(cast):
    for hours in range(3):
        handoff(cast.rep, at=T0 + timedelta(hours=hours))
    [row] = selectors.sla_report(by(NOV, "heat"))
    assert (row["key"], row["label"], row["open"], row["met"], row["breached"]) == (
        "hot", "Hot", 3, 0, 0)
    assert row["compliance"] is None
    assert row["speed_to_lead_median_minutes"] is None


def test_breaches_acknowledged_and_time_to_acknowledge(cast):
    breach = T0 + timedelta(minutes=15)
    for minutes in (10, 30, None):
        handoff(cast.rep, status="breached",
                breached_at=breach,
                acknowledged_at=None if minutes is None else breach + timedelta(minutes=minutes))
    [row] = selectors.sla_report(NOV)
    assert (row["breached"], row["breaches_acknowledged"], row["ack_median_minutes"]) == (3, 2, 20.0)


@time_machine.travel("2026-11-04 12:00:00Z", tick=False)
def test_a_handoff_spanning_the_dst_change_counts_real_minutes(cast):
    """US clocks fall back on Sunday 1 November 2026: Friday 16:00 EDT to Monday 10:00
    EST is 67 real hours (66 on the wall clock), and two business hours."""
    PolicyFactory(heat="warm", first_touch_minutes=240,
                  calendar=CalendarFactory(time_zone="America/New_York"))
    apply_events([
        event("1", "lead.assigned", "2026-10-30T20:00:00Z", heat="warm", owner="rep-7"),
        event("2", "lead.touched", "2026-11-02T15:00:00Z",
              touch={"kind": "call", "at": "2026-11-02T15:00:00Z", "by": "rep-7"}),
    ])
    [row] = selectors.sla_report(by(NOV, "week"))
    assert (row["key"], row["label"], row["met"]) == ("2026-10-26", "Week of 2026-10-26", 1)
    assert row["speed_to_lead_median_minutes"] == 67 * 60
    assert row["speed_to_lead_business_median_minutes"] == 120.0


@time_machine.travel("2026-11-23 12:00:00Z", tick=False)
def test_a_reassigned_lead_is_credited_to_the_rep_who_held_it_when_it_breached(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    apply_events([
        event("1", "lead.assigned", "2026-11-23T09:00:00Z", heat="hot", owner="rep-7"),
        event("2", "lead.assigned", "2026-11-23T10:00:00Z", heat="hot", owner="rep-8"),
        event("3", "lead.touched", "2026-11-23T10:05:00Z",
              touch={"kind": "call", "at": "2026-11-23T10:05:00Z", "by": "rep-8"}),
        event("4", "lead.converted", "2026-11-23T11:00:00Z",
              opportunity={"external_id": "O-1", "amount": 5000.0, "currency": "EUR"}),
    ])
    sla = {r["label"]: r for r in selectors.sla_report(NOV)}
    assert (sla["Rita Rep"]["breached"], sla["Rita Rep"]["compliance"]) == (1, 0.0)
    assert (sla["Ravi Rep"]["met"], sla["Ravi Rep"]["compliance"]) == (1, 1.0)
    assert sla["Ravi Rep"]["speed_to_lead_median_minutes"] == 5.0
    leakage = {r["label"]: r["never_touched"] for r in selectors.leakage_report(NOV)}
    assert leakage == {"Rita Rep": 1, "Ravi Rep": 0}
    funnel = {r["label"]: (r["converted"], r["met_converted"], r["missed_converted"])
              for r in selectors.funnel_report(NOV)}
    assert funnel == {"Rita Rep": (0, 0, 0), "Ravi Rep": (1, 1, 0)}
    [money] = selectors.revenue_report(NOV)
    assert (money["label"], money["currency"], money["pipeline"]) == ("Ravi Rep", "EUR", "5000.00")


def test_conversion_side_by_side_for_sla_met_and_missed(cast):
    for status, converts in [("met", True), ("met", True), ("met", False), ("breached", False),
                             ("breached", True), ("breached", False), ("breached", False)]:
        h = handoff(cast.rep, status=status)
        if converts:
            opportunity(h.lead, h.handed_off_at + timedelta(days=2))
    [row] = selectors.funnel_report(NOV)
    assert (row["met_conversion"], row["missed_conversion"]) == (0.6667, 0.25)


def test_pipeline_and_revenue_are_split_by_currency_and_sourcing(cast):
    for sourced_by, currency, status, amount in [
            ("marketing", "USD", "open", "100.00"), ("marketing", "USD", "won", "250.50"),
            ("marketing", "EUR", "won", "80.00"), ("sales", "USD", "open", "40.00")]:
        h = handoff(cast.rep, lead_=lead(sourced_by=sourced_by))
        opportunity(h.lead, T0 + timedelta(days=1), status=status, amount=amount,
                    currency=currency, closed_at=None if status == "open" else T0 + timedelta(days=9))
    rows = {(r["currency"], r["sourced_by"]): (r["pipeline"], r["revenue"])
            for r in selectors.revenue_report(NOV)}
    assert rows == {("USD", "marketing"): ("100.00", "250.50"), ("EUR", "marketing"): ("0.00", "80.00"),
                    ("USD", "sales"): ("40.00", "0.00")}
    [funnel] = selectors.funnel_report(NOV)
    assert (funnel["marketing_sourced_leads"], funnel["sales_sourced_leads"]) == (3, 1)
    assert (funnel["won"], funnel["avg_sales_cycle_days"]) == (2, 9.0)


def _queries(report, window):
    with CaptureQueriesContext(connection) as ctx:
        report(window)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("report", FAMILIES)
def test_query_count_does_not_grow_with_rows(cast, report, django_assert_max_num_queries):
    handoff(cast.rep, status="met", stl_minutes=3)
    small = _queries(report, by(NOV, "campaign"))
    for n in range(30):
        h = handoff([cast.rep, cast.rep2][n % 2], at=T0 + timedelta(minutes=n), status="met",
                    stl_minutes=n, lead_=lead(campaign=f"c{n % 5}"))
        opportunity(h.lead, T0 + timedelta(days=1), status="won", closed_at=T0 + timedelta(days=5))
    with django_assert_max_num_queries(small):
        rows = report(by(NOV, "campaign"))
    assert len(rows) >= 5


def _commit(person=None, team=None, leads=10):
    return Commitment.objects.create(rep=person, team=team, year=2026, quarter=4,
                                     leads_committed=leads)


@time_machine.travel("2027-01-05 12:00:00Z", tick=False)
def test_commitment_short_on_leads_after_the_quarter(cast):
    _commit(person=cast.rep, leads=5)
    handoff(cast.rep, status="met", lead_=lead(sourced_by="marketing"))
    handoff(cast.rep, status="met", lead_=lead(sourced_by="marketing"))
    handoff(cast.rep, status="met", lead_=lead(sourced_by="sales"))  # not marketing's delivery
    [row] = selectors.commitments_report(year=2026, quarter=4)
    assert (row["key"], row["committed"], row["delivered"], row["handoffs"]) == (
        f"rep:{cast.rep.pk}", 5, 2, 3)
    assert (row["expected_to_date"], row["compliance"]) == (5.0, 1.0)
    assert row["verdict"] == "short on leads"


@time_machine.travel("2026-11-15 12:00:00Z", tick=False)
def test_commitment_is_judged_pro_rata_during_the_quarter(cast):
    _commit(person=cast.rep, leads=12)  # 45 of 92 days elapsed: about 5.9 expected
    for n in range(6):
        handoff(cast.rep, at=T0 + timedelta(hours=n), status="met")
    [row] = selectors.commitments_report(year=2026, quarter=4)
    assert row["verdict"] == "on track"
    assert 5.5 < row["expected_to_date"] < 6.5


@time_machine.travel("2027-01-05 12:00:00Z", tick=False)
def test_commitment_met_but_slow_follow_up_and_low_conversion(cast, settings):
    settings.SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS = 4
    _commit(team=cast.team, leads=4)
    for n, status in enumerate(["met", "breached", "breached", "met"]):
        handoff(cast.rep if n % 2 else cast.rep2, at=T0 + timedelta(hours=n), status=status)
    [row] = selectors.commitments_report(year=2026, quarter=4)
    assert (row["kind"], row["delivered"], row["compliance"], row["conversion"]) == (
        "team", 4, 0.5, 0.0)
    assert row["verdict"] == "slow follow-up; low conversion"


@time_machine.travel("2027-01-05 12:00:00Z", tick=False)
def test_low_conversion_is_not_judged_on_too_few_handoffs(cast):
    _commit(person=cast.rep2, leads=1)
    handoff(cast.rep2, status="met")
    [row] = selectors.commitments_report(year=2026, quarter=4)
    assert (row["conversion"], row["verdict"]) == (0.0, "on track")


def test_commitments_of_other_quarters_are_not_shown(cast):
    Commitment.objects.create(rep=cast.rep, year=2026, quarter=3, leads_committed=3)
    assert selectors.commitments_report(year=2026, quarter=4) == []


def test_a_rep_is_not_a_team(db):
    rep = PersonFactory(name="Solo", team=None)
    handoff(rep, status="met")
    [row] = selectors.sla_report(by(NOV, "team"))
    assert (row["key"], row["label"]) == ("", "(no team)")
