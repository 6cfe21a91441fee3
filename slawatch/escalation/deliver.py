"""Deliver the outbox: pending → sending (conditional claim) → sent / failed.

Shape from saleor's webhook deliveries and healthchecks' transports: the task
takes only the escalation id, every attempt is a row, and one choke point
(`_finish`) records the outcome. Nothing here runs inside a transaction while a
message is on the wire: the claim commits first, the send happens in autocommit,
and the outcome is written by a second conditional update.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from html import escape as html_escape

from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from slawatch.escalation import digest, facts
from slawatch.escalation.channels import DeliveryError, PermanentError, TransientError
from slawatch.escalation.channels import email as email_channel
from slawatch.escalation.channels import slack as slack_channel
from slawatch.escalation.models import (
    BUNDLES,
    NOTICES,
    AttemptOutcome,
    Channel,
    Escalation,
    EscalationAttempt,
    EscalationStatus,
)
from slawatch.retry import backoff_seconds

log = logging.getLogger(__name__)
# Clocks differ: look this much further back than the lost attempt's start.
HISTORY_SLACK_SECONDS = 60


def _due(now: datetime):
    """Pending escalations whose (re)try time has come, digest-held ones excluded."""
    return Escalation.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status=EscalationStatus.PENDING, held_for_digest=False)


def due_ids(now: datetime, limit: int = 1000) -> list[int]:
    """Ids of the due escalations, earliest (re)try time first."""
    return list(_due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def reap(now: datetime) -> int:
    """Rows stuck in `sending` (a worker died mid-send) go back to pending, remembered as
    unconfirmed since that send began: a bot-token post is looked up in the conversation's
    history before it is sent again (exactly once); a webhook or email is sent again
    (at-least-once, nothing to look it up in)."""
    stale = now - timedelta(seconds=settings.SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS)
    return Escalation.objects.filter(status=EscalationStatus.SENDING,
                                     sending_since__lt=stale).update(
        status=EscalationStatus.PENDING, sending_since=None, next_attempt_at=now,
        unconfirmed_since=Coalesce("unconfirmed_since", "sending_since"))


def deliver_all_due() -> dict:
    """slawatch_drain's step: reap stuck rows, bundle due digests, then send every
    escalation whose time has come, here and now. Failures are counted, never raised:
    they stay pending or failed, visible in the admin."""
    now = timezone.now()
    reap(now)
    digest.collect_digests(now)
    outcomes = Counter(deliver(pk) for pk in due_ids(now))
    return {"sent": outcomes[EscalationStatus.SENT],
            "retrying": outcomes[EscalationStatus.PENDING],
            "failed": outcomes[EscalationStatus.FAILED]}


def claim(escalation_id: int, now: datetime) -> bool:
    """Take the row for sending only if it is still due (the same rule as `due_ids`)."""
    return _due(now).filter(pk=escalation_id).update(
        status=EscalationStatus.SENDING, sending_since=now, attempts=F("attempts") + 1) == 1


def deliver(escalation_id: int) -> str:
    """Send one escalation if it is due and nobody else is sending it. Returns its status."""
    started = timezone.now()
    if not claim(escalation_id, started):
        return "not-due"
    escalation = Escalation.objects.select_related(
        "handoff__lead", "handoff__rep", "milestone", "recipient_person", "recipient_team",
    ).get(pk=escalation_id)
    try:
        send(escalation)
    except DeliveryError as exc:
        return _finish(escalation, started, exc)
    except Exception as exc:  # a bug or an unexpected library error: retry, bounded
        log.exception("escalation %s: unexpected error while sending", escalation_id)
        return _finish(escalation, started, TransientError(f"{type(exc).__name__}: {exc}"))
    return _finish(escalation, started, None)


def send(escalation: Escalation) -> None:
    """Build the message for the escalation's channel and send it (raises DeliveryError)."""
    if escalation.kind in BUNDLES:
        data = facts.digest_facts(escalation)
        slack_body, mail = slack_channel.digest_payload(data), email_channel.digest_message(data)
    elif escalation.kind in NOTICES:
        # Notices (lead-quality disputes, lead definitions awaiting approval) carry their
        # own subject and text.
        text = escalation.payload["text"]
        slack_body = {"text": text}
        mail = (escalation.payload["subject"][:200], text, f"<pre>{html_escape(text)}</pre>")
    else:
        data = facts.escalation_facts(escalation)
        slack_body, mail = slack_channel.payload(data), email_channel.message(data)
    if escalation.channel == Channel.EMAIL:
        email_channel.send(_email_address(escalation), *mail, escalation_id=escalation.pk)
    else:
        _send_slack(escalation, slack_body)


