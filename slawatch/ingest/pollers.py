"""Incremental polls of the CRMs for what webhooks miss. Each page is stored in the
inbox and the cursor advanced in one transaction, so a poll that fails midway resumes
from its last committed page; the overlap window re-reads the edge (the inbox keys
make the re-read free)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from slawatch.ingest import services
from slawatch.ingest.adapters import hubspot
from slawatch.ingest.adapters.common import InboxItem, dumps, epoch_ms, to_instant
from slawatch.ingest.clients import HubSpotClient, SalesforceClient
from slawatch.ingest.models import PollCursor, Source

log = logging.getLogger(__name__)


def log_progress(stream: str, stored: int, total: int) -> None:
    """The default progress report: counts in the log, one line a page."""
    log.info("poll %s: %d of %d records stored", stream, stored, total)

HUBSPOT_PAGE = 200
HUBSPOT_RESULT_CAP = 10_000  # HubSpot search refuses to page past this


def _start(stream, now) -> datetime:
    cursor, _ = PollCursor.objects.get_or_create(stream=stream)
    if cursor.position is None:
        return now - timedelta(hours=settings.SLAWATCH_POLL_INITIAL_LOOKBACK_HOURS)
    return cursor.position - timedelta(seconds=settings.SLAWATCH_POLL_OVERLAP_SECONDS)


def _begin(stream):
    PollCursor.objects.filter(stream=stream).update(sync_stored=0, sync_total=None)


def _finish(stream, stored, now):
    """The stream is read up to now; a first sync is complete."""
    PollCursor.objects.filter(stream=stream).update(sync_stored=stored, sync_total=stored)
    PollCursor.objects.filter(stream=stream, first_synced_at__isnull=True).update(
        first_synced_at=now)


def _commit_page(stream, source, items, position, now, progress=None):
    """Store a page and move the cursor in one transaction. `progress` is (records read
    so far, records the CRM says there are), shown in the admin and reported."""
    with transaction.atomic():
        if items:
            services.inbox_store(source, items)
        updates = {"last_run_at": now, "last_error": ""}
        if progress is not None:
            updates["sync_stored"], updates["sync_total"] = progress
        if position is not None:
            updates["position"] = position
        cursor = PollCursor.objects.select_for_update().get(stream=stream)
        # never move a cursor backwards (an overlap re-read ends earlier than before)
        if position is not None and cursor.position and position < cursor.position:
            updates.pop("position")
        PollCursor.objects.filter(pk=cursor.pk).update(**updates)


def _record_error(stream, exc):
    PollCursor.objects.filter(stream=stream).update(
        last_error=f"{exc.__class__.__name__}: {exc}"[:2000], last_run_at=timezone.now())


def _poll_stream(stream, source, now, pages, progress) -> int:
    """What every stream's poll does: read from the cursor (less the overlap), store each
    page together with the cursor, report progress, keep a failure on the cursor, and
    mark the stream read. `pages(since)` yields (inbox items, records read on that page,
    their newest modification, records the CRM says there are). Returns items stored."""
    stored = read = 0
    since = _start(stream, now)
    _begin(stream)
    try:
        for items, count, newest, total in pages(since):
            read += count
            expected = max(read, total)
            _commit_page(stream, source, items, newest, now, (read, expected))
            stored += len(items)
            progress(stream, read, expected)
    except Exception as exc:
        _record_error(stream, exc)
        raise
    _finish(stream, read, now)
    return stored


# --- HubSpot ---------------------------------------------------------------

def _hubspot_search_body(modified_property, since, properties, after):
    body = {"filterGroups": [{"filters": [{"propertyName": modified_property, "operator": "GTE",
                                           "value": str(epoch_ms(since))}]}],
            "sorts": [{"propertyName": modified_property, "direction": "ASCENDING"}],
            "properties": properties, "limit": HUBSPOT_PAGE}
    if after:
        body["after"] = after
    return body


def _hubspot_pages(client, object_type, modified_property, properties, since):
    """Yield (results, newest modification, records expected) page by page, ascending
    by modification time; re-window by time before the 10,000-result cap. Expected is
    what came before this window plus the window's own `total`."""
    window, after, before_window, read = since, None, 0, 0
    while True:
        page = client.search(object_type, _hubspot_search_body(modified_property, window,
                                                               properties, after))
        results = page.get("results", [])
        read += len(results)
        newest = max((to_instant(r.get("properties", {}).get(modified_property))
                      or to_instant(r.get("updatedAt")) for r in results), default=None)
        yield results, newest, max(read, before_window + int(page.get("total") or 0))
        after = (page.get("paging") or {}).get("next", {}).get("after")
        if not after:
            return
        if int(after) + HUBSPOT_PAGE > HUBSPOT_RESULT_CAP:
            if newest is None or newest <= window:
                raise RuntimeError(f"more than {HUBSPOT_RESULT_CAP} {object_type} modified "
                                   "in one millisecond; cannot re-window")
            # start a fresh query from the newest seen (it re-reads that instant's records)
            window, after = newest, None
            before_window = read - sum(1 for r in results if (
                to_instant(r.get("properties", {}).get(modified_property))
                or to_instant(r.get("updatedAt"))) == newest)


def poll_hubspot(client: HubSpotClient, now: datetime | None = None,
                 progress=log_progress) -> int:
    """One incremental poll of contacts, then calls, emails and meetings. `progress(stream,
    records read, records expected)` is called after each stored page."""
    now = now or timezone.now()
    stored = _poll_hubspot_contacts(client, now, progress)
    for object_type in hubspot.ENGAGEMENT_KINDS:
        stored += _poll_hubspot_engagements(client, object_type, now, progress)
    return stored


