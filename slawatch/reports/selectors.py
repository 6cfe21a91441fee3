"""The one query layer for reports: every KPI the API, the CSV and the dashboard show.

Population: the handoffs whose `handed_off_at` lies in [start, end), narrowed by an
optional role scope (a function on a Handoff queryset), grouped by one dimension
(rep, team, heat, source, campaign, week or day). Every figure is computed by the
database with aggregates and window functions; Python only shapes the few result
rows (one per group), so the number of queries does not grow with the data.

Percentiles use linear interpolation between closest ranks (the definition of
PostgreSQL's percentile_cont, Excel's PERCENTILE.INC and numpy's default): for n
sorted values x[0..n-1] the p-th percentile is at h = p * (n - 1), i.e.
x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). The median of 1, 2,
3, 4 is 2.5. PostgreSQL computes it with percentile_cont inside the grouped query
(one pass); SQLite has no percentile_cont, so there ROW_NUMBER and COUNT windows
pick the two ranks and the same double-precision steps as PostgreSQL's own
(orderedsetaggs.c) interpolate, so both databases give identical figures.
docs/KPIS.md defines every figure in words.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KT
from django.db.models.functions import (
    Cast,
    Coalesce,
    Concat,
    NullIf,
    RowNumber,
    TruncDate,
    TruncMonth,
    TruncWeek,
)
from django.utils import timezone

from slawatch.economics import money
from slawatch.economics import selectors as economics
from slawatch.economics.models import SpendCategory
from slawatch.leads.models import (
    CloseReason,
    Handoff,
    HandoffStatus,
    Heat,
    Lead,
    LeadEvent,
    Milestone,
    Opportunity,
    OpportunityStatus,
    SourcedBy,
)
from slawatch.people.models import Person, Team
from slawatch.quality.models import (
    Commitment,
    DisputeOutcome,
    LeadFeedback,
    QualityDispute,
    RejectReason,
    Verdict,
)

GROUP_BYS = ("rep", "team", "heat", "source", "campaign", "week", "day")
PERCENTILES = {"median": 0.5, "p90": 0.9}
OUTCOMES = tuple(DisputeOutcome.values)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReportWindow:
    """A report's population: [start, end), a grouping and an optional scope, a function
    narrowing a Handoff queryset to the rows a user may see (role scoping)."""

    start: datetime
    end: datetime
    group_by: str = "rep"
    scope: Callable[[QuerySet], QuerySet] | None = None


class Seconds(Func):
    """Seconds from `start` to `end` as a float, computed the same way on both databases."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        # Django's own SQLite function, exact to the microsecond (julianday is not).
        return self.as_sql(compiler, connection,
                           template="(django_timestamp_diff(%(expressions)s) / 1000000.0)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" - ",
                           template="CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS DOUBLE PRECISION)",
                           **extra)


# --- population and grouping ----------------------------------------------------------

def handoffs_in(window: ReportWindow):
    qs = Handoff.objects.filter(handed_off_at__gte=window.start, handed_off_at__lt=window.end)
    return window.scope(qs) if window.scope is not None else qs


def _key_expr(group_by):
    if group_by == "week":
        # Monday of the week in the site time zone, as 'YYYY-MM-DD' text on both databases.
        return Cast(TruncDate(TruncWeek("handed_off_at", output_field=DateTimeField())),
                    CharField())
    if group_by == "day":
        return Cast(TruncDate("handed_off_at"), CharField())
    return F({"rep": "rep_id", "team": "team_id", "heat": "heat", "source": "lead__source",
              "campaign": "lead__campaign", "company": "lead__company"}[group_by])


def key_text(value):
    return "" if value is None else str(value)


def label_for(group_by, key, name):
    if group_by in ("rep", "team"):
        return name or ("(no team)" if group_by == "team" else "(unknown)")
    if group_by == "heat":
        return Heat(key).label if key in Heat.values else key
    if group_by == "week":
        return f"Week of {key}"
    if group_by == "company":
        return key or "(no company)"
    if group_by == "day":
        return key
    return key or "(none)"


def _grouped(qs, window):
    # Grouped on the key alone: names are fetched afterwards (_names), which keeps the
    # rows PostgreSQL sorts narrow and spares a join over every handoff.
    return qs.values(k=_key_expr(window.group_by)).order_by()


