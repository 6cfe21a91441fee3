"""Celery tasks: thin wrappers that take ids and call the sweep, delivery and digest code."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from slawatch.escalation import deliver, digest, sweep
from slawatch.escalation.channels.slack import reply_privately, update_message
from slawatch.tasking import enqueue_each
from slawatch.telemetry import SWEEP, timed_run

log = logging.getLogger(__name__)
DELIVER = "slawatch.escalation.tasks.deliver_escalation"


@shared_task(ignore_result=True)
def sweep_due() -> dict:
    """Beat, every SLAWATCH_SWEEP_INTERVAL_SECONDS: claim due handoffs, write escalations."""
    with timed_run(SWEEP):  # duration and start time for /metrics (ops)
        result = sweep.sweep()
    if result.claimed or result.errors:
        log.info("sweep claimed=%s lost=%s escalations=%s errors=%s", result.claimed,
                 result.lost, result.escalations, result.errors)
    return {"claimed": result.claimed, "escalations": result.escalations}


@shared_task(ignore_result=True, acks_late=True)
def deliver_escalation(escalation_id: int) -> str:
    return deliver.deliver(escalation_id)


@shared_task(ignore_result=True)
def deliver_due() -> int:
    """Beat: return stuck `sending` rows to pending, then queue every pending row whose retry
    time has come (retries are found here, never parked in the broker with a countdown)."""
    now = timezone.now()
    deliver.reap(now)
    ids = deliver.due_ids(now)
    enqueue_each(DELIVER, ids)
    return len(ids)


@shared_task(ignore_result=True)
def send_digests() -> int:
    """Beat, every minute: bundle held escalations whose digest time has come."""
    ids = digest.collect_digests()
    enqueue_each(DELIVER, ids)
    return len(ids)


@shared_task(ignore_result=True)
def update_slack_message(response_url: str, text: str, blocks: list | None = None) -> None:
    """After a button click: replace the message (best effort, with a timeout)."""
    try:
        update_message(response_url, text, blocks, settings.SLAWATCH_HTTP_TIMEOUT_SECONDS,
                       allowed_hosts=settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS)
    except Exception:
        log.warning("could not update the Slack message via response_url", exc_info=True)


@shared_task(ignore_result=True)
def reply_to_slack_click(response_url: str, text: str) -> None:
    """After a refused click: tell the clicker why, privately (best effort)."""
    try:
        reply_privately(response_url, text, settings.SLAWATCH_HTTP_TIMEOUT_SECONDS,
                        allowed_hosts=settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS)
    except Exception:
        log.warning("could not answer the Slack click via response_url", exc_info=True)