def _email_address(escalation) -> str:
    person = escalation.recipient_person
    if person is None or not person.email:
        raise PermanentError(f"{person or escalation.recipient} has no email address")
    return person.email


def _bot(escalation, channel_id: str, body: dict) -> None:
    if not settings.SLACK_BOT_TOKEN:
        raise PermanentError("SLACK_BOT_TOKEN is not set, cannot post to Slack")
    args = (settings.SLACK_BOT_TOKEN, settings.SLACK_API_BASE, channel_id)
    timeout = settings.SLAWATCH_HTTP_TIMEOUT_SECONDS
    if escalation.unconfirmed_since is not None and _already_posted(escalation, args, timeout):
        return
    slack_channel.post_message(*args, body, timeout, escalation_id=escalation.pk)


def _already_posted(escalation, args, timeout) -> bool:
    """Look for the lost send in the conversation (its metadata names the escalation).
    A check Slack refuses for good (a missing history scope) falls back to sending again."""
    oldest = escalation.unconfirmed_since.timestamp() - HISTORY_SLACK_SECONDS
    try:
        found = slack_channel.was_posted(*args, escalation.pk, oldest, timeout)
    except PermanentError as exc:
        log.warning("escalation %s: cannot check Slack history (%s); sending again",
                    escalation.pk, exc)
        return False
    if found:
        log.info("escalation %s was already posted before a lost attempt; not sent again",
                 escalation.pk)
    return found


def _send_slack(escalation, body: dict) -> None:
    team, person = escalation.recipient_team, escalation.recipient_person
    if escalation.to_team_channel and team is not None:
        if team.slack_webhook_url:
            slack_channel.send_webhook(team.slack_webhook_url, body,
                                       settings.SLAWATCH_HTTP_TIMEOUT_SECONDS,
                                       allowed_hosts=settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS)
        elif team.slack_channel:
            _bot(escalation, team.slack_channel, body)
        else:
            raise PermanentError(f"team {team.name} has no slack_webhook_url or slack_channel")
        return
    if person is None or not person.slack_user_id:
        raise PermanentError(f"{person or escalation.recipient} has no slack_user_id")
    _bot(escalation, person.slack_user_id, body)


def _finish(escalation, started, error: DeliveryError | None) -> str:
    now = timezone.now()
    attempts = escalation.attempts
    if error is None:
        status, changes = EscalationStatus.SENT, {"sent_at": now, "unconfirmed_since": None}
    elif error.permanent or attempts >= settings.SLAWATCH_DELIVERY_MAX_ATTEMPTS:
        status = EscalationStatus.FAILED
        suffix = "" if error.permanent else f" (gave up after {attempts} attempts)"
        changes = {"last_error": f"{error}{suffix}", "unconfirmed_since": None}
    else:
        status = EscalationStatus.PENDING
        delay = backoff_seconds(attempts, base=settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS,
                                cap=settings.SLAWATCH_DELIVERY_MAX_BACKOFF_SECONDS,
                                floor=error.retry_after)
        changes = {"last_error": str(error), "next_attempt_at": now + timedelta(seconds=delay)}
        if error.maybe_sent and escalation.unconfirmed_since is None:
            changes["unconfirmed_since"] = started
    EscalationAttempt.objects.create(
        escalation=escalation, number=escalation.attempt_log.count() + 1,
        started_at=started, finished_at=now,
        outcome=_attempt_outcome(error),
        status_code=getattr(error, "status_code", None),
        error=str(error or "")[:2000], retry_after_seconds=getattr(error, "retry_after", None))
    # Conditional on our own claim: a reaper may have handed the row to someone else.
    Escalation.objects.filter(pk=escalation.pk, status=EscalationStatus.SENDING,
                              sending_since=escalation.sending_since).update(
        status=status, sending_since=None, **changes)
    if escalation.kind in BUNDLES and status != EscalationStatus.PENDING:
        _finish_items(escalation, status, now)
    if error is not None:
        log.warning("escalation %s attempt %s: %s -> %s", escalation.pk, attempts, error, status)
    return status


def _attempt_outcome(error) -> str:
    if error is None:
        return AttemptOutcome.SENT
    return AttemptOutcome.PERMANENT if error.permanent else AttemptOutcome.TRANSIENT


def _finish_items(bundle, status, now) -> None:
    changes = {"status": status}
    if status == EscalationStatus.SENT:
        changes["sent_at"] = now
    else:
        changes["last_error"] = f"its {bundle.kind.replace('_', '-')} #{bundle.pk} failed"
    bundle.items.filter(status=EscalationStatus.PENDING).update(**changes)