def _names(group_by, keys):
    """{key: display name} for rep and team keys, in one query whatever the row count."""
    model = {"rep": Person, "team": Team}.get(group_by)
    ids = [int(k) for k in keys if k] if model is not None else []
    if not ids:
        return {}
    return {str(pk): name for pk, name in model.objects.filter(pk__in=ids).values_list("pk", "name")}


def _rows(window, aggregated):
    """Aggregate rows -> {key: row}, each with its key and label."""
    rows = {key_text(item.pop("k")): item for item in aggregated}
    names = _names(window.group_by, rows)
    return {key: {"key": key, "label": label_for(window.group_by, key, names.get(key)), **item}
            for key, item in rows.items()}


def _sorted(rows):
    # Sorted in Python so SQLite and PostgreSQL (whose collations differ) agree.
    return sorted(rows.values(), key=lambda r: (r["label"].lower(), r["key"]))


def ratio(numerator, denominator, places=4):
    return None if not denominator else round(numerator / denominator, places)


def minutes(seconds):
    return None if seconds is None else round(seconds / 60, 2)


# --- percentiles ---------------------------------------------------------------------

class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate: linear interpolation between closest ranks."""

    function = "percentile_cont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile, **extra):
        super().__init__(expression, percentile=repr(float(percentile)), **extra)


def native_percentiles():
    return connection.vendor == "postgresql"


def percentile_aggregates(metrics):
    """On PostgreSQL, the percentiles as aggregates of the grouped query itself."""
    if not native_percentiles():
        return {}
    return {f"{name}_{pct}": PercentileCont(expr, p)
            for name, expr in metrics.items() for pct, p in PERCENTILES.items()}


def percentiles(qs, key, metrics):
    """{key: {"<metric>_<pct>": value}}: on PostgreSQL {} (percentile_aggregates did it),
    elsewhere ONE windowed query for every metric.

    Each metric gets a ROW_NUMBER ordered by value (nulls last) and a COUNT of its
    non-null values, both partitioned by the group; the outer query picks the two
    rows around rank h = p * (n - 1) and interpolates exactly as percentile_cont does.
    """
    if native_percentiles():
        return {}
    annotations, names = {"k": key}, ["k"]
    for name, expr in metrics.items():
        annotations[f"m_{name}"] = expr
        annotations[f"rn_{name}"] = Window(RowNumber(), partition_by=[key],
                                          order_by=[F(f"m_{name}").asc(nulls_last=True),
                                                    F("id").asc()])
        annotations[f"n_{name}"] = Window(Count(F(f"m_{name}")), partition_by=[key])
        names += [f"m_{name}", f"rn_{name}", f"n_{name}"]
    inner = qs.annotate(**annotations).values(*names).order_by()
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a scope that sees nothing
        return {}
    columns = [f"{name}_{pct}" for name in metrics for pct in PERCENTILES]
    picks = [_pick_sql(name, p) for name in metrics for p in PERCENTILES.values()]
    outer = f"SELECT t.k, {', '.join(picks)} FROM ({sql}) t GROUP BY t.k"
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        return {key_text(row[0]): dict(zip(columns, row[1:], strict=True))
                for row in cursor.fetchall()}


def _pick_sql(name, p):
    """percentile_cont's arithmetic: h = p * (n - 1) in double precision, first row
    floor(h), and lo + (h - floor(h)) * (hi - lo) when h is not a whole number."""
    m, rn, n = f"t.m_{name}", f"t.rn_{name}", f"t.n_{name}"
    h = f"({p!r} * ({n} - 1))"
    lo = f"CAST({h} AS INTEGER)"  # floor: h >= 0 wherever a value exists
    low = f"MAX(CASE WHEN {rn} = {lo} + 1 THEN {m} END)"
    high = f"MAX(CASE WHEN {rn} = {lo} + 2 THEN {m} END)"
    frac = f"MAX({h} - {lo})"
    return f"CASE WHEN {frac} > 0 THEN {low} + {frac} * ({high} - {low}) ELSE {low} END"


def grouped_with_percentiles(window, qs, metrics, **aggregates):
    """{key: (row of aggregates, {"<metric>_<pct>": raw value})} on either database:
    at most two queries (plus names), whatever the number of rows."""
    rows = _rows(window, _grouped(qs, window).annotate(**percentile_aggregates(metrics),
                                                       **aggregates))
    windowed = percentiles(qs, _key_expr(window.group_by), metrics)
    columns = [f"{name}_{pct}" for name in metrics for pct in PERCENTILES]
    return {key: (row, windowed.get(key) or {c: row.pop(c, None) for c in columns})
            for key, row in rows.items()}


def interpolate(values, p):
    """The plain-Python twin of percentile_cont, the same double-precision steps."""
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    h = p * (len(xs) - 1)
    lo = math.floor(h)
    frac = h - lo
    return xs[lo] + frac * (xs[lo + 1] - xs[lo]) if frac > 0 else xs[lo]


# --- SLA and speed-to-lead ---------------------------------------------------------------

ACK_SECONDS = Seconds(F("acknowledged_at"), F("breached_at"))


def _speed_metrics(with_ack):
    metrics = {"stl": F("speed_to_lead_seconds"), "stlb": F("speed_to_lead_business_seconds")}
    if with_ack:
        # only acknowledged breaches; one acknowledged before the breach waited 0 minutes
        metrics["ack"] = _acked_breach_seconds()
    return metrics


def _acked_breach_seconds():
    return Case(When(Q(status=HandoffStatus.BREACHED, acknowledged_at__isnull=False)
                     & Q(acknowledged_at__lt=F("breached_at")), then=Value(0.0)),
                When(status=HandoffStatus.BREACHED, acknowledged_at__isnull=False,
                     then=ACK_SECONDS),
                default=None, output_field=FloatField())


def _speed_columns(pct):
    return {"speed_to_lead_median_minutes": minutes(pct.get("stl_median")),
            "speed_to_lead_p90_minutes": minutes(pct.get("stl_p90")),
            "speed_to_lead_business_median_minutes": minutes(pct.get("stlb_median")),
            "speed_to_lead_business_p90_minutes": minutes(pct.get("stlb_p90"))}


def sla_report(window: ReportWindow):
    grouped = grouped_with_percentiles(
        window, handoffs_in(window), _speed_metrics(with_ack=True),
        handoffs=Count("id"),
        met=Count("id", filter=Q(status=HandoffStatus.MET)),
        breached=Count("id", filter=Q(status=HandoffStatus.BREACHED)),
        open=Count("id", filter=Q(status=HandoffStatus.OPEN)),
        closed=Count("id", filter=Q(status=HandoffStatus.CLOSED)),
        breaches_acknowledged=Count("id", filter=Q(status=HandoffStatus.BREACHED,
                                                   acknowledged_at__isnull=False)))
    for row, p in grouped.values():
        row["compliance"] = ratio(row["met"], row["met"] + row["breached"])
        row["ack_median_minutes"] = minutes(p.get("ack_median"))
        row.update(_speed_columns(p))
    return _sorted({key: row for key, (row, _) in grouped.items()})


def speed_report(window: ReportWindow):
    grouped = grouped_with_percentiles(
        window, handoffs_in(window), _speed_metrics(with_ack=False),
        handoffs=Count("id"), touched=Count("id", filter=Q(speed_to_lead_seconds__isnull=False)))
    for row, p in grouped.values():
        row["touched_rate"] = ratio(row["touched"], row["handoffs"])
        row.update(_speed_columns(p))
    return _sorted({key: row for key, (row, _) in grouped.items()})


# --- leakage -------------------------------------------------------------------------------

def _milestone(**conditions):
    return Exists(Milestone.objects.filter(handoff=OuterRef("pk"), **conditions))


def leakage_report(window: ReportWindow):
    never = Q(status=HandoffStatus.BREACHED, first_touched_at__isnull=True)
    dropped = Q(_milestone(seq=0, met_at__isnull=False)) & Q(
        _milestone(seq=1, breached_at__isnull=False, met_at__isnull=True))
    rows = _rows(window, _grouped(handoffs_in(window), window).annotate(
        handoffs=Count("id"),
        never_touched=Count("id", filter=never),
        dropped_after_first_touch=Count("id", filter=dropped)))
    for row in rows.values():
        row["never_touched_rate"] = ratio(row["never_touched"], row["handoffs"])
        row["dropped_rate"] = ratio(row["dropped_after_first_touch"], row["handoffs"])
    return _sorted(rows)


# --- quality -------------------------------------------------------------------------------

def _with_verdicts(qs):
    """Each handoff with its lead's standing verdict: the latest feedback, and the
    latest dispute on it."""
    latest = LeadFeedback.objects.filter(lead=OuterRef("lead_id")).order_by("-created_at", "-id")
    dispute = QualityDispute.objects.filter(feedback=OuterRef("fb_id")).order_by(
        "-created_at", "-id")
    return qs.annotate(fb_id=Subquery(latest.values("id")[:1]),
                       verdict=Subquery(latest.values("verdict")[:1]),
                       reason=Subquery(latest.values("reason")[:1])).annotate(
        outcome=Subquery(dispute.values("outcome")[:1]))


def quality_report(window: ReportWindow):
    """One grouped query over (group, verdict, reason, dispute outcome) combinations
    counting distinct leads; pivoting those few combination rows needs no row loop."""
    qs = _with_verdicts(handoffs_in(window))
    combos = qs.values(k=_key_expr(window.group_by), v=F("verdict"), r=F("reason"),
                       o=F("outcome")).order_by().annotate(
        leads=Count("lead_id", distinct=True))
    totals = _rows(window, _grouped(qs, window).annotate(
        handoffs=Count("id"), leads=Count("lead_id", distinct=True)))
    for row in totals.values():
        row.update(_empty_quality())
    for combo in combos:
        _add_combo(totals[key_text(combo["k"])], combo)
    for row in totals.values():
        _quality_rates(row)
    return _sorted(totals)


def _empty_quality():
    row = {"with_feedback": 0, "accepted": 0, "rejected": 0, "overturned": 0,
           "rejected_as_given": 0, "disputed": 0}
    row.update({f"rejected_{reason}": 0 for reason in RejectReason.values})
    row.update({f"disputes_{outcome}": 0 for outcome in OUTCOMES})
    return row


def _add_combo(row, combo):
    verdict, leads, outcome = combo["v"], combo["leads"], combo["o"]
    if verdict is None:
        return
    row["with_feedback"] += leads
    if verdict == Verdict.ACCEPTED:
        row["accepted"] += leads
        return
    row["rejected_as_given"] += leads
    if outcome is not None:
        row["disputed"] += leads
        row[f"disputes_{outcome}"] += leads
    if outcome == DisputeOutcome.OVERTURNED:
        row["overturned"] += leads
    else:
        row["rejected"] += leads
        row[f"rejected_{combo['r'] or RejectReason.OTHER}"] += leads


def _quality_rates(row):
    row["feedback_rate"] = ratio(row["with_feedback"], row["leads"])
    row["acceptance_rate"] = ratio(row["accepted"] + row["overturned"], row["with_feedback"])
    row["dispute_rate"] = ratio(row["disputed"], row["rejected_as_given"])


# --- funnel and money ----------------------------------------------------------------------

def _held_until():
    """While this rep held the lead: up to a reassignment, or for ever otherwise."""
    return Case(When(close_reason=CloseReason.REASSIGNED, then=F("closed_at")),
                default=Value(FAR_FUTURE), output_field=DateTimeField())


def _converted():
    """An opportunity was opened on the lead while this handoff held it."""
    return Exists(Opportunity.objects.filter(lead=OuterRef("lead_id"),
                                             opened_at__gte=OuterRef("handed_off_at"),
                                             opened_at__lt=OuterRef("held_until")))


def _with_conversion(qs):
    """Each handoff with `conv`: did it convert while it held the lead (_converted)."""
    return qs.annotate(held_until=_held_until()).annotate(conv=_converted())


def _credited(qs, **opportunity):
    """Handoff x opportunity rows, each opportunity credited to the handoff that held it.

    Extra conditions on the opportunity go in the same filter() call: a second call
    on a multi-valued relation would join the opportunities a second time."""
    conditions = {f"lead__opportunities__{name}": value for name, value in opportunity.items()}
    return qs.annotate(held_until=_held_until()).filter(
        lead__opportunities__opened_at__gte=F("handed_off_at"),
        lead__opportunities__opened_at__lt=F("held_until"), **conditions)


def funnel_report(window: ReportWindow):
    qs = _with_conversion(handoffs_in(window))
    rows = _rows(window, _grouped(qs, window).annotate(
        handoffs=Count("id"),
        leads=Count("lead_id", distinct=True),
        marketing_sourced_leads=Count("lead_id", distinct=True,
                                      filter=Q(lead__sourced_by=SourcedBy.MARKETING)),
        sales_sourced_leads=Count("lead_id", distinct=True,
                                  filter=Q(lead__sourced_by=SourcedBy.SALES)),
        converted=Count("id", filter=Q(conv=True)),
        met=Count("id", filter=Q(status=HandoffStatus.MET)),
        met_converted=Count("id", filter=Q(status=HandoffStatus.MET, conv=True)),
        missed=Count("id", filter=Q(status=HandoffStatus.BREACHED)),
        missed_converted=Count("id", filter=Q(status=HandoffStatus.BREACHED, conv=True))))
    won = _credited(handoffs_in(window), status=OpportunityStatus.WON, closed_at__isnull=False)
    cycles = _rows(window, _grouped(won, window).annotate(
        won=Count("lead__opportunities"),
        cycle=Avg(Seconds(F("lead__opportunities__closed_at"), F("handed_off_at")))))
    for key, row in rows.items():
        cycle = cycles.get(key, {})
        row["conversion"] = ratio(row["converted"], row["handoffs"])
        row["met_conversion"] = ratio(row["met_converted"], row["met"])
        row["missed_conversion"] = ratio(row["missed_converted"], row["missed"])
        row["won"] = cycle.get("won", 0)
        row["avg_sales_cycle_days"] = (None if cycle.get("cycle") is None
                                       else round(cycle["cycle"] / 86400, 2))
    return _sorted(rows)


def revenue_report(window: ReportWindow):
    """Pipeline (open) and revenue (won) per group, currency and sourced-by."""
    opp = "lead__opportunities__"
    aggregated = _credited(handoffs_in(window)).values(
        k=_key_expr(window.group_by), currency=F(f"{opp}currency"),
        sourced_by=F("lead__sourced_by")).order_by().annotate(
        opportunities=Count(f"{opp}id"),
        open_opportunities=Count(f"{opp}id", filter=Q(**{f"{opp}status": OpportunityStatus.OPEN})),
        pipeline=Sum(f"{opp}amount", filter=Q(**{f"{opp}status": OpportunityStatus.OPEN})),
        won=Count(f"{opp}id", filter=Q(**{f"{opp}status": OpportunityStatus.WON})),
        revenue=Sum(f"{opp}amount", filter=Q(**{f"{opp}status": OpportunityStatus.WON})))
    items = [{**item, "k": key_text(item["k"])} for item in aggregated]
    names = _names(window.group_by, {item["k"] for item in items})
    rows = [{"key": item.pop("k"), **item, "pipeline": _money(item["pipeline"]),
             "revenue": _money(item["revenue"])} for item in items]
    for row in rows:
        row["label"] = label_for(window.group_by, row["key"], names.get(row["key"]))
    return sorted(rows, key=lambda r: (r["label"].lower(), r["key"], r["currency"],
                                       r["sourced_by"]))


def _money(amount):
    return f"{(amount or 0):.2f}"


# --- commitments ---------------------------------------------------------------------------

def quarter_bounds(year, quarter):
    tz = timezone.get_current_timezone()
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=tz)
    return start, end


def current_quarter(now=None):
    local = timezone.localtime(now or timezone.now())
    return local.year, (local.month - 1) // 3 + 1


def commitments_report(*, year, quarter, scope=None, commitments_scope=None, now=None):
    """Commitments of one quarter; `scope` narrows handoffs, `commitments_scope` (a Q on
    Commitment) the commitments a user may see."""
    start, end = quarter_bounds(year, quarter)
    now = now or timezone.now()
    elapsed = min(max((now - start) / (end - start), 0.0), 1.0)
    window = ReportWindow(start=start, end=end, scope=scope)
    commitments = Commitment.objects.filter(year=year, quarter=quarter).select_related(
        "rep", "team")
    if commitments_scope is not None:
        commitments = commitments.filter(commitments_scope)
    by_rep, by_team = _delivery(window)
    rows = [_commitment_row(c, by_rep, by_team, elapsed) for c in commitments]
    return sorted(rows, key=lambda r: (r["kind"], r["label"].lower(), r["key"]))


def _delivery(window):
    """({rep_id: figures}, {team_id: figures}) from ONE query grouped by (rep, team):
    its few rows are summed per rep and per team here."""
    qs = _with_conversion(handoffs_in(window))
    by_rep, by_team = {}, {}
    for row in qs.values("rep_id", "team_id").order_by().annotate(
            delivered=Count("id", filter=Q(lead__sourced_by=SourcedBy.MARKETING)),
            handoffs=Count("id"),
            met=Count("id", filter=Q(status=HandoffStatus.MET)),
            breached=Count("id", filter=Q(status=HandoffStatus.BREACHED)),
            converted=Count("id", filter=Q(conv=True))):
        rep_id, team_id = row.pop("rep_id"), row.pop("team_id")
        for totals in (by_rep.setdefault(rep_id, {}), by_team.setdefault(team_id, {})):
            for name, value in row.items():
                totals[name] = totals.get(name, 0) + value
    return by_rep, by_team


def _commitment_row(commitment, by_rep, by_team, elapsed):
    kind = "rep" if commitment.rep_id else "team"
    subject = commitment.rep if kind == "rep" else commitment.team
    figures = (by_rep if kind == "rep" else by_team).get(subject.pk, {})
    delivered, handoffs = figures.get("delivered", 0), figures.get("handoffs", 0)
    met, breached = figures.get("met", 0), figures.get("breached", 0)
    row = {"key": f"{kind}:{subject.pk}", "label": str(subject), "kind": kind,
           "year": commitment.year, "quarter": commitment.quarter,
           "committed": commitment.leads_committed,
           "expected_to_date": round(commitment.leads_committed * elapsed, 1),
           "delivered": delivered, "delivery_rate": ratio(delivered, commitment.leads_committed),
           "handoffs": handoffs, "compliance": ratio(met, met + breached),
           "conversion": ratio(figures.get("converted", 0), handoffs)}
    row["verdict"] = verdict(row)
    return row


def verdict(row):
    """Plain words for what fell short, in the order a reader should look at it.

    Short on leads: delivered < committed pro rata to the elapsed part of the quarter
    (the whole commitment once the quarter is over). Slow follow-up: SLA compliance
    below SLAWATCH_REPORT_COMPLIANCE_TARGET. Low conversion: lead-to-opportunity
    conversion below SLAWATCH_REPORT_CONVERSION_TARGET, judged only once at least
    SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS leads were handed off.
    """
    reasons = []
    if row["delivered"] < math.floor(row["expected_to_date"]):
        reasons.append("short on leads")
    if row["compliance"] is not None and row["compliance"] < settings.SLAWATCH_REPORT_COMPLIANCE_TARGET:
        reasons.append("slow follow-up")
    if (row["conversion"] is not None
            and row["handoffs"] >= settings.SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS
            and row["conversion"] < settings.SLAWATCH_REPORT_CONVERSION_TARGET):
        reasons.append("low conversion")
    return "; ".join(reasons) or "on track"


# --- money in the reporting currency: marketing economics and sales -------------------------

MARKETING_GROUP_BYS = ("source", "campaign", "month")
SALES_GROUP_BYS = GROUP_BYS + ("company",)


def months_starting_in(start, end):
    """(first, last) month (first days) whose first day, at midnight in the site time
    zone, lies in [start, end); first > last when none does. Monthly spend and visits
    count in full for these months and not at all for the others."""
    tz = timezone.get_current_timezone()
    s, e = timezone.localtime(start, tz), timezone.localtime(end, tz)
    first = date(s.year, s.month, 1)
    if datetime.combine(first, time.min, tz) < start:
        first = _next_month(first)
    last = date(e.year, e.month, 1)
    if datetime.combine(last, time.min, tz) >= end:
        last = _previous_month(last)
    return first, last


def _next_month(day):
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _previous_month(day):
    return date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _converted_sums(rows, rates):
    """Sum database rows of {"k", "currency", "month", "amount", "n"} per key in the
    reporting currency: ({key: Decimal}, {key: items that had no rate})."""
    totals, unconverted = defaultdict(Decimal), defaultdict(int)
    for row in rows:
        value = rates.convert(row["amount"], row["currency"], _as_date(row["month"]))
        if value is None:
            unconverted[row["k"]] += row["n"]
        else:
            totals[row["k"]] += value
    return totals, unconverted


def _as_date(value):
    return timezone.localtime(value).date() if isinstance(value, datetime) else value


def _first_value(field):
    """The lead's first non-empty `field` in event order (the CRM's original attribution);
    the lead's current value when no event carried one."""
    events = (LeadEvent.objects.filter(lead=OuterRef("pk"))
              .annotate(v=NullIf(KT(f"data__lead__{field}"), Value(""), output_field=CharField()))
              .filter(v__isnull=False)
              .order_by("occurred_at", "key").values("v")[:1])
    return Coalesce(Subquery(events), F(field), output_field=CharField())


