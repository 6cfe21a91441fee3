"""Writes for lead quality: feedback, disputes and their notifications.

Views, serializers and admin actions call these; the model's save() guards the
dispute lifecycle, so nothing here can be bypassed by another entry point.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from slawatch.escalation.models import Escalation, EscalationKind
from slawatch.escalation.services import notify_people
from slawatch.leads.models import Lead
from slawatch.people.models import Person
from slawatch.quality.models import (
    RESOLUTIONS,
    DisputeComment,
    DisputeOutcome,
    IllegalTransition,
    LeadFeedback,
    QualityDispute,
    Verdict,
)


def feedback_give(*, lead: Lead, by: Person, verdict: str, reason: str = "",
                  rating: int | None = None, comment: str = "") -> tuple[LeadFeedback, bool]:
    """Record a rep's verdict on a lead; a second verdict replaces the first.

    Returns (feedback, created). Raises ValidationError for an incomplete verdict.
    Switching to "accepted" withdraws an open dispute: there is no rejection left to contest.
    """
    if verdict == Verdict.ACCEPTED:
        reason = ""  # a reason only qualifies a rejection
    values = {"verdict": verdict, "reason": reason or "", "rating": rating,
              "comment": comment or ""}
    try:
        return _give(lead, by, values)
    except IntegrityError:
        # Two first verdicts raced and the unique constraint kept one: replace it.
        return _give(lead, by, values)


def _give(lead, by, values):
    with transaction.atomic():
        feedback = (LeadFeedback.objects.select_for_update()
                    .filter(lead=lead, given_by=by).first())
        created = feedback is None
        feedback = feedback or LeadFeedback(lead=lead, given_by=by)
        for name, value in values.items():
            setattr(feedback, name, value)
        feedback.full_clean(exclude=["lead", "given_by"], validate_constraints=False)
        feedback.save()
        if feedback.verdict == Verdict.ACCEPTED:
            for dispute in feedback.disputes.filter(outcome=DisputeOutcome.OPEN):
                _close(dispute, DisputeOutcome.WITHDRAWN, by=by,
                       comment="the rep changed the verdict to accepted")
    return feedback, created


def dispute_file(*, feedback: LeadFeedback, by: Person | None, reason: str) -> QualityDispute:
    """Marketing contests a rejection. The rep, their manager and the filer are told."""
    if not (reason or "").strip():
        raise ValidationError({"reason": "say why the rejection is wrong"})
    with transaction.atomic():
        feedback = LeadFeedback.objects.select_for_update().get(pk=feedback.pk)
        if feedback.disputes.filter(outcome=DisputeOutcome.OPEN).exists():
            raise IllegalTransition("this rejection already has an open dispute")
        dispute = QualityDispute(feedback=feedback, filed_by=by, reason=reason.strip())
        dispute.save()  # save() refuses a dispute against anything but a rejection
        notify_dispute(dispute, "filed")
    return dispute


def dispute_resolve(*, dispute: QualityDispute, by: Person | None, outcome: str,
                    comment: str) -> QualityDispute:
    """Uphold or overturn an open dispute; the comment is required."""
    if outcome not in RESOLUTIONS:
        raise IllegalTransition(f"a dispute is resolved as upheld or overturned, not {outcome!r}")
    if not (comment or "").strip():
        raise IllegalTransition("a resolution needs a comment")
    return _close(dispute, outcome, by=by, comment=comment.strip())


def dispute_withdraw(*, dispute: QualityDispute, by: Person | None) -> QualityDispute:
    return _close(dispute, DisputeOutcome.WITHDRAWN, by=by, comment="")


def dispute_comment(*, dispute: QualityDispute, by: Person | None, body: str) -> DisputeComment:
    if not (body or "").strip():
        raise ValidationError({"body": "a comment cannot be empty"})
    return DisputeComment.objects.create(dispute=dispute, author=by, body=body.strip())


def _close(dispute, outcome, *, by, comment):
    with transaction.atomic():
        # Lock the row so two resolvers cannot both act; save() then checks the
        # transition against the stored outcome, so the loser gets IllegalTransition.
        dispute = QualityDispute.objects.select_for_update(of=("self",)).select_related(
            "feedback__lead", "feedback__given_by__team__manager", "filed_by").get(pk=dispute.pk)
        dispute.outcome = outcome
        dispute.resolved_by, dispute.resolved_at = by, timezone.now()
        dispute.resolution_comment = comment
        dispute.save()
        notify_dispute(dispute, "resolved" if outcome in RESOLUTIONS else "withdrawn")
    return dispute


# --- notifications: rows in the escalation outbox, delivered by its task -----------

def dispute_recipients(dispute: QualityDispute) -> list[Person]:
    """The rep who rejected, the rep's manager and the marketer who filed (each once)."""
    rep = dispute.feedback.given_by
    manager = rep.team.manager if rep is not None and rep.team_id else None
    seen, people = set(), []
    for person in (rep, manager, dispute.filed_by):
        if person is not None and person.pk not in seen and person.is_active:
            seen.add(person.pk)
            people.append(person)
    return people


def notify_dispute(dispute: QualityDispute, what: str) -> list[Escalation]:
    return notify_people(dispute_recipients(dispute), kind=EscalationKind.DISPUTE,
                         payload=_payload(dispute, what), about=f"dispute {dispute.pk}")


def _payload(dispute, what):
    lead = dispute.feedback.lead
    if what == "filed":
        headline = f"Marketing disputes the rejection of {lead}"
        body = dispute.reason
    else:
        headline = f"Dispute on {lead}: {dispute.get_outcome_display()}"
        body = dispute.resolution_comment or "The dispute was withdrawn."
    link = reverse("admin:quality_qualitydispute_change", args=[dispute.pk])
    base = (settings.SLAWATCH_PUBLIC_URL or "").rstrip("/")
    return {"event": f"dispute.{what}", "dispute_id": dispute.pk, "lead_id": lead.pk,
            "subject": headline, "text": f"{headline}\n\n{body}\n\n{base}{link}",
            "outcome": dispute.outcome, "url": f"{base}{link}"}
