"""The CRM write outbox: queue (coalesced) → claim (conditional UPDATE) → send → finish.

Shaped like the escalation outbox (slawatch.escalation.deliver): the row is written in
the transaction that decided the change; the send happens outside any transaction; the
outcome is written by a second update conditional on our own claim, so two workers never
send one row. A newer decision for the same lead replaces the values of a row still
pending (only the latest owner is ever written); a lead's next write waits while its
previous one is on the wire, so writes land in the order they were decided.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from slawatch.crmsync.models import CrmWrite, WriteKind, WriteStatus
from slawatch.crmsync.writers import Result, sla_fields, writer_for
from slawatch.leads.models import Lead
from slawatch.retry import backoff_seconds
from slawatch.tasking import enqueue_on_commit

log = logging.getLogger(__name__)
DELIVER_TASK = "slawatch.crmsync.tasks.push_due"


def crm_write_queue(*, lead: Lead, kind: str, values: dict, handoff=None) -> CrmWrite:
    """Record that the CRM record must show `values` (call inside the deciding transaction)."""
    with transaction.atomic():
        pending = CrmWrite.objects.filter(lead=lead, kind=kind, status=WriteStatus.PENDING)
        if pending.update(values=values, handoff=handoff):
            return pending.get()
        try:
            with transaction.atomic():
                row = CrmWrite.objects.create(
                    lead=lead, handoff=handoff, crm=lead.crm, external_id=lead.external_id,
                    kind=kind, values=values, next_attempt_at=timezone.now())
        except IntegrityError:  # a rival queued one meanwhile: coalesce into it
            pending.update(values=values, handoff=handoff)
            return pending.get()
    enqueue_on_commit(DELIVER_TASK)
    return row


def _due(now: datetime):
    busy = CrmWrite.objects.filter(lead=OuterRef("lead"), kind=OuterRef("kind"),
                                   status=WriteStatus.SENDING)
    return CrmWrite.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        ~Exists(busy), status=WriteStatus.PENDING)


def due_ids(now: datetime, limit: int = 500) -> list[int]:
    return list(_due(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])


def claim(write_id: int, now: datetime) -> bool:
    return _due(now).filter(pk=write_id).update(
        status=WriteStatus.SENDING, sending_since=now, attempts=F("attempts") + 1) == 1


def reap(now: datetime) -> int:
    """Rows left `sending` by a worker that died go back to pending."""
    stale = now - timedelta(seconds=settings.SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS)
    return CrmWrite.objects.filter(status=WriteStatus.SENDING, sending_since__lt=stale).update(
        status=WriteStatus.PENDING, sending_since=None, next_attempt_at=now)


def send(write: CrmWrite) -> Result:
    writer = writer_for(write.crm)
    if writer is None:
        return Result(ok=False, permanent=True,
                      error=f"no API credentials for {write.crm}: nothing can be written there")
    if write.kind == WriteKind.OWNER:
        return writer.set_owner(write.external_id, str(write.values["owner_id"]))
    return Result(ok=False, permanent=True, error=f"unknown write kind {write.kind!r}")


def deliver(write_id: int) -> str:
    """Send one write if it is due and nobody else is sending it. Returns its status."""
    now = timezone.now()
    if not claim(write_id, now):
        return "not-due"
    write = CrmWrite.objects.get(pk=write_id)
    try:
        result = send(write)
    except Exception as exc:  # a bug or an unexpected library error: retry, bounded
        log.exception("CRM write %s: unexpected error", write_id)
        result = Result(ok=False, error=f"{type(exc).__name__}: {exc}")
    return _finish(write, result)


def _finish(write: CrmWrite, result: Result) -> str:
    now = timezone.now()
    if result.ok:
        status, changes = WriteStatus.SENT, {"sent_at": now, "last_error": ""}
    elif result.permanent or write.attempts >= settings.SLAWATCH_DELIVERY_MAX_ATTEMPTS:
        status = WriteStatus.FAILED
        suffix = "" if result.permanent else f" (gave up after {write.attempts} attempts)"
        changes = {"last_error": f"{result.error}{suffix}"[:2000]}
    else:
        status = WriteStatus.PENDING
        delay = backoff_seconds(write.attempts, base=settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS,
                                cap=settings.SLAWATCH_DELIVERY_MAX_BACKOFF_SECONDS,
                                floor=result.retry_after)
        changes = {"last_error": result.error[:2000],
                   "next_attempt_at": now + timedelta(seconds=delay)}
    updated = CrmWrite.objects.filter(pk=write.pk, status=WriteStatus.SENDING,
                                      sending_since=write.sending_since).update(
        status=status, sending_since=None, last_status_code=result.status_code, **changes)
    if not updated and status == WriteStatus.PENDING:
        return status  # reaped meanwhile; the reaper already made it pending
    if not result.ok:
        log.warning("CRM write %s attempt %s: %s -> %s", write.pk, write.attempts,
                    result.error, status)
    return status


def deliver_sla_batch(crm: str, write_ids: list[int]) -> Counter:
    """SLA-field writes of one CRM, sent as few batch calls as the CRM's limit allows
    (HubSpot batch update, Salesforce sObject Collections); each row finishes on its own
    record's result."""
    counts = Counter()
    writer = writer_for(crm)
    size = getattr(writer, "batch_size", 1)
    for start in range(0, len(write_ids), size):
        now = timezone.now()
        mine = [pk for pk in write_ids[start:start + size] if claim(pk, now)]
        rows = list(CrmWrite.objects.filter(pk__in=mine).order_by("pk"))
        if not rows:
            continue
        if writer is None or not hasattr(writer, "set_sla") or sla_fields(crm) is None:
            missing = Result(ok=False, permanent=True,
                             error=f"{crm}: no API credentials or SLA field names configured")
            results = {row.external_id: missing for row in rows}
        else:
            try:
                results = writer.set_sla([(row.external_id, row.values) for row in rows])
            except Exception as exc:  # a bug or an unexpected answer: retry, bounded
                log.exception("CRM SLA batch for %s: unexpected error", crm)
                failed = Result(ok=False, error=f"{type(exc).__name__}: {exc}")
                results = {row.external_id: failed for row in rows}
        for row in rows:
            counts[_finish(row, results.get(row.external_id) or Result(
                ok=False, error="the CRM answered no result for this record"))] += 1
    return counts