def cohort(window: ReportWindow):
    """Leads first created in the CRM in [start, end) (when the CRM never sent a creation,
    when slawatch first stored the lead), narrowed to leads with a handoff in the scope."""
    leads = Lead.objects.annotate(cohort_at=Coalesce("created_in_crm_at", "created_at")).filter(
        cohort_at__gte=window.start, cohort_at__lt=window.end)
    if window.scope is not None:
        leads = leads.filter(Exists(window.scope(Handoff.objects.filter(lead=OuterRef("pk")))))
    return leads


def _cohort_key(group_by):
    if group_by == "month":
        return TruncMonth("cohort_at", output_field=DateTimeField())
    return _first_value(group_by)


def _money_key(group_by, value):
    if group_by == "month":
        return "" if value is None else f"{_as_date(value):%Y-%m}"
    return key_text(value)


def _money_label(group_by, key):
    if group_by == "month":
        return date.fromisoformat(f"{key}-01").strftime("%B %Y")
    return label_for(group_by, key, None)


def marketing_report(window: ReportWindow):
    """Leads, spend, pipeline and revenue of a lead cohort, in the reporting currency.

    docs/KPIS.md defines every figure; spend and visits (company-wide) are shown only to
    users who see every lead, and are null for a narrower scope.
    """
    g = window.group_by
    leads = cohort(window)
    # Annotation names differ from the relation's ("opportunities"), which they would shadow.
    counted = leads.values(k=_cohort_key(g)).order_by().annotate(
        n_leads=Count("id", distinct=True), n_opportunities=Count("opportunities"),
        n_with_opportunity=Count("id", distinct=True, filter=Q(opportunities__isnull=False)),
        n_customers=Count("id", distinct=True,
                          filter=Q(opportunities__status=OpportunityStatus.WON)))
    money_rows = leads.filter(opportunities__amount__isnull=False,
                              opportunities__status__in=[OpportunityStatus.OPEN,
                                                         OpportunityStatus.WON]).values(
        k=_cohort_key(g), currency=F("opportunities__currency"),
        opportunity_status=F("opportunities__status"),
        month=TruncMonth(Coalesce("opportunities__closed_at", "opportunities__opened_at"))
    ).order_by().annotate(amount=Sum("opportunities__amount"), n=Count("opportunities__id"))
    rates = economics.rates()
    rows = defaultdict(_empty_marketing)
    for item in counted:
        rows[_money_key(g, item.pop("k"))].update(
            {name.removeprefix("n_"): value for name, value in item.items()})
    opportunity_money = [{**r, "k": _money_key(g, r["k"])} for r in money_rows]
    pipeline, unconverted = _converted_sums(
        [r for r in opportunity_money if r["opportunity_status"] == OpportunityStatus.OPEN], rates)
    won, won_unconverted = _converted_sums(
        [r for r in opportunity_money if r["opportunity_status"] == OpportunityStatus.WON], rates)
    _add(unconverted, won_unconverted)
    first, last = months_starting_in(window.start, window.end)
    spend = sales_spend = None
    if window.scope is None:
        spend_rows = [{**r, "k": _money_key(g, r["k"])}
                      for r in economics.spend_by(first, last, g)]
        spend, spend_unconverted = _converted_sums(
            [r for r in spend_rows if r["category"] == SpendCategory.MARKETING], rates)
        sales_spend, sales_unconverted = _converted_sums(
            [r for r in spend_rows if r["category"] == SpendCategory.SALES], rates)
        _add(unconverted, spend_unconverted, sales_unconverted)
        _ensure(rows, {r["k"] for r in spend_rows})  # spend without leads is a row too
    # Visits are company figures like spend (visits/ needs its view permission): only for
    # users who see every lead.
    visits = economics.visits_by(first, last, g) if window.scope is None else None
    if visits is not None:
        visits = {_money_key(g, k): v for k, v in visits.items()}
        _ensure(rows, visits)
    for key, row in rows.items():
        _marketing_money(row, key, g, pipeline, won, spend, sales_spend, visits, unconverted)
    order = (lambda r: r["key"]) if g == "month" else (lambda r: (r["label"].lower(), r["key"]))
    return sorted(rows.values(), key=order)