def _poll_hubspot_contacts(client, now, progress=log_progress) -> int:
    def pages(since):
        for results, newest, expected in _hubspot_pages(client, "contacts", "lastmodifieddate",
                                                        hubspot.contact_properties(), since):
            yield [_contact_item(r) for r in results], len(results), newest, expected

    return _poll_stream("hubspot:contacts", Source.HUBSPOT_POLL, now, pages, progress)


def _contact_item(record):
    modified = (record.get("properties") or {}).get("lastmodifieddate") or record.get("updatedAt")
    return InboxItem(event_id=f"contact:{record['id']}:{modified}"[:255], body=dumps(record))


def _poll_hubspot_engagements(client, object_type, now, progress=log_progress) -> int:
    """Calls, emails, meetings: the exact activity time (hs_timestamp) per contact."""
    def pages(since):
        for results, newest, expected in _hubspot_pages(
                client, object_type, "hs_lastmodifieddate", ["hs_timestamp", "hubspot_owner_id"],
                since):
            contacts = client.associated_contacts(object_type, [r["id"] for r in results]) \
                if results else {}
            items = [_engagement_item(object_type, r, contact_id)
                     for r in results for contact_id in contacts.get(str(r["id"]), [])]
            yield items, len(results), newest, expected

    return _poll_stream(f"hubspot:{object_type}", Source.HUBSPOT_POLL, now, pages, progress)


def _engagement_item(object_type, record, contact_id):
    props = record.get("properties") or {}
    body = {"kind": "engagement", "type": object_type, "id": str(record["id"]),
            "contact_id": contact_id, "timestamp": props.get("hs_timestamp"),
            "owner": props.get("hubspot_owner_id")}
    return InboxItem(event_id=f"{object_type}:{record['id']}:{contact_id}"[:255], body=dumps(body))


# --- Salesforce ------------------------------------------------------------

SALESFORCE_QUERIES = {
    "Lead": ("SELECT Id, OwnerId, Rating, Status, IsConverted, ConvertedOpportunityId, "
             "CreatedDate, LastModifiedDate, SystemModstamp, FirstName, LastName, Email, "
             "Company, Phone, LeadSource FROM Lead"),
    "Task": ("SELECT Id, WhoId, OwnerId, TaskSubtype, IsClosed, CompletedDateTime, "
             "CreatedDate, SystemModstamp FROM Task"),
    "Event": ("SELECT Id, WhoId, OwnerId, StartDateTime, ActivityDateTime, CreatedDate, "
              "SystemModstamp FROM Event"),
}


def salesforce_select(sobject) -> str:
    """The object's query; a Lead's also asks for every SALESFORCE_LEAD_FIELDS field."""
    soql = SALESFORCE_QUERIES[sobject]
    if sobject != "Lead":
        return soql
    head, tail = soql.split(" FROM ")
    have = {name.strip() for name in head.removeprefix("SELECT ").split(",")}
    extra = [name for name in settings.SALESFORCE_LEAD_FIELDS if name not in have]
    return f"{head}{''.join(', ' + name for name in extra)} FROM {tail}"


def _soql_datetime(instant):
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def poll_salesforce(client: SalesforceClient, now: datetime | None = None,
                    progress=log_progress) -> int:
    now = now or timezone.now()
    return sum(_poll_salesforce_object(client, name, now, progress) for name in SALESFORCE_QUERIES)


def _poll_salesforce_object(client, sobject, now, progress=log_progress) -> int:
    def pages(since):
        where = " WHERE SystemModstamp >= " + _soql_datetime(since)
        if sobject != "Lead":
            where += " AND WhoId != null"
        soql = salesforce_select(sobject) + where + " ORDER BY SystemModstamp ASC"
        for records, total in client.query_pages(soql, with_total=True):
            newest = max((to_instant(r.get("SystemModstamp")) for r in records), default=None)
            yield [_salesforce_item(sobject, r) for r in records], len(records), newest, total

    return _poll_stream(f"salesforce:{sobject}", Source.SALESFORCE_POLL, now, pages, progress)


def _salesforce_item(sobject, record):
    fields = {k: v for k, v in record.items() if k != "attributes"}
    return InboxItem(event_id=f"{sobject}:{record['Id']}:{record.get('SystemModstamp')}"[:255],
                     body=dumps({"type": sobject, "fields": fields}))


# --- configured CRMs ------------------------------------------------------

def configured_clients() -> dict:
    clients = {}
    if hubspot_client := services.hubspot_client():
        # the process's one client: its rate cap also spans the webhook contact reads
        clients["hubspot"] = hubspot_client
    if salesforce_client := services.salesforce_client():
        clients["salesforce"] = salesforce_client
    return clients


POLLERS = {"hubspot": poll_hubspot, "salesforce": poll_salesforce}


def poll_all(only: str | None = None, progress=log_progress) -> dict:
    """One poll of each configured CRM; a failing CRM does not stop the other.
    Returns crm -> records stored, or the error text."""
    results = {}
    for crm, client in configured_clients().items():
        if only and crm != only:
            continue
        try:
            results[crm] = POLLERS[crm](client, progress=progress)
        except Exception as exc:
            log.warning("poll of %s failed: %s", crm, exc.__class__.__name__, exc_info=True)
            results[crm] = f"error: {exc.__class__.__name__}: {exc}"
    return results