def push_due(now: datetime | None = None) -> dict:
    """Beat, and after each queued write: reap, then send every write whose time has
    come (owners one call each, SLA fields batched per CRM)."""
    now = now or timezone.now()
    reap(now)
    counts = Counter()
    rows = list(CrmWrite.objects.filter(pk__in=due_ids(now)).order_by("next_attempt_at", "pk")
                .values_list("pk", "kind", "crm"))
    for pk, kind, _ in rows:
        if kind == WriteKind.OWNER:
            counts[deliver(pk)] += 1
    batches = defaultdict(list)
    for pk, kind, crm in rows:
        if kind == WriteKind.SLA:
            batches[crm].append(pk)
    for crm, ids in batches.items():
        counts.update(deliver_sla_batch(crm, ids))
    return {"sent": counts[WriteStatus.SENT], "retrying": counts[WriteStatus.PENDING],
            "failed": counts[WriteStatus.FAILED]}


def crm_writes_retry(*, ids) -> int:
    """Admin: try failed writes again with a fresh attempt budget (the latest values win:
    a failed row is not retried when a newer write for the lead is already queued)."""
    now = timezone.now()
    retried = 0
    with transaction.atomic():
        for write in CrmWrite.objects.filter(pk__in=list(ids), status=WriteStatus.FAILED):
            try:
                with transaction.atomic():
                    retried += CrmWrite.objects.filter(
                        pk=write.pk, status=WriteStatus.FAILED).update(
                        status=WriteStatus.PENDING, attempts=0, next_attempt_at=now,
                        sending_since=None)
            except IntegrityError:
                continue
        if retried:
            enqueue_on_commit(DELIVER_TASK)
    return retried
