"""Processing the inbox a batch at a time: claimed together, applied together, marked
together; a row that cannot be read fails alone; a large backlog asks for a helper."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slawatch.ingest import services, tasks
from slawatch.ingest.adapters.common import InboxItem
from slawatch.ingest.models import CrmEvent
from slawatch.leads.models import Handoff, Lead, Touch
from tests.factories import PolicyFactory
from tests.ingest.test_inbox import broken_item, generic_item

pytestmark = pytest.mark.django_db


def store(items):
    services.inbox_store("generic", items)
    return list(CrmEvent.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True))


def processed_with_queries(items):
    """(statements other than INSERT, INSERT statements) processing the items took."""
    pks = store(items)
    with CaptureQueriesContext(connection) as queries:
        assert services.process_pks(pks) == {"processed": len(items), "failed": 0}
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    return len(queries.captured_queries) - len(inserts), len(inserts)


def test_a_batch_costs_the_same_queries_for_ten_leads_or_two_hundred(cast):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    few = processed_with_queries([generic_item(f"a{n}", external_id=f"A-{n}") for n in range(10)])
    many = processed_with_queries([generic_item(f"b{n}", external_id=f"B-{n}")
                                   for n in range(200)])
    assert many[0] == few[0]
    # One INSERT per table, split only where SQLite's bound-parameter limit asks
    # (processing them one by one took a dozen queries per event).
    assert many[1] <= 20
    assert Handoff.objects.filter(rep=cast.rep).count() == 210
    assert Handoff.history.count() == 210  # bulk writes keep the handoffs' history
    assert set(CrmEvent.objects.values_list("status", "attempts", "domain_events")) == {
        ("processed", 1, 1)}


def touch_item(event_id, external_id, when, by="rep-7"):
    body = {"event_id": event_id, "type": "lead.touched", "occurred_at": when, "crm": "acme",
            "lead": {"external_id": external_id}, "touch": {"kind": "call", "by": by}}
    return InboxItem(event_id=f"acme:{event_id}", body=json.dumps(body))


def test_several_deliveries_for_one_lead_in_one_batch_apply_together(cast):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    # the touch is stored before the assignment it follows: the batch applies the set
    pks = store([touch_item("t1", "L-1", "2026-11-23T09:10:00Z"), generic_item("e1")])
    assert services.process_batch(pks) == {"processed": 2, "failed": 0}
    handoff = Handoff.objects.get()
    assert (handoff.status, handoff.first_touched_at.isoformat()) == ("met", "2026-11-23T09:10:00+00:00")
    assert Touch.objects.get().counted


def test_a_row_that_cannot_be_read_fails_alone(cast):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    pks = store([generic_item("e1", external_id="L-1"), broken_item("bad"),
                 generic_item("e2", external_id="L-2")])
    assert services.process_batch(pks) == {"processed": 2, "failed": 1}
    bad = CrmEvent.objects.get(event_id="bad")
    assert (bad.status, bad.attempts) == ("pending", 1) and bad.error
    assert Lead.objects.filter(owner=cast.rep).count() == 2


def test_a_full_batch_asks_for_one_helper_drain(cast, settings, monkeypatch):
    settings.SLAWATCH_INBOX_WAKE_DEBOUNCE = True
    PolicyFactory(heat="warm", first_touch_minutes=60)
    store([generic_item(f"e{n}", external_id=f"L-{n}") for n in range(25)])
    published = []
    monkeypatch.setattr(tasks.process_inbox, "delay", lambda: published.append(1))  # the broker edge
    assert services.process_fresh_events(batch=10) == {"processed": 25, "failed": 0}
    # two full batches of ten, each asking; the wake-up key lets the first one through and
    # holds the second until a helper clears it
    assert published == [1]
    assert not CrmEvent.objects.exclude(status="processed").exists()
