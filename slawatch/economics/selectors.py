"""Reads of the economics inputs for the reports: rates, spend and visits in a range."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import Count, F, Sum

from slawatch.economics import money
from slawatch.economics.models import Rate, Spend, Visits


def rates() -> money.Rates:
    """Every stored rate, for conversion to SLAWATCH_REPORTING_CURRENCY (one query)."""
    return money.Rates(settings.SLAWATCH_REPORTING_CURRENCY,
                       Rate.objects.values_list("month", "currency", "rate"))


def spend_by(first: date, last: date, key: str):
    """Spend of the months first..last (inclusive), summed per (key, category, currency,
    month) by the database: [{"k", "category", "currency", "month", "amount", "n"}]."""
    return list(Spend.objects.filter(month__gte=first, month__lte=last)
                .values("category", "currency", "month", k=_key(key)).order_by()
                .annotate(amount=Sum("amount"), n=Count("id")))


def visits_by(first: date, last: date, key: str):
    """{key: visits} of the months first..last (inclusive); None when grouped by campaign
    (visits are counted per source, not per campaign)."""
    if key == "campaign":
        return None
    rows = (Visits.objects.filter(month__gte=first, month__lte=last)
            .values(k=_key(key)).order_by().annotate(visits=Sum("visits")))
    return {row["k"]: row["visits"] for row in rows}


def _key(key):
    return F({"source": "source", "campaign": "campaign", "month": "month"}[key])
