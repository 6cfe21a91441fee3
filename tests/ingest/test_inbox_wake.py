"""The webhook hot path: duplicates are counted from the INSERT itself, and with a shared
cache a burst of deliveries wakes one `process_inbox` task that drains them all."""

import os

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from slawatch.ingest import services
from slawatch.ingest.models import CrmEvent
from slawatch.leads.models import Lead
from slawatch.ops.models import Counter
from tests.ingest.test_inbox import generic_item

pytestmark = pytest.mark.django_db


def test_duplicates_are_counted_from_the_insert_without_a_lookup(cast):
    services.inbox_store("generic", [generic_item("e1"), generic_item("e2")])
    with CaptureQueriesContext(connection) as queries:
        services.inbox_store("generic", [generic_item("e2"), generic_item("e3"),
                                         generic_item("e3")])
    assert sorted(CrmEvent.objects.values_list("event_id", flat=True)) == [
        "acme:e1", "acme:e2", "acme:e3"]
    # e2 again, and e3 twice in one batch: two duplicates
    assert Counter.objects.get(name="events_duplicate", label="generic").value == 2
    inbox_reads = [q["sql"] for q in queries.captured_queries
                   if q["sql"].lstrip().upper().startswith("SELECT") and "crmevent" in q["sql"]]
    assert inbox_reads == []


def test_a_large_batch_is_stored_in_chunks(db):
    items = [generic_item(f"e{n}", external_id=f"L-{n}") for n in range(1203)]
    services.inbox_store("generic", items)
    assert CrmEvent.objects.count() == 1203
    assert not Counter.objects.filter(name="events_duplicate").exists()


@pytest.fixture
def redis_cache(settings):
    url = os.environ.get("REDIS_URL")
    assert url, "REDIS_URL must point at a Redis server (make test starts one)"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": url, "KEY_PREFIX": f"wake-test-{os.getpid()}"}}
    settings.SLAWATCH_INBOX_WAKE_DEBOUNCE = True
    cache = caches["default"]
    cache.delete(services.INBOX_WAKE_KEY)
    yield cache
    cache.delete(services.INBOX_WAKE_KEY)


def test_deliveries_during_a_pending_wake_up_are_drained_by_it(
        cast, redis_cache, django_capture_on_commit_callbacks):
    # A wake-up is already pending (its task not yet run): new deliveries publish nothing.
    redis_cache.set(services.INBOX_WAKE_KEY, 1, timeout=60)
    with django_capture_on_commit_callbacks(execute=True):
        services.inbox_store("generic", [generic_item("e1", external_id="L-1")])
        services.inbox_store("generic", [generic_item("e2", external_id="L-2")])
    assert set(CrmEvent.objects.values_list("status", flat=True)) == {"pending"}
    # The pending task runs: it clears the flag first, then drains both.
    assert services.process_fresh_events() == {"processed": 2, "failed": 0}
    assert redis_cache.get(services.INBOX_WAKE_KEY) is None
    assert Lead.objects.filter(owner=cast.rep).count() == 2
    # With no wake-up pending, the next delivery publishes one and is processed at once
    # (tasks run eagerly in tests), and the task clears the flag behind it.
    with django_capture_on_commit_callbacks(execute=True):
        services.inbox_store("generic", [generic_item("e3", external_id="L-3")])
    assert CrmEvent.objects.get(event_id="acme:e3").status == "processed"
    assert redis_cache.get(services.INBOX_WAKE_KEY) is None


def test_two_drains_never_claim_the_same_delivery(db):
    services.inbox_store("generic", [generic_item(f"e{n}") for n in range(5)])
    first = services.claim_fresh()
    assert len(first) == 5
    assert services.claim_fresh() == []  # leased beyond the fresh horizon


def test_a_claim_whose_row_changed_after_the_read_takes_nothing(db, monkeypatch):
    services.inbox_store("generic", [generic_item("e1")])
    pk = CrmEvent.objects.get().pk
    real_claim = services.bulksql.claim_rows
    rival = []

    def claim_after_a_rival(*args, **kwargs):
        # Between our read and our conditional UPDATE, another drain wins the row.
        if not rival:
            rival.append(None)
            rival[0] = services.claim_fresh()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(services.bulksql, "claim_rows", claim_after_a_rival)
    assert services.claim_fresh() == []  # the lease it read is gone: it takes nothing
    assert rival == [[pk]]


def test_a_drain_that_loses_a_batch_takes_the_next_one(db, monkeypatch):
    services.inbox_store("generic", [generic_item(f"e{n}") for n in range(4)])
    first_two = list(CrmEvent.objects.order_by("pk").values_list("pk", flat=True)[:2])
    real_claim = services.bulksql.claim_rows
    raced = []

    def claim_after_a_rival(*args, **kwargs):
        # The first time we try to claim, a rival drain claims the first batch of two.
        if not raced:
            raced.append(None)
            raced[0] = services.claim_fresh(limit=2)
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(services.bulksql, "claim_rows", claim_after_a_rival)
    mine = services.claim_fresh(limit=2)
    assert raced == [first_two]
    assert len(mine) == 2 and not set(mine) & set(first_two)