def _ensure(rows, keys):
    for key in keys:
        rows.setdefault(key, _empty_marketing())


def _empty_marketing():
    return {"leads": 0, "opportunities": 0, "with_opportunity": 0, "customers": 0}


def _add(into, *others):
    for other in others:
        for key, n in other.items():
            into[key] += n


def _marketing_money(row, key, g, pipeline, won, spend, sales_spend, visits, unconverted):
    with_opportunity = row.pop("with_opportunity")
    won_revenue = won.get(key, Decimal(0))
    marketing = None if spend is None else spend.get(key, Decimal(0))
    sales = None if sales_spend is None else sales_spend.get(key, Decimal(0))
    acquisition = None if marketing is None else marketing + sales
    cac = money.divide(acquisition, row["customers"])
    clv = money.divide(won_revenue, row["customers"])
    if clv is not None:
        clv *= settings.SLAWATCH_CLV_GROSS_MARGIN * settings.SLAWATCH_CLV_LIFETIME_YEARS
    visit_count = None if visits is None else visits.get(key, 0)
    row.update({
        "key": key, "label": _money_label(g, key), "visits": visit_count,
        "visit_to_lead": money.fraction(row["leads"], visit_count),
        "spend": money.cents(marketing), "sales_spend": money.cents(sales),
        "cost_per_lead": money.cents(money.divide(marketing, row["leads"])),
        "lead_to_opportunity": money.fraction(with_opportunity, row["leads"]),
        "pipeline": money.cents(pipeline.get(key, Decimal(0))),
        "won_revenue": money.cents(won_revenue), "cac": money.cents(cac),
        "roi": None if marketing is None else money.fraction(won_revenue - marketing, marketing),
        "clv": money.cents(clv), "clv_to_cac": money.fraction(clv, cac),
        "currency": settings.SLAWATCH_REPORTING_CURRENCY,
        "unconverted": unconverted.get(key, 0)})


