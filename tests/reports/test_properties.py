"""Random histories: every report figure equals the plain Python computation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slawatch.leads.models import Handoff, Lead, Milestone, Opportunity
from slawatch.quality.models import Commitment, LeadFeedback, QualityDispute, RejectReason
from slawatch.reports import selectors
from tests.factories import PersonFactory, TeamFactory
from tests.reports import oracle

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 29, tzinfo=UTC)
ORIGIN = datetime(2026, 10, 29, tzinfo=UTC)  # histories run from before START to after END

minutes = st.integers(min_value=0, max_value=35 * 24 * 60)
maybe_seconds = st.none() | st.integers(min_value=0, max_value=3 * 24 * 3600).map(float)

handoff_spec = st.fixed_dictionaries({
    "rep": st.integers(0, 3),
    "heat": st.sampled_from(["hot", "warm", "cold"]),
    "status": st.sampled_from(["open", "met", "breached", "closed"]),
    "stl": maybe_seconds,
    "stlb": maybe_seconds,
    "ack_after": st.none() | st.integers(-30, 600),
    "milestones": st.sampled_from(["none", "first_met", "dropped", "followed_up", "first_late"]),
    "gap": st.integers(1, 4 * 24 * 60),  # minutes until the next handoff of the lead
})

feedback_spec = st.fixed_dictionaries({
    "verdict": st.sampled_from(["accepted", "rejected"]),
    "reason": st.sampled_from(RejectReason.values),
    "at": st.integers(0, 1000),
    "disputes": st.lists(st.tuples(st.sampled_from(["open", "upheld", "overturned", "withdrawn"]),
                                   st.integers(0, 1000)), max_size=2),
})

opportunity_spec = st.fixed_dictionaries({
    "opened_after": st.integers(-24 * 60, 12 * 24 * 60),
    "status": st.sampled_from(["open", "won", "lost"]),
    "cycle": st.integers(0, 60 * 24 * 60),
    "amount": st.integers(0, 200_000).map(lambda n: f"{n / 2:.2f}"),
    "currency": st.sampled_from(["USD", "EUR"]),
})

lead_spec = st.fixed_dictionaries({
    "source": st.sampled_from(["web", "event", ""]),
    "campaign": st.sampled_from(["q4-webinar", "ebook"]),
    "sourced_by": st.sampled_from(["marketing", "sales"]),
    "start": minutes,
    "handoffs": st.lists(handoff_spec, min_size=1, max_size=3),
    "close": st.sampled_from(["", "converted", "disqualified"]),
    "feedback": st.lists(feedback_spec, max_size=2),
    "opportunities": st.lists(opportunity_spec, max_size=2),
})


@pytest.fixture
def reps(db):
    east, west = TeamFactory(name="East"), TeamFactory(name="West")
    return [PersonFactory(name="Ana", team=east), PersonFactory(name="Bo", team=east),
            PersonFactory(name="Cy", team=west), PersonFactory(name="Di", team=None)]


def _build(specs, reps):
    for Model in (QualityDispute, LeadFeedback, Opportunity, Milestone, Handoff, Lead):
        Model.objects.all().delete()
    for n, spec in enumerate(specs):
        lead = Lead.objects.create(crm="acme", external_id=f"L{n}", source=spec["source"],
                                   campaign=spec["campaign"], sourced_by=spec["sourced_by"])
        first_at = _handoffs(lead, spec, reps)
        _feedback(lead, spec["feedback"])
        for o in spec["opportunities"]:
            opened = first_at + timedelta(minutes=o["opened_after"])
            closed = None if o["status"] == "open" else opened + timedelta(minutes=o["cycle"])
            Opportunity.objects.create(lead=lead, external_id=f"O{Opportunity.objects.count()}",
                                       amount=o["amount"], currency=o["currency"],
                                       status=o["status"], opened_at=opened, closed_at=closed)


def _handoffs(lead, spec, reps):
    at = ORIGIN + timedelta(minutes=spec["start"])
    first_at, specs = at, spec["handoffs"]
    for i, h in enumerate(specs):
        rep = reps[h["rep"]]
        last = i == len(specs) - 1
        closed_at = at + timedelta(minutes=h["gap"]) if not last or spec["close"] else None
        reason = "reassigned" if not last else spec["close"]
        breached_at = at + timedelta(minutes=15) if h["status"] == "breached" else None
        ack = (None if h["ack_after"] is None or breached_at is None
               else breached_at + timedelta(minutes=h["ack_after"]))
        touched = None if h["stl"] is None else at + timedelta(seconds=h["stl"])
        handoff = Handoff.objects.create(
            lead=lead, rep=rep, team=rep.team, heat=h["heat"], handed_off_at=at,
            status=h["status"], speed_to_lead_seconds=h["stl"], first_touched_at=touched,
            speed_to_lead_business_seconds=h["stlb"], breached_at=breached_at,
            acknowledged_at=ack, closed_at=closed_at, close_reason=reason if closed_at else "")
        _milestones(handoff, h["milestones"])
        at = at + timedelta(minutes=h["gap"])
    return first_at


def _milestones(handoff, shape):
    t = handoff.handed_off_at
    due = t + timedelta(minutes=15)
    plans = {"none": [],
             "first_met": [(0, due - timedelta(minutes=5), None)],
             "first_late": [(0, due + timedelta(minutes=5), due)],
             "dropped": [(0, due - timedelta(minutes=5), None), (1, None, due + timedelta(hours=1))],
             "followed_up": [(0, due, None), (1, due + timedelta(minutes=30), None)]}[shape]
    Milestone.objects.bulk_create([
        Milestone(handoff=handoff, seq=seq, kind="first_touch" if seq == 0 else "follow_up",
                  started_at=t, due_at=due, met_at=met, breached_at=breached)
        for seq, met, breached in plans])


def _feedback(lead, specs):
    for f in specs:
        reason = f["reason"] if f["verdict"] == "rejected" else ""
        fb = LeadFeedback.objects.bulk_create([LeadFeedback(
            lead=lead, verdict=f["verdict"], reason=reason,
            comment="why" if reason == "other" else "")])[0]
        LeadFeedback.objects.filter(pk=fb.pk).update(created_at=ORIGIN + timedelta(minutes=f["at"]))
        if f["verdict"] != "rejected":
            continue
        disputes = f["disputes"]
        for i, (outcome, at) in enumerate(disputes):
            if outcome == "open" and i < len(disputes) - 1:
                outcome = "withdrawn"  # at most one open dispute per feedback
            d = QualityDispute.objects.bulk_create([QualityDispute(
                feedback=fb, reason="fits our ICP", outcome=outcome,
                resolved_at=None if outcome == "open" else ORIGIN,
                resolution_comment="" if outcome == "open" else "checked")])[0]
            QualityDispute.objects.filter(pk=d.pk).update(
                created_at=ORIGIN + timedelta(minutes=at))


def _compare(db_rows, expected, approx=()):
    assert {r["key"] for r in db_rows} == set(expected)
    for row in db_rows:
        want = expected[row["key"]]
        for name, value in want.items():
            if name in approx and value is not None:
                assert row[name] == pytest.approx(value, abs=0.011), (row["key"], name)
            else:
                assert row[name] == value, (row["key"], name, row[name], value)


histories = st.lists(lead_spec, max_size=8)
group_bys = st.sampled_from(selectors.GROUP_BYS)
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _window(group_by):
    return selectors.ReportWindow(start=START, end=END, group_by=group_by)


@SETTINGS
@given(specs=histories, group_by=group_bys)
def test_sla_and_speed_match_the_plain_computation(reps, specs, group_by):
    _build(specs, reps)
    _compare(selectors.sla_report(_window(group_by)), oracle.sla(START, END, group_by))
    _compare(selectors.speed_report(_window(group_by)), oracle.speed(START, END, group_by))


@SETTINGS
@given(specs=histories, group_by=group_bys)
def test_leakage_and_quality_match_the_plain_computation(reps, specs, group_by):
    _build(specs, reps)
    _compare(selectors.leakage_report(_window(group_by)), oracle.leakage(START, END, group_by))
    _compare(selectors.quality_report(_window(group_by)), oracle.quality(START, END, group_by))


@SETTINGS
@given(specs=histories, group_by=group_bys)
def test_funnel_and_revenue_match_the_plain_computation(reps, specs, group_by):
    _build(specs, reps)
    _compare(selectors.funnel_report(_window(group_by)), oracle.funnel(START, END, group_by),
             approx={"avg_sales_cycle_days"})
    revenue = selectors.revenue_report(_window(group_by))
    expected = oracle.revenue(START, END, group_by)
    assert {(r["key"], r["currency"], r["sourced_by"]): r for r in revenue} == expected


@pytest.mark.parametrize("values, median, p90", [
    ([5.0], 5.0, 5.0),
    ([1.0, 2.0, 3.0, 4.0], 2.5, 3.7),
    ([10.0, 20.0], 15.0, 19.0),
    ([3.0, 1.0, 2.0], 2.0, 2.8),
    ([], None, None),
])
def test_percentile_definition_is_linear_interpolation(values, median, p90):
    def rounded(value):
        return None if value is None else round(value, 9)
    assert rounded(selectors.interpolate(values, 0.5)) == median
    assert rounded(selectors.interpolate(values, 0.9)) == p90


@SETTINGS
@given(values=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1,
                       max_size=12))
def test_raw_percentiles_equal_the_plain_definition_to_the_last_bit(cast, values):
    """Unrounded: percentile_cont (PostgreSQL) and the window path (SQLite) both equal
    the plain interpolation exactly, so the two databases agree to the last bit."""
    Handoff.objects.all().delete()
    Handoff.objects.bulk_create([
        Handoff(lead=Lead.objects.get_or_create(crm="acme", external_id=f"P{i}")[0],
                rep=cast.rep, heat="hot", handed_off_at=START + timedelta(minutes=i),
                speed_to_lead_seconds=v) for i, v in enumerate(values)])
    metrics = {"v": F("speed_to_lead_seconds")}
    window = _window("rep")
    [(_, raw)] = selectors.grouped_with_percentiles(window, selectors.handoffs_in(window),
                                                    metrics, n=Count("id")).values()
    assert raw == {"v_median": selectors.interpolate(values, 0.5),
                   "v_p90": selectors.interpolate(values, 0.9)}


@SETTINGS
@given(specs=histories, targets=st.lists(st.integers(0, 12), min_size=6, max_size=6))
def test_commitments_match_the_plain_computation(reps, specs, targets, settings):
    settings.SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS = 2
    _build(specs, reps)
    Commitment.objects.all().delete()
    teams = list({r.team_id: r.team for r in reps if r.team_id}.values())
    for subject, target in zip(reps + teams, targets, strict=False):
        kind = "team" if subject in teams else "rep"
        Commitment.objects.create(year=2026, quarter=4, leads_committed=target,
                                  **{kind: subject})
    after = datetime(2027, 1, 5, tzinfo=UTC)
    rows = selectors.commitments_report(year=2026, quarter=4, now=after)
    expected = oracle.commitments(2026, 4, datetime(2026, 10, 1, tzinfo=UTC),
                                  datetime(2027, 1, 1, tzinfo=UTC), settings)
    assert {r["key"]: {k: r[k] for k in expected[r["key"]]} for r in rows} == expected
