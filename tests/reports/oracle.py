"""The reports computed the plain way: load every row, loop, count.

Obviously correct and obviously slow; the property tests compare the database
query layer against it on random histories. It shares nothing with the
selectors except `interpolate`, whose definition (linear interpolation between
closest ranks) is itself tested against hand-worked values.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from slawatch.leads.models import Handoff, Milestone, Opportunity
from slawatch.quality.models import Commitment, LeadFeedback, QualityDispute, RejectReason
from slawatch.reports.selectors import interpolate

HEAT_LABELS = {"hot": "Hot", "warm": "Warm", "cold": "Cold"}


def _key(h, group_by):
    if group_by == "rep":
        return str(h.rep_id), h.rep.name
    if group_by == "team":
        return ("", "(no team)") if h.team_id is None else (str(h.team_id), h.team.name)
    if group_by == "heat":
        return h.heat, HEAT_LABELS[h.heat]
    if group_by == "week":
        monday = (h.handed_off_at.date() - timedelta(days=h.handed_off_at.weekday())).isoformat()
        return monday, f"Week of {monday}"
    if group_by == "day":
        day = h.handed_off_at.date().isoformat()
        return day, day
    value = getattr(h.lead, group_by)
    return value, value or "(none)"


def _groups(start, end, group_by):
    handoffs = Handoff.objects.select_related("rep", "team", "lead").all()
    groups = defaultdict(list)
    labels = {}
    for h in handoffs:
        if start <= h.handed_off_at < end:
            key, label = _key(h, group_by)
            groups[key].append(h)
            labels[key] = label
    return groups, labels


def _ratio(a, b):
    return None if not b else round(a / b, 4)


def _minutes(seconds_list, p):
    value = interpolate(seconds_list, p)
    return None if value is None else round(value / 60, 2)


def _speed(hs):
    wall = [h.speed_to_lead_seconds for h in hs if h.speed_to_lead_seconds is not None]
    biz = [h.speed_to_lead_business_seconds for h in hs
           if h.speed_to_lead_business_seconds is not None]
    return {"speed_to_lead_median_minutes": _minutes(wall, 0.5),
            "speed_to_lead_p90_minutes": _minutes(wall, 0.9),
            "speed_to_lead_business_median_minutes": _minutes(biz, 0.5),
            "speed_to_lead_business_p90_minutes": _minutes(biz, 0.9)}


def sla(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    rows = {}
    for key, hs in groups.items():
        count = {s: sum(1 for h in hs if h.status == s) for s in ("met", "breached", "open", "closed")}
        acked = [h for h in hs if h.status == "breached" and h.acknowledged_at is not None]
        waits = [max(0.0, (h.acknowledged_at - h.breached_at).total_seconds()) for h in acked]
        rows[key] = {"key": key, "label": labels[key], "handoffs": len(hs), **count,
                     "compliance": _ratio(count["met"], count["met"] + count["breached"]),
                     "breaches_acknowledged": len(acked),
                     "ack_median_minutes": _minutes(waits, 0.5), **_speed(hs)}
    return rows


def speed(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    rows = {}
    for key, hs in groups.items():
        touched = sum(1 for h in hs if h.speed_to_lead_seconds is not None)
        rows[key] = {"key": key, "label": labels[key], "handoffs": len(hs), "touched": touched,
                     "touched_rate": _ratio(touched, len(hs)), **_speed(hs)}
    return rows


def leakage(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    milestones = defaultdict(dict)
    for m in Milestone.objects.all():
        milestones[m.handoff_id][m.seq] = m
    rows = {}
    for key, hs in groups.items():
        never = sum(1 for h in hs if h.status == "breached" and h.first_touched_at is None)
        dropped = 0
        for h in hs:
            first, follow = milestones[h.id].get(0), milestones[h.id].get(1)
            if (first and first.met_at and follow and follow.breached_at
                    and follow.met_at is None):
                dropped += 1
        rows[key] = {"key": key, "label": labels[key], "handoffs": len(hs),
                     "never_touched": never, "dropped_after_first_touch": dropped,
                     "never_touched_rate": _ratio(never, len(hs)),
                     "dropped_rate": _ratio(dropped, len(hs))}
    return rows


def _standing(lead_id, feedback, disputes):
    """(verdict, reason, latest dispute outcome) of a lead, or None without feedback."""
    mine = [f for f in feedback if f.lead_id == lead_id]
    if not mine:
        return None
    latest = max(mine, key=lambda f: (f.created_at, f.id))
    on_it = [d for d in disputes if d.feedback_id == latest.id]
    outcome = max(on_it, key=lambda d: (d.created_at, d.id)).outcome if on_it else None
    return latest.verdict, latest.reason, outcome


def quality(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    feedback, disputes = list(LeadFeedback.objects.all()), list(QualityDispute.objects.all())
    rows = {}
    for key, hs in groups.items():
        lead_ids = {h.lead_id for h in hs}
        row = {"key": key, "label": labels[key], "handoffs": len(hs), "leads": len(lead_ids),
               "with_feedback": 0, "accepted": 0, "overturned": 0, "rejected": 0,
               "rejected_as_given": 0, "disputed": 0}
        row.update({f"rejected_{r}": 0 for r in RejectReason.values})
        row.update({f"disputes_{o}": 0 for o in ("open", "upheld", "overturned", "withdrawn")})
        for lead_id in lead_ids:
            standing = _standing(lead_id, feedback, disputes)
            if standing is None:
                continue
            verdict, reason, outcome = standing
            row["with_feedback"] += 1
            if verdict == "accepted":
                row["accepted"] += 1
                continue
            row["rejected_as_given"] += 1
            if outcome:
                row["disputed"] += 1
                row[f"disputes_{outcome}"] += 1
            if outcome == "overturned":
                row["overturned"] += 1
            else:
                row["rejected"] += 1
                row[f"rejected_{reason}"] += 1
        row["feedback_rate"] = _ratio(row["with_feedback"], row["leads"])
        row["acceptance_rate"] = _ratio(row["accepted"] + row["overturned"], row["with_feedback"])
        row["dispute_rate"] = _ratio(row["disputed"], row["rejected_as_given"])
        rows[key] = row
    return rows


def _credited(h, opp):
    """The opportunity opened while this handoff held the lead."""
    if opp.lead_id != h.lead_id or opp.opened_at < h.handed_off_at:
        return False
    return h.close_reason != "reassigned" or opp.opened_at < h.closed_at


def funnel(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    opps = list(Opportunity.objects.all())
    rows = {}
    for key, hs in groups.items():
        conv = {h.id: any(_credited(h, o) for o in opps) for h in hs}
        leads = {h.lead_id: h.lead.sourced_by for h in hs}
        met = [h for h in hs if h.status == "met"]
        missed = [h for h in hs if h.status == "breached"]
        won = [(o.closed_at - h.handed_off_at).total_seconds() for h in hs for o in opps
               if _credited(h, o) and o.status == "won" and o.closed_at is not None]
        row = {"key": key, "label": labels[key], "handoffs": len(hs), "leads": len(leads),
               "marketing_sourced_leads": sum(1 for s in leads.values() if s == "marketing"),
               "sales_sourced_leads": sum(1 for s in leads.values() if s == "sales"),
               "converted": sum(conv.values()), "met": len(met),
               "met_converted": sum(conv[h.id] for h in met), "missed": len(missed),
               "missed_converted": sum(conv[h.id] for h in missed), "won": len(won),
               "avg_sales_cycle_days": round(sum(won) / len(won) / 86400, 2) if won else None}
        row["conversion"] = _ratio(row["converted"], len(hs))
        row["met_conversion"] = _ratio(row["met_converted"], len(met))
        row["missed_conversion"] = _ratio(row["missed_converted"], len(missed))
        rows[key] = row
    return rows


def revenue(start, end, group_by):
    groups, labels = _groups(start, end, group_by)
    opps = list(Opportunity.objects.all())
    rows = {}
    for key, hs in groups.items():
        for h in hs:
            for o in opps:
                if not _credited(h, o):
                    continue
                row = rows.setdefault((key, o.currency, h.lead.sourced_by), {
                    "key": key, "label": labels[key], "currency": o.currency,
                    "sourced_by": h.lead.sourced_by, "opportunities": 0,
                    "open_opportunities": 0, "pipeline": Decimal(0), "won": 0,
                    "revenue": Decimal(0)})
                row["opportunities"] += 1
                if o.status == "open":
                    row["open_opportunities"] += 1
                    row["pipeline"] += o.amount or 0
                if o.status == "won":
                    row["won"] += 1
                    row["revenue"] += o.amount or 0
    for row in rows.values():
        row["pipeline"], row["revenue"] = f"{row['pipeline']:.2f}", f"{row['revenue']:.2f}"
    return rows


def commitments(year, quarter, start, end, settings):
    """Every commitment of the quarter, judged after the quarter ended."""

    handoffs = [h for h in Handoff.objects.select_related("lead") if start <= h.handed_off_at < end]
    opps = list(Opportunity.objects.all())
    rows = {}
    for c in Commitment.objects.filter(year=year, quarter=quarter):
        mine = [h for h in handoffs
                if (h.rep_id == c.rep_id if c.rep_id else h.team_id == c.team_id)]
        delivered = sum(1 for h in mine if h.lead.sourced_by == "marketing")
        met = sum(1 for h in mine if h.status == "met")
        breached = sum(1 for h in mine if h.status == "breached")
        converted = sum(1 for h in mine if any(_credited(h, o) for o in opps))
        compliance, conversion = _ratio(met, met + breached), _ratio(converted, len(mine))
        verdict = []
        if delivered < c.leads_committed:
            verdict.append("short on leads")
        if compliance is not None and compliance < settings.SLAWATCH_REPORT_COMPLIANCE_TARGET:
            verdict.append("slow follow-up")
        if (conversion is not None and len(mine) >= settings.SLAWATCH_REPORT_CONVERSION_MIN_HANDOFFS
                and conversion < settings.SLAWATCH_REPORT_CONVERSION_TARGET):
            verdict.append("low conversion")
        key = f"rep:{c.rep_id}" if c.rep_id else f"team:{c.team_id}"
        rows[key] = {"committed": c.leads_committed, "delivered": delivered,
                     "handoffs": len(mine), "compliance": compliance, "conversion": conversion,
                     "delivery_rate": _ratio(delivered, c.leads_committed),
                     "verdict": "; ".join(verdict) or "on track"}
    return rows
