"""Writes for the inbox: store deliveries, process them into domain events, retry,
re-queue. Views, tasks, admin actions and commands call these."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from slawatch import bulksql, telemetry
from slawatch.ingest.adapters import generic, hubspot, pipedrive, salesforce
from slawatch.ingest.adapters.common import InboxItem
from slawatch.ingest.clients import HubSpotClient, SalesforceClient
from slawatch.ingest.models import CrmEvent, CrmEventStatus, Source
from slawatch.leads.models import Lead
from slawatch.leads.services import apply_events
from slawatch.retry import backoff_seconds

log = logging.getLogger(__name__)


# --- receiving ------------------------------------------------------------

def inbox_store(source: str, items: list[InboxItem]) -> int:
    """Store deliveries (a duplicate is silently kept as the first copy) and queue their
    processing once committed. Returns how many items were offered."""
    retry_at = timezone.now() + timedelta(seconds=settings.SLAWATCH_INBOX_GRACE_SECONDS)
    rows = [CrmEvent(source=source, event_id=item.event_id, headers=item.headers,
                     body=item.body, next_attempt_at=retry_at) for item in items]
    with transaction.atomic():
        event_ids = [item.event_id for item in items]
        stored = _insert_new(rows)
        # Duplicates leave no row of their own; /metrics reads this counter (ops).
        telemetry.count(telemetry.EVENTS_DUPLICATE, source, len(rows) - stored)
        transaction.on_commit(lambda: _enqueue_received(source, event_ids))
    return len(items)


def _insert_new(rows: list[CrmEvent]) -> int:
    """Store the rows not already in the inbox and return how many were new: the database
    says which rows were new, so counting duplicates costs no extra query on the webhook's
    hot path."""
    return len(bulksql.insert_new(CrmEvent, rows, conflict=("source", "event_id"),
                                  returning="id"))


INBOX_WAKE_KEY = "slawatch:inbox:wake"
INBOX_WAKE_SECONDS = 10  # a lost wake-up delays processing by this much at most


def _enqueue_received(source, event_ids):
    """Start processing. With a shared cache (Redis) a burst of deliveries publishes one
    `process_inbox` task instead of one message each: publishing costs more than the rest
    of the request (docs/BENCHMARKS.md), and the inbox itself is the queue."""
    from slawatch.ingest.tasks import process_received  # tasks imports this module

    try:
        if settings.SLAWATCH_INBOX_WAKE_DEBOUNCE:
            _wake()
        else:
            process_received.delay(source, event_ids)
    except Exception:  # broker down: the re-queue task picks them up after the grace
        log.warning("could not enqueue %d %s events; they wait for the re-queue task",
                    len(event_ids), source, exc_info=True)


INBOX_BATCH = 200  # rows a drain claims and applies in one transaction


def _wake():
    """Publish one `process_inbox` unless one is already on its way."""
    from slawatch.ingest.tasks import process_inbox  # tasks imports this module

    if cache.add(INBOX_WAKE_KEY, 1, timeout=INBOX_WAKE_SECONDS):
        process_inbox.delay()


def claim_fresh(limit: int = INBOX_BATCH, now: datetime | None = None) -> list[int]:
    """Never-tried pending rows, claimed in one conditional `UPDATE … RETURNING` that
    re-checks what was read, so two workers draining at once never take the same row."""
    now = now or timezone.now()
    grace = timedelta(seconds=settings.SLAWATCH_INBOX_GRACE_SECONDS)
    # Beyond the horizon below, so a claimed row is no longer a candidate; if its worker
    # dies, the re-queue task takes it once the lease has passed.
    lease = now + 2 * grace + timedelta(seconds=1)
    fresh = {"status": CrmEventStatus.PENDING, "attempts": 0, "next_attempt_at__lte": now + grace}
    while True:
        match = ["status", "attempts", "next_attempt_at"]
        seen = {pk: rest for pk, *rest in CrmEvent.objects.filter(**fresh).order_by("pk")
                .values_list("pk", *match)[:limit]}
        if not seen:
            return []
        mine = bulksql.claim_rows(CrmEvent, seen, match, next_attempt_at=lease)
        if mine:
            return sorted(mine)
        # Another drain won every row we read; the next ones are ours to try, so two
        # workers share a burst instead of one giving up.


def process_fresh_events(batch: int = INBOX_BATCH) -> dict:
    """The `process_inbox` task: process every never-tried delivery, in arrival order,
    a batch at a time. A full batch asks for a helper (another `process_inbox`, one at a
    time through the wake-up key), so every worker process joins a large backlog."""
    # Clear the wake-up before reading: a delivery committed after this sets it again and
    # publishes another task; one committed before it is seen by the reads below.
    cache.delete(INBOX_WAKE_KEY)
    totals = {"processed": 0, "failed": 0}
    while pks := claim_fresh(batch):
        if len(pks) == batch and settings.SLAWATCH_INBOX_WAKE_DEBOUNCE:
            _enqueue_helper()
        for name, value in process_batch(pks).items():
            totals[name] += value
    return totals


def _enqueue_helper():
    try:
        _wake()
    except Exception:  # broker down: this worker goes on alone
        log.warning("could not ask for a helper process_inbox task", exc_info=True)


# --- processing -----------------------------------------------------------

def hubspot_client() -> HubSpotClient | None:
    if not settings.HUBSPOT_ACCESS_TOKEN:
        return None
    return _hubspot_client(settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN)


@lru_cache(maxsize=4)
def _hubspot_client(base_url, token):
    # One per worker process: its session keeps the connection alive and its rate cap
    # spans every contact read the process makes.
    return HubSpotClient(base_url, token)


def salesforce_client() -> SalesforceClient | None:
    """A client for the configured Salesforce org (the poller, the owner sync and the
    write-back each take a fresh one); None without an instance URL and a token."""
    if not settings.SALESFORCE_INSTANCE_URL or not (settings.SALESFORCE_ACCESS_TOKEN
                                                    or settings.SALESFORCE_REFRESH_TOKEN):
        return None
    return SalesforceClient(
        settings.SALESFORCE_INSTANCE_URL, access_token=settings.SALESFORCE_ACCESS_TOKEN,
        client_id=settings.SALESFORCE_CLIENT_ID, client_secret=settings.SALESFORCE_CLIENT_SECRET,
        refresh_token=settings.SALESFORCE_REFRESH_TOKEN, login_url=settings.SALESFORCE_LOGIN_URL,
        api_version=settings.SALESFORCE_API_VERSION)


def _lead_owner(crm):
    def lookup(external_id):
        return Lead.objects.filter(crm=crm, external_id=external_id).values_list(
            "owner_crm_id", flat=True).first()
    return lookup


def domain_events(event: CrmEvent, *, client=None) -> list:
    """The domain events one inbox row stands for. May call the CRM's API, so it runs
    outside any transaction (never hold a lock across network I/O)."""
    if event.source == Source.GENERIC:
        return generic.to_events(event.body)
    if event.source == Source.PIPEDRIVE:
        return pipedrive.to_events(event.body)
    if event.source in (Source.SALESFORCE, Source.SALESFORCE_POLL):
        return salesforce.record_events(event.body, lead_owner=_lead_owner("salesforce"))
    if event.source == Source.HUBSPOT_POLL:
        return hubspot.poll_events(event.body)
    if event.source == Source.HUBSPOT:
        client = client if client is not None else hubspot_client()

        def fetch(contact_id):
            return client.get_contact(contact_id, hubspot.contact_properties()) if client else None
        return hubspot.webhook_events(
            json.loads(event.body), fetch_contact=fetch,
            lead_known=lambda cid: _lead_owner("hubspot")(cid) is not None)
    raise ValueError(f"no adapter for source {event.source!r}")


def process_event(event_pk: int, *, client=None, now: datetime | None = None) -> str | None:
    """Process one pending inbox row. Returns the new status, or None when the row was
    not pending (already done by someone else). Never raises for a bad event."""
    event = CrmEvent.objects.filter(pk=event_pk, status=CrmEventStatus.PENDING).first()
    if event is None:
        return None
    try:
        events = domain_events(event, client=client)
        with transaction.atomic():
            apply_events(events)
            CrmEvent.objects.filter(pk=event.pk, status=CrmEventStatus.PENDING).update(
                status=CrmEventStatus.PROCESSED, processed_at=now or timezone.now(),
                next_attempt_at=None, error="", attempts=event.attempts + 1,
                domain_events=len(events))
        return CrmEventStatus.PROCESSED
    except Exception as exc:  # any failure is recorded on the row; the others go on
        log.warning("processing %s failed: %s", event, exc.__class__.__name__, exc_info=True)
        return _record_failure(event, exc, now or timezone.now())


def _record_failure(event, exc, now) -> str:
    attempts = event.attempts + 1
    final = attempts >= settings.SLAWATCH_INBOX_MAX_ATTEMPTS
    status = CrmEventStatus.FAILED if final else CrmEventStatus.PENDING
    CrmEvent.objects.filter(pk=event.pk, status=CrmEventStatus.PENDING).update(
        status=status, attempts=attempts, error=f"{exc.__class__.__name__}: {exc}"[:2000],
        next_attempt_at=None if final else now + timedelta(seconds=backoff_seconds(
            attempts, base=settings.SLAWATCH_INBOX_BACKOFF_SECONDS,
            cap=settings.SLAWATCH_INBOX_MAX_BACKOFF_SECONDS)))
    return status


def process_pks(pks, **kwargs) -> dict:
    counts = {"processed": 0, "failed": 0}
    for start in range(0, len(pks), INBOX_BATCH):
        for name, value in process_batch(pks[start:start + INBOX_BATCH], **kwargs).items():
            counts[name] += value
    return counts


def process_batch(pks, *, client=None, now: datetime | None = None) -> dict:
    """Process pending inbox rows together: each row's domain events are read outside any
    transaction (an adapter may call the CRM), then every lead they touch is brought up to
    date in one transaction (apply_events), and the rows are marked processed in one
    UPDATE per count of domain events. A row whose events cannot be read fails alone; if
    applying the batch fails, its rows are processed one by one, so one bad lead holds
    back nobody else."""
    counts = {"processed": 0, "failed": 0}
    rows = list(CrmEvent.objects.filter(pk__in=pks, status=CrmEventStatus.PENDING).order_by("pk"))
    parsed = {}
    for event in rows:
        try:
            parsed[event] = domain_events(event, client=client)
        except Exception as exc:  # recorded on the row; the others go on
            log.warning("processing %s failed: %s", event, exc.__class__.__name__, exc_info=True)
            _record_failure(event, exc, now or timezone.now())
            counts["failed"] += 1
    if not parsed:
        return counts
    try:
        with transaction.atomic():
            apply_events([e for events in parsed.values() for e in events])
            by_count = {}
            for event, events in parsed.items():
                by_count.setdefault(len(events), []).append(event.pk)
            for n, group in by_count.items():
                counts["processed"] += CrmEvent.objects.filter(
                    pk__in=group, status=CrmEventStatus.PENDING).update(
                    status=CrmEventStatus.PROCESSED, processed_at=now or timezone.now(),
                    next_attempt_at=None, error="", attempts=F("attempts") + 1, domain_events=n)
    except Exception:
        log.warning("applying a batch of %d events failed; applying them one by one",
                    len(parsed), exc_info=True)
        for event in parsed:
            status = process_event(event.pk, client=client, now=now)
            if status == CrmEventStatus.PROCESSED:
                counts["processed"] += 1
            elif status is not None:
                counts["failed"] += 1
    return counts


# --- the periodic safety net ----------------------------------------------

def claim_due(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Pending rows whose retry time has come, leased for one grace period so the next
    beat does not queue them again while a worker holds them."""
    now = now or timezone.now()
    pks = list(CrmEvent.objects.filter(status=CrmEventStatus.PENDING, next_attempt_at__lte=now)
               .order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    lease = now + timedelta(seconds=settings.SLAWATCH_INBOX_GRACE_SECONDS)
    CrmEvent.objects.filter(pk__in=pks, status=CrmEventStatus.PENDING).update(
        next_attempt_at=lease)
    return pks


def process_due_events(now: datetime | None = None) -> dict:
    """slawatch_drain's step: process, here and now, every pending event that is due
    (never tried yet, or its retry time has come). Failures do not stop the run."""
    now = now or timezone.now()
    due = CrmEvent.objects.filter(Q(attempts=0) | Q(next_attempt_at__lte=now),
                                  status=CrmEventStatus.PENDING)
    pks = list(due.order_by("received_at", "pk").values_list("pk", flat=True))
    return process_pks(pks)


def reprocess(queryset) -> int:
    """Admin action: put events back in the queue (failed or processed alike). Safe,
    since applying domain events is idempotent."""
    now = timezone.now()
    pks = list(queryset.values_list("pk", flat=True))
    CrmEvent.objects.filter(pk__in=pks).update(
        status=CrmEventStatus.PENDING, attempts=0, error="", processed_at=None,
        next_attempt_at=now + timedelta(seconds=settings.SLAWATCH_INBOX_GRACE_SECONDS))

    def enqueue():
        from slawatch.ingest.tasks import process_crm_events  # tasks imports this module

        for start in range(0, len(pks), INBOX_BATCH):
            process_crm_events.delay(pks[start:start + INBOX_BATCH])
    transaction.on_commit(enqueue)
    return len(pks)
