"""The inbox: stored before processing, processed on commit, retried with back-off,
failed events visible and never blocking, the re-queue safety net, drain and admin."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from config.celery import app
from slawatch.ingest import services, tasks
from slawatch.ingest.adapters.common import InboxItem
from slawatch.ingest.models import CrmEvent
from slawatch.leads.models import Handoff, Lead
from tests.factories import PolicyFactory
from tests.ingest.fakes import FakeHubSpot

pytestmark = pytest.mark.django_db


def generic_item(event_id, owner="rep-7", external_id="L-1"):
    body = {"event_id": event_id, "type": "lead.assigned", "occurred_at": "2026-11-23T09:00:00Z",
            "crm": "acme", "lead": {"external_id": external_id, "owner": owner}}
    return InboxItem(event_id=f"acme:{event_id}", body=json.dumps(body))


def broken_item(event_id):
    # passes the endpoint's checks in another shape, but cannot become a domain event
    return InboxItem(event_id=event_id, body='{"event_id": "x", "type": "lead.assigned"}')


def test_stored_rows_are_committed_before_processing_and_processed_on_commit(
        cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.inbox_store("generic", [generic_item("e1")])
    event = CrmEvent.objects.get()
    assert event.status == "pending" and not Lead.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()  # the commit happens: the task runs (eagerly in tests)
    event.refresh_from_db()
    assert (event.status, event.attempts, event.domain_events) == ("processed", 1, 1)
    assert Lead.objects.get().owner == cast.rep


def test_broker_down_keeps_the_event_for_the_requeue_task(cast, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("redis is down")
    monkeypatch.setattr(tasks.process_received, "delay", refuse)  # the broker edge
    with django_capture_on_commit_callbacks(execute=True):
        services.inbox_store("generic", [generic_item("e1")])
    assert CrmEvent.objects.get().status == "pending"
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        tasks.requeue_pending()
    assert CrmEvent.objects.get().status == "processed"
    assert Lead.objects.get().owner == cast.rep


def test_requeue_leaves_events_inside_their_grace_alone(db):
    services.inbox_store("generic", [generic_item("e1")])
    assert services.claim_due() == []
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert len(services.claim_due()) == 1
        assert services.claim_due() == []  # leased: the next beat does not queue it twice


def test_failure_retries_with_backoff_then_stays_failed_and_visible(db, settings):
    settings.SLAWATCH_INBOX_MAX_ATTEMPTS = 3
    services.inbox_store("generic", [broken_item("bad")])
    pk = CrmEvent.objects.get().pk
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.process_event(pk) == "pending"
    event = CrmEvent.objects.get()
    assert event.attempts == 1 and "EventError" in event.error
    assert event.next_attempt_at == start + timedelta(seconds=30)
    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        assert services.process_event(pk) == "pending"
        assert CrmEvent.objects.get().next_attempt_at == timezone.now() + timedelta(seconds=60)
        assert services.process_event(pk) == "failed"
    event = CrmEvent.objects.get()
    assert (event.status, event.attempts, event.next_attempt_at) == ("failed", 3, None)
    assert services.process_event(pk) is None  # settled: nothing more happens


def test_a_failing_event_never_blocks_the_others(cast):
    services.inbox_store("generic", [broken_item("bad")])
    services.inbox_store("generic", [generic_item("good")])
    counts = services.process_due_events()
    assert counts == {"processed": 1, "failed": 1}
    assert Lead.objects.get().owner == cast.rep


def test_drain_command_prints_one_summary_line(cast):
    services.inbox_store("generic", [generic_item("e1"), generic_item("e2", external_id="L-2"),
                                     generic_item("e3", external_id="L-3")])
    services.inbox_store("generic", [broken_item("bad")])
    out = StringIO()
    call_command("slawatch_drain", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("drain: events processed=3 failed=1")
    assert Lead.objects.count() == 3
    out = StringIO()
    call_command("slawatch_drain", stdout=out)  # the broken one waits for its back-off
    assert out.getvalue().startswith("drain: events processed=0 failed=0")


def test_hubspot_api_outage_is_retried_then_succeeds(cast, settings):
    PolicyFactory(heat="warm")
    creation = {"eventId": 1, "occurredAt": 1718000000000, "objectId": 51,
                "subscriptionType": "contact.creation"}
    services.inbox_store("hubspot", [InboxItem(event_id="1:1718000000000:51",
                                               body=json.dumps(creation))])
    with FakeHubSpot() as api:
        settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = api.url, api.token
        api.scripted = [(503, {"Retry-After": "0"}, {"status": "error"})] * 5
        assert services.process_due_events() == {"processed": 0, "failed": 1}
        assert "CrmApiError" in CrmEvent.objects.get().error
        api.contacts["51"] = {"createdate": "2024-06-10T06:13:20Z", "hubspot_owner_id": "81234567",
                              "hubspot_owner_assigneddate": "2024-06-10T06:14:00Z"}
        with time_machine.travel(timezone.now() + timedelta(minutes=1)):
            assert services.process_due_events() == {"processed": 1, "failed": 0}
    assert Handoff.objects.get().rep == cast.rep


def test_admin_lists_filters_and_reprocesses(admin_client, cast, settings):
    services.inbox_store("generic", [broken_item("generic-broken")])
    services.inbox_store("pipedrive", [InboxItem(event_id="pipedrive-empty", body="{}")])
    settings.SLAWATCH_INBOX_MAX_ATTEMPTS = 1
    services.process_due_events()
    url = "/admin/ingest/crmevent/"
    page = admin_client.get(url + "?failed=yes").content.decode()
    # Ids with a hyphen: a CSRF token (letters and digits) on the page can never contain them.
    assert "generic-broken" in page and "pipedrive-empty" in page  # both failed ({} has no meta)
    assert "pipedrive-empty" not in admin_client.get(url + "?source=generic").content.decode()
    bad = CrmEvent.objects.get(event_id="generic-broken")
    # the operator fixes the cause (here: the body) and reprocesses
    CrmEvent.objects.filter(pk=bad.pk).update(body=generic_item("fixed").body)
    response = admin_client.post(url, {"action": "reprocess", "_selected_action": [bad.pk]})
    assert response.status_code == 302
    bad.refresh_from_db()
    assert bad.status == "pending" and bad.error == "" and bad.attempts == 0
    services.process_due_events()
    bad.refresh_from_db()
    assert bad.status == "processed"
    assert Lead.objects.get().owner == cast.rep
    assert admin_client.get(url + "?status=processed").status_code == 200


def test_beat_schedules_the_requeue_and_the_poll(settings):
    app.loader.import_default_modules()
    tasks_by_name = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("slawatch.ingest.tasks.requeue_pending", "slawatch.ingest.tasks.poll_crms"):
        assert name in tasks_by_name
        assert name in app.tasks


def test_creation_of_a_contact_hubspot_no_longer_has_is_still_recorded(db, settings):
    creation = {"eventId": 1, "occurredAt": 1718000000000, "objectId": 404,
                "subscriptionType": "contact.creation"}
    services.inbox_store("hubspot", [InboxItem(event_id="1:1718000000000:404",
                                               body=json.dumps(creation))])
    with FakeHubSpot() as api:
        settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = api.url, api.token
        assert services.process_due_events() == {"processed": 1, "failed": 0}
    assert api.requests[0]["path"] == "/crm/v3/objects/contacts/404"
    lead = Lead.objects.get(crm="hubspot", external_id="404")
    assert lead.created_in_crm_at.isoformat() == "2024-06-10T06:13:20+00:00"
