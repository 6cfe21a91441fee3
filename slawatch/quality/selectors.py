"""Reads for lead quality, shared by the admin, the API and the reports.

The effective verdict is what the reports count: a rejection overturned by a
dispute counts as accepted.
"""

from django.db.models import Case, Exists, OuterRef, QuerySet, Subquery, Value, When

from slawatch.quality.models import DisputeOutcome, LeadFeedback, QualityDispute, Verdict


def _overturned(feedback_ref):
    return Exists(QualityDispute.objects.filter(feedback=feedback_ref,
                                                outcome=DisputeOutcome.OVERTURNED))


def feedback_with_effective_verdict(qs: QuerySet | None = None) -> QuerySet:
    """Feedback annotated with `effective_verdict` (accepted / rejected) and `overturned`."""
    qs = LeadFeedback.objects.all() if qs is None else qs
    overturned = _overturned(OuterRef("pk"))
    return qs.annotate(
        overturned=overturned,
        effective_verdict=Case(When(overturned, then=Value(Verdict.ACCEPTED)),
                               default="verdict"))


def effective_verdict(feedback: LeadFeedback) -> str:
    """One feedback's verdict as the reports count it."""
    if feedback.verdict == Verdict.REJECTED and feedback.disputes.filter(
            outcome=DisputeOutcome.OVERTURNED).exists():
        return Verdict.ACCEPTED
    return feedback.verdict


def lead_effective_verdict(lead_ref=None):
    """An expression for a Lead queryset: the latest feedback's effective verdict (or null).

    Use as `Lead.objects.annotate(verdict=lead_effective_verdict())`.
    """
    latest = feedback_with_effective_verdict(
        LeadFeedback.objects.filter(lead=lead_ref or OuterRef("pk"))
    ).order_by("-updated_at", "-pk").values("effective_verdict")[:1]
    return Subquery(latest)
