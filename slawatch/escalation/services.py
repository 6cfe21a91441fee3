"""Writes owned by escalation: notices to people, retry failed deliveries, apply Slack
clicks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from slawatch.escalation.models import (
    Channel,
    Escalation,
    EscalationStatus,
    SlackAction,
    person_recipient,
)
from slawatch.leads.models import Handoff
from slawatch.leads.reassign import ReassignRefused, handoff_reassign
from slawatch.leads.services import handoff_acknowledge, handoff_snooze
from slawatch.people.models import Person
from slawatch.tasking import enqueue_each_on_commit

log = logging.getLogger(__name__)

DELIVER_TASK = "slawatch.escalation.tasks.deliver_escalation"


def notify_people(people, *, kind: str, payload: dict, about: str) -> list[Escalation]:
    """Tell each person the same thing through the escalation outbox: Slack when they
    have a Slack id, else email; someone with neither is skipped with a warning (`about`
    names the subject in it, e.g. "dispute 7"). The rows are written in the caller's
    transaction and queued for delivery after it commits, best effort: a broker hiccup
    must not fail the request, and the periodic delivery pass sends what waits."""
    rows = []
    for person in people:
        channel = Channel.SLACK if person.slack_user_id else Channel.EMAIL
        if channel == Channel.EMAIL and not person.email:
            log.warning("%s: %s has neither Slack nor email; not notified", about, person.pk)
            continue
        rows.append(Escalation(kind=kind, handoff=None, recipient=person_recipient(person.pk),
                               recipient_person=person, channel=channel,
                               next_attempt_at=timezone.now(), payload=payload))
    rows = Escalation.objects.bulk_create(rows)
    enqueue_each_on_commit(DELIVER_TASK, [row.pk for row in rows if row.pk is not None])
    return rows


def escalations_retry(*, ids) -> int:
    """Admin: send failed escalations again from scratch (fresh attempt budget)."""
    now = timezone.now()
    with transaction.atomic():
        retried = list(Escalation.objects.filter(
            pk__in=list(ids), status=EscalationStatus.FAILED).values_list("pk", flat=True))
        Escalation.objects.filter(pk__in=retried).update(
            status=EscalationStatus.PENDING, attempts=0, next_attempt_at=now, sending_since=None)
        enqueue_each_on_commit(DELIVER_TASK, retried)
    return len(retried)


UNKNOWN_SLACK_USER = ("Your Slack account is not linked to an active person in slawatch, "
                      "so this click changed nothing.")


@dataclass(frozen=True)
class ClickOutcome:
    text: str             # one line for Slack (the message, or a private reply when refused)
    refused: bool = False
    replay: bool = False  # the same click seen before: nothing done, nothing to say


def slack_action_apply(*, action_id: str, handoff: Handoff, slack_user_id: str,
                       person: Person | None, refusal: str | None, click_id: str,
                       snooze_minutes: int) -> ClickOutcome:
    """Do what a Slack button asks, if the person behind the Slack user may; record the click.

    `person` is the one active person behind the Slack user (None when unknown) and
    `refusal` why they may not do this (None when they may): the caller asks the access
    rules (escalation/views.py, slawatch.access.handoff_rules), which sit above this app.

    The SlackAction row is written first and is unique per (Slack user, click id), so a
    replayed request (same action_ts) finds it and changes nothing, even when two copies
    arrive at once (the second insert waits for the first and then fails).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = SlackAction.objects.create(
                    slack_user_id=slack_user_id[:40], action_id=action_id, handoff=handoff,
                    person=person, click_id=click_id[:100])
        except IntegrityError:
            log.info("Slack click %s by %s replayed; ignored", click_id, slack_user_id)
            return ClickOutcome("", replay=True)
        outcome = _apply_if_allowed(action_id, handoff, person, refusal, slack_user_id,
                                    snooze_minutes)
        record.outcome, record.refused = outcome.text[:200], outcome.refused
        record.save(update_fields=["outcome", "refused"])
    return outcome


def _apply_if_allowed(action_id, handoff, person, refusal, slack_user_id,
                      snooze_minutes) -> ClickOutcome:
    if person is None:
        return ClickOutcome(UNKNOWN_SLACK_USER, refused=True)
    if refusal is not None:
        return ClickOutcome(f"{refusal} Nothing changed.", refused=True)
    by = f"slack:{slack_user_id}"
    who = f"<@{slack_user_id}>"
    if action_id == "slawatch_ack":
        done = handoff_acknowledge(handoff=handoff, by=by)
        return ClickOutcome(f"Acknowledged by {who}" if done
                            else f"Already acknowledged ({who} clicked)")
    if action_id == "slawatch_snooze":
        until = timezone.now() + timedelta(minutes=snooze_minutes)
        handoff_snooze(handoff=handoff, until=until, by=by)
        return ClickOutcome(f"Snoozed {snooze_minutes} min by {who}")
    try:
        to = handoff_reassign(handoff=handoff, by=by)
    except ReassignRefused as exc:
        return ClickOutcome(f"Not reassigned: {' '.join(exc.messages)}")
    return ClickOutcome(f"Reassigned to {to} by {who}")
