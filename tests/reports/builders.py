"""Rows for report tests, created directly (the reports read stored state only)."""

from datetime import UTC, datetime, timedelta
from itertools import count

from slawatch.leads.models import Handoff, Lead, Opportunity

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
_ids = count(1)


def lead(source="web", campaign="q4", sourced_by="marketing", **fields):
    n = next(_ids)
    return Lead.objects.create(crm="acme", external_id=f"L-{n}", source=source,
                               campaign=campaign, sourced_by=sourced_by, **fields)


def handoff(rep, at=T0, status="open", stl_minutes=None, business_minutes=None, lead_=None,
            **fields):
    fields.setdefault("team", rep.team)
    fields.setdefault("heat", "hot")
    if stl_minutes is not None:
        fields["first_touched_at"] = at + timedelta(minutes=stl_minutes)
        fields["speed_to_lead_seconds"] = stl_minutes * 60.0
        fields["speed_to_lead_business_seconds"] = (
            business_minutes if business_minutes is not None else stl_minutes) * 60.0
    return Handoff.objects.create(lead=lead_ or lead(), rep=rep, handed_off_at=at, status=status,
                                  **fields)


def opportunity(lead_, opened_at, status="open", amount="1000.00", currency="USD",
                closed_at=None):
    return Opportunity.objects.create(lead=lead_, external_id=f"O-{next(_ids)}", amount=amount,
                                      currency=currency, status=status, opened_at=opened_at,
                                      closed_at=closed_at)


def window_params(**extra):
    return {"start": "2026-11-01", "end": "2026-11-30", **extra}