def sales_report(window: ReportWindow):
    """Closing ratio, sales cycle and revenue per account of the handoffs in range;
    opportunities credited as in the funnel, money in the reporting currency."""
    g = window.group_by
    base = _rows(window, _grouped(handoffs_in(window), window).annotate(handoffs=Count("id")))
    opp = "lead__opportunities__"
    credited = _credited(handoffs_in(window))
    counts = _rows(window, _grouped(credited, window).annotate(
        opportunities=Count(f"{opp}id"),
        won=Count(f"{opp}id", filter=Q(**{f"{opp}status": OpportunityStatus.WON})),
        lost=Count(f"{opp}id", filter=Q(**{f"{opp}status": OpportunityStatus.LOST})),
        accounts=Count(_account(), distinct=True,
                       filter=Q(**{f"{opp}status": OpportunityStatus.WON}))))
    closed_won = _credited(handoffs_in(window), status=OpportunityStatus.WON,
                           closed_at__isnull=False)
    cycles = grouped_with_percentiles(
        window, closed_won, {"cycle": Seconds(F(f"{opp}closed_at"), F("handed_off_at"))},
        n=Count(f"{opp}id"))
    won_money = _credited(handoffs_in(window), status=OpportunityStatus.WON,
                          amount__isnull=False).values(
        k=_key_expr(g), currency=F(f"{opp}currency"),
        month=TruncMonth(Coalesce(f"{opp}closed_at", f"{opp}opened_at"))).order_by().annotate(
        amount=Sum(f"{opp}amount"), n=Count(f"{opp}id"))
    revenue, unconverted = _converted_sums(
        [{**r, "k": key_text(r["k"])} for r in won_money], economics.rates())
    for key, row in base.items():
        row.update({"opportunities": 0, "won": 0, "lost": 0, "accounts": 0})
        row.update({k: v for k, v in counts.get(key, {}).items() if k not in ("key", "label")})
        cycle = cycles.get(key, ({}, {}))[1].get("cycle_median")
        won_revenue = revenue.get(key, Decimal(0))
        row.update({
            "closing_ratio": money.fraction(row["won"], row["won"] + row["lost"]),
            "median_sales_cycle_days": None if cycle is None else round(cycle / 86400, 2),
            "won_revenue": money.cents(won_revenue),
            "revenue_per_account": money.cents(money.divide(won_revenue, row["accounts"])),
            "currency": settings.SLAWATCH_REPORTING_CURRENCY,
            "unconverted": unconverted.get(key, 0)})
    return _sorted(base)


def _account():
    """A customer account: the lead's company, or the lead itself when it names none."""
    return Case(When(lead__company="", then=Concat(Value("lead #"), Cast("lead_id", CharField()))),
                default=F("lead__company"), output_field=CharField())
