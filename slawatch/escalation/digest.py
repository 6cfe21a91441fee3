"""Digest: escalations to a person who chose a daily summary wait for it, then go as one."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from slawatch.escalation.models import Escalation, EscalationKind, EscalationStatus


def wants_digest(person) -> bool:
    return bool(person is not None and person.digest_enabled and person.digest_time)


def next_digest_at(person, after: datetime) -> datetime:
    """The first digest time of day in the person's own zone at or after `after`."""
    zone = ZoneInfo(person.time_zone or "UTC")
    local = after.astimezone(zone)
    for days in range(3):  # DST can skip a local time; the next day always has it
        day = local.date() + timedelta(days=days)
        candidate = datetime.combine(day, person.digest_time, tzinfo=zone)
        # fold/gap: round-trip through UTC so a skipped local time lands after the gap
        candidate = candidate.astimezone(ZoneInfo("UTC")).astimezone(zone)
        if candidate >= local:
            return candidate.astimezone(ZoneInfo("UTC"))
    raise AssertionError("unreachable: a digest time exists within three days")


def collect_digests(now: datetime | None = None) -> list[int]:
    """Bundle held escalations whose digest time has come: one digest row per person and
    channel, which the usual delivery sends. Returns the digest ids to deliver."""
    now = now or timezone.now()
    held = (Escalation.objects.filter(status=EscalationStatus.PENDING, held_for_digest=True,
                                      digest__isnull=True, next_attempt_at__lte=now)
            .values_list("pk", "recipient_person_id", "recipient", "channel"))
    groups = defaultdict(list)
    for pk, person_id, recipient, channel in held:
        groups[(person_id, recipient, channel)].append(pk)
    return [d for d in (_bundle(key, ids, now) for key, ids in groups.items()) if d]


def _bundle(key, ids, now):
    person_id, recipient, channel = key
    with transaction.atomic():
        digest = Escalation.objects.create(
            kind=EscalationKind.DIGEST, recipient=recipient, recipient_person_id=person_id,
            channel=channel, next_attempt_at=now, payload={"items": len(ids)})
        # Conditional: a concurrent collector that got there first leaves us nothing.
        taken = Escalation.objects.filter(pk__in=ids, digest__isnull=True).update(digest=digest)
        if not taken:
            digest.delete()
            return None
        digest.payload = {"items": taken}
        digest.save(update_fields=["payload"])
    return digest.pk
