"""The marketing and sales figures computed the plain way: load every row, loop, add.

Shares nothing with the selectors or slawatch.economics: month rules, rate look-up,
attribution and every formula are written again here from docs/KPIS.md.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from slawatch.economics.models import Rate, Spend, Visits
from slawatch.leads.models import Handoff, Lead, LeadEvent, Opportunity
from slawatch.reports.selectors import interpolate
from tests.reports.oracle import _credited

ZERO = Decimal(0)


def _cents(value):
    return None if value is None else str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _div(a, b):
    return None if a is None or b is None or b == 0 else Decimal(a) / Decimal(b)


def _ratio(a, b):
    value = _div(a, b)
    return None if value is None else float(value.quantize(Decimal("0.0001"),
                                                           rounding=ROUND_HALF_UP))


def _month_of(instant):
    return instant.astimezone(UTC).date().replace(day=1)


def _rate(rates, currency, month, reporting):
    if currency == reporting:
        return Decimal(1)
    earlier = [r for r in rates if r.currency == currency and r.month <= month]
    return max(earlier, key=lambda r: r.month).rate if earlier else None


def _counts_in(month, start, end):
    midnight = datetime(month.year, month.month, 1, tzinfo=UTC)
    return start <= midnight < end


def _first(lead, field, events):
    for event in sorted(events, key=lambda e: (e.occurred_at, e.key)):
        value = (event.data.get("lead") or {}).get(field)
        if value not in (None, ""):
            return str(value)
    return getattr(lead, field)


def _row():
    return {"leads": 0, "opportunities": 0, "with_opportunity": 0, "customers": 0,
            "pipeline": ZERO, "won": ZERO, "spend": ZERO, "sales": ZERO, "visits": 0,
            "unconverted": 0}


def marketing(start, end, group_by, *, reporting, margin, lifetime, lead_ids=None):
    """{key: row}; lead_ids (a scoped user's leads) also hides spend and visits, as the
    report does."""
    rates = list(Rate.objects.all())
    events = defaultdict(list)
    for event in LeadEvent.objects.all():
        events[event.lead_id].append(event)
    rows = defaultdict(_row)

    def key_of(lead, at):
        return f"{at.astimezone(UTC):%Y-%m}" if group_by == "month" else \
            _first(lead, group_by, events[lead.id])

    for lead in Lead.objects.all():
        at = lead.created_in_crm_at or lead.created_at
        if not start <= at < end or (lead_ids is not None and lead.id not in lead_ids):
            continue
        row = rows[key_of(lead, at)]
        opps = list(Opportunity.objects.filter(lead=lead))
        row["leads"] += 1
        row["opportunities"] += len(opps)
        row["with_opportunity"] += bool(opps)
        row["customers"] += any(o.status == "won" for o in opps)
        for o in opps:
            if o.amount is None or o.status == "lost":
                continue
            rate = _rate(rates, o.currency, _month_of(o.closed_at or o.opened_at), reporting)
            if rate is None:
                row["unconverted"] += 1
            else:
                row["pipeline" if o.status == "open" else "won"] += o.amount * rate
    if lead_ids is None:
        for s in Spend.objects.all():
            if not _counts_in(s.month, start, end):
                continue
            key = f"{s.month:%Y-%m}" if group_by == "month" else getattr(s, group_by)
            rate = _rate(rates, s.currency, s.month, reporting)
            if rate is None:
                rows[key]["unconverted"] += 1
            else:
                rows[key]["spend" if s.category == "marketing" else "sales"] += s.amount * rate
    if group_by != "campaign" and lead_ids is None:
        for v in Visits.objects.all():
            if _counts_in(v.month, start, end):
                rows[f"{v.month:%Y-%m}" if group_by == "month" else v.source]["visits"] += v.visits
    return {key: _marketing_row(row, group_by, reporting, margin, lifetime, lead_ids is None)
            for key, row in rows.items()}


def _marketing_row(r, group_by, reporting, margin, lifetime, with_spend):
    spend = r["spend"] if with_spend else None
    sales = r["sales"] if with_spend else None
    cac = _div(None if spend is None else spend + sales, r["customers"])
    clv = _div(r["won"], r["customers"])
    clv = None if clv is None else clv * margin * lifetime
    visits = None if group_by == "campaign" or not with_spend else r["visits"]
    return {"leads": r["leads"], "visits": visits, "visit_to_lead": _ratio(r["leads"], visits),
            "spend": _cents(spend), "sales_spend": _cents(sales),
            "cost_per_lead": _cents(_div(spend, r["leads"])),
            "opportunities": r["opportunities"],
            "lead_to_opportunity": _ratio(r["with_opportunity"], r["leads"]),
            "pipeline": _cents(r["pipeline"]), "won_revenue": _cents(r["won"]),
            "customers": r["customers"], "cac": _cents(cac),
            "roi": None if spend is None else _ratio(r["won"] - spend, spend),
            "clv": _cents(clv), "clv_to_cac": _ratio(clv, cac), "currency": reporting,
            "unconverted": r["unconverted"]}


def _sales_key(h, group_by):
    if group_by in ("rep", "team"):
        value = getattr(h, f"{group_by}_id")
        return "" if value is None else str(value)
    if group_by == "heat":
        return h.heat
    if group_by == "week":
        day = h.handed_off_at.astimezone(UTC).date()
        return day.fromordinal(day.toordinal() - day.weekday()).isoformat()
    if group_by == "day":
        return h.handed_off_at.astimezone(UTC).date().isoformat()
    return getattr(h.lead, group_by)


def sales(start, end, group_by, *, reporting):
    rates = list(Rate.objects.all())
    opps = list(Opportunity.objects.select_related("lead"))
    groups = defaultdict(list)
    for h in Handoff.objects.select_related("lead"):
        if start <= h.handed_off_at < end:
            groups[_sales_key(h, group_by)].append(h)
    rows = {}
    for key, hs in groups.items():
        credited = [(h, o) for h in hs for o in opps if _credited(h, o)]
        won = [(h, o) for h, o in credited if o.status == "won"]
        lost = sum(1 for _, o in credited if o.status == "lost")
        cycles = [(o.closed_at - h.handed_off_at).total_seconds() for h, o in won if o.closed_at]
        median = interpolate(cycles, 0.5)
        revenue, unconverted = ZERO, 0
        for _, o in won:
            if o.amount is None:
                continue
            rate = _rate(rates, o.currency, _month_of(o.closed_at or o.opened_at), reporting)
            if rate is None:
                unconverted += 1
            else:
                revenue += o.amount * rate
        accounts = len({o.lead.company or f"lead #{o.lead_id}" for _, o in won})
        rows[key] = {"handoffs": len(hs), "opportunities": len(credited), "won": len(won),
                     "lost": lost, "closing_ratio": _ratio(len(won), len(won) + lost),
                     "median_sales_cycle_days": None if median is None
                     else round(median / 86400, 2),
                     "won_revenue": _cents(revenue), "accounts": accounts,
                     "revenue_per_account": _cents(_div(revenue, accounts)),
                     "currency": reporting, "unconverted": unconverted}
    return rows
