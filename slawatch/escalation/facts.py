"""The facts an escalation message states, read from the database at send time.

Plain dicts (JSON-safe), so the channels' payload builders stay pure and testable.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from slawatch.clock import business_time_between
from slawatch.escalation.channels import BREACH, REMINDER, WARNING
from slawatch.escalation.models import Escalation, EscalationKind
from slawatch.leads.services import calendar_for

DIGEST_ITEMS_SHOWN = 40


def absolute(path: str) -> str | None:
    """A link for messages; only possible when SLAWATCH_PUBLIC_URL says where we live."""
    base = settings.SLAWATCH_PUBLIC_URL
    return f"{base}{path}" if base else None


def crm_record_url(lead) -> str | None:
    """The lead in its CRM, when the record URL can be built from what we know."""
    if lead.crm == "salesforce" and settings.SALESFORCE_INSTANCE_URL:
        return f"{settings.SALESFORCE_INSTANCE_URL}/lightning/r/Lead/{lead.external_id}/view"
    return None


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def _sla_minutes(snapshot, milestone) -> int | None:
    if not snapshot:
        return None
    key = "first_touch_minutes" if milestone.seq == 0 else "follow_up_window_minutes"
    return snapshot.get(key)


def _stage(escalation, milestone) -> str:
    if escalation.occurrence:
        return REMINDER
    if escalation.due_at and escalation.due_at < milestone.due_at:
        return WARNING
    return BREACH


def escalation_facts(escalation: Escalation, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    handoff, milestone = escalation.handoff, escalation.milestone
    lead, rep = handoff.lead, handoff.rep
    snapshot = handoff.snapshot
    waited = business_time_between(calendar_for((snapshot or {}).get("calendar")),
                                   milestone.started_at, now)
    return {
        "escalation_id": escalation.pk,
        "handoff_id": handoff.pk,
        "stage": _stage(escalation, milestone),
        "milestone": "first touch" if milestone.seq == 0 else f"follow-up #{milestone.seq}",
        "lead_name": str(lead),
        "lead_company": lead.company,
        "lead_email": lead.email,
        "lead_url": crm_record_url(lead),
        "crm": lead.crm,
        "external_id": lead.external_id,
        "owner_name": rep.name,
        "owner_slack_id": rep.slack_user_id,
        "heat": handoff.heat,
        "source": lead.source or "unknown",
        "waiting_minutes": _minutes(waited.total_seconds()),
        "sla_minutes": _sla_minutes(snapshot, milestone),
        "due_at": milestone.due_at.isoformat(),
        "acknowledged": handoff.acknowledged_at is not None,
        "admin_url": absolute(reverse("admin:leads_handoff_change", args=[handoff.pk])),
    }


def digest_facts(digest: Escalation, now: datetime | None = None) -> dict:
    items = list(digest.items.select_related(
        "handoff__lead", "handoff__rep", "milestone").order_by("due_at", "pk"))
    shown = [escalation_facts(item, now) for item in items[:DIGEST_ITEMS_SHOWN]]
    count = len(items)
    plural = "s" if count != 1 else ""
    if digest.kind == EscalationKind.CATCH_UP:
        title = (f"SLA catch-up: {count} escalation{plural} due more than "
                 f"{settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES} min before slawatch "
                 "saw them")
    else:
        title = f"SLA digest: {count} escalation{plural}"
    return {
        "title": title,
        "escalation_id": digest.pk,
        "recipient_name": digest.recipient_person.name if digest.recipient_person else "",
        "count": count,
        "items": shown,
        "more": max(0, len(items) - len(shown)),
        "admin_url": absolute(reverse("admin:escalation_escalation_changelist")),
    }
