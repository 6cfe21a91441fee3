"""Writes owned by escalation: retry failed deliveries, apply Slack clicks."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from slawatch.escalation.models import Escalation, EscalationStatus, SlackAction
from slawatch.leads.models import Handoff
from slawatch.leads.reassign import ReassignRefused, handoff_reassign
from slawatch.leads.services import handoff_acknowledge, handoff_snooze
from slawatch.people.models import Person
from slawatch.tasking import enqueue_each_on_commit

log = logging.getLogger(__name__)


def escalations_retry(*, ids) -> int:
    """Admin: send failed escalations again from scratch (fresh attempt budget)."""
    now = timezone.now()
    with transaction.atomic():
        retried = list(Escalation.objects.filter(
            pk__in=list(ids), status=EscalationStatus.FAILED).values_list("pk", flat=True))
        Escalation.objects.filter(pk__in=retried).update(
            status=EscalationStatus.PENDING, attempts=0, next_attempt_at=now, sending_since=None)
        enqueue_each_on_commit("slawatch.escalation.tasks.deliver_escalation", retried)
    return len(retried)


SLACK_ACTIONS = ("slawatch_ack", "slawatch_snooze", "slawatch_reassign")


def slack_action_apply(*, action_id: str, handoff: Handoff, slack_user_id: str,
                       snooze_minutes: int) -> str:
    """Do what a Slack button asks and record who clicked. Returns a line for the message."""
    by = f"slack:{slack_user_id}"
    who = f"<@{slack_user_id}>"
    if action_id == "slawatch_ack":
        done = handoff_acknowledge(handoff=handoff, by=by)
        outcome = f"Acknowledged by {who}" if done else f"Already acknowledged ({who} clicked)"
    elif action_id == "slawatch_snooze":
        until = timezone.now() + timedelta(minutes=snooze_minutes)
        handoff_snooze(handoff=handoff, until=until, by=by)
        outcome = f"Snoozed {snooze_minutes} min by {who}"
    else:
        try:
            to = handoff_reassign(handoff=handoff, by=by)
            outcome = f"Reassigned to {to} by {who}"
        except ReassignRefused as exc:
            outcome = f"Not reassigned: {' '.join(exc.messages)}"
    SlackAction.objects.create(
        slack_user_id=slack_user_id[:40], action_id=action_id, handoff=handoff,
        person=Person.objects.filter(slack_user_id=slack_user_id).first(), outcome=outcome[:200])
    return outcome
