"""What each role's home page shows: small reads, each a query or two."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone

from slawatch.escalation.models import Escalation, EscalationStatus
from slawatch.ingest.models import CrmEvent, CrmEventStatus, PollCursor
from slawatch.leads.models import Lead
from slawatch.access import scoping
from slawatch.quality.models import DisputeOutcome, LeadFeedback, QualityDispute
from slawatch.reports import selectors as reports

DUE_NEXT = 20
HOME_DAYS = 30


def leads_due_next(user, limit=DUE_NEXT):
    """The user's open handoffs with a touch still owed, soonest due first, with the
    lead's current verdict from this rep (if any)."""
    pending = Q(milestones__met_at__isnull=True)
    mine = LeadFeedback.objects.filter(lead=OuterRef("lead_id"), given_by=scoping.person_of(user))
    return list(scoping.handoffs_for(user).filter(closed_at__isnull=True)
                .annotate(due=Min("milestones__due_at", filter=pending))
                .filter(due__isnull=False).annotate(has_feedback=Exists(mine))
                .select_related("lead").order_by("due", "pk")[:limit])


def rejections_awaiting_marketing(limit=20):
    """Standing rejections marketing has not answered: no dispute filed on them yet."""
    disputed = QualityDispute.objects.filter(feedback=OuterRef("pk"))
    return list(LeadFeedback.objects.filter(verdict="rejected").exclude(Exists(disputed))
                .select_related("lead", "given_by").order_by("-created_at")[:limit])


def open_disputes(limit=20):
    return list(QualityDispute.objects.filter(outcome=DisputeOutcome.OPEN)
                .select_related("feedback__lead").order_by("created_at")[:limit])


def month_to_date(now=None):
    """[first of this month, now) as a report window, for 'this month's economics'."""
    now = timezone.localtime(now or timezone.now())
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return reports.ReportWindow(start=start, end=now + timedelta(seconds=1), group_by="month")


def economics_this_month(now=None):
    rows = reports.marketing_report(month_to_date(now))
    return rows[-1] if rows else None


def quality_last_days(now=None):
    now = now or timezone.now()
    window = reports.ReportWindow(start=now - timedelta(days=HOME_DAYS), end=now,
                                  group_by="source")
    return reports.quality_report(window)


def configuration_health():
    """What RevOps should fix: owners mapped to nobody, failed deliveries, the inbox
    backlog and polls that failed."""
    unmapped = (Lead.objects.exclude(owner_crm_id="").filter(owner__isnull=True)
                .values("crm", "owner_crm_id").annotate(leads=Count("id"))
                .order_by("-leads", "crm", "owner_crm_id"))
    inbox = CrmEvent.objects.aggregate(
        pending=Count("id", filter=Q(status=CrmEventStatus.PENDING)),
        failed=Count("id", filter=Q(status=CrmEventStatus.FAILED)))
    return {"unmapped_owners": list(unmapped[:20]),
            "failed_deliveries": Escalation.objects.filter(status=EscalationStatus.FAILED).count(),
            "inbox_pending": inbox["pending"], "inbox_failed": inbox["failed"],
            "poll_errors": list(PollCursor.objects.exclude(last_error="")
                                .values("stream", "last_error", "last_run_at"))}
