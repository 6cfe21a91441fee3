import json
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from slawatch.escalation.models import Escalation
from slawatch.escalation.tasks import sweep_due
from slawatch.ingest.signatures import generic_header
from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from slawatch import telemetry
from tests.factories import PolicyFactory, event


def scrape(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def handoffs(cast):
    PolicyFactory(heat="hot", first_touch_minutes=5)
    PolicyFactory(heat="warm", first_touch_minutes=60)
    old = (timezone.now() - timedelta(minutes=30)).isoformat()
    apply_events([
        event("h1", "lead.assigned", old, external_id="L-1", heat="hot", owner="rep-7"),
        event("h2", "lead.assigned", old, external_id="L-2", heat="hot", owner="rep-8"),
        event("w1", "lead.assigned", old, external_id="L-3", heat="warm", owner="rep-7"),
        event("w2", "lead.assigned", old, external_id="L-4", heat="warm", owner="rep-7"),
        event("w2c", "lead.converted", old, external_id="L-4"),
    ])
    return Handoff.objects.all()


def test_metrics_parse_and_count_open_handoffs_by_heat(client, handoffs):
    samples = scrape(client)
    assert samples[("slawatch_open_handoffs", (("heat", "hot"),))] == 2
    assert samples[("slawatch_open_handoffs", (("heat", "warm"),))] == 1
    assert samples[("slawatch_open_handoffs", (("heat", "cold"),))] == 0


def test_metrics_report_sweep_lag_from_the_oldest_due_timer(client, handoffs):
    oldest = Handoff.objects.filter(next_due_at__lte=timezone.now()).order_by("next_due_at")[0]
    expected = (timezone.now() - oldest.next_due_at).total_seconds()
    lag = scrape(client)[("slawatch_sweep_lag_seconds", ())]
    assert lag == pytest.approx(expected, abs=5)
    assert lag > 20 * 60  # hot, 5 min SLA, assigned 30 min ago


def test_metrics_report_sweep_duration_recorded_by_any_process(client, db):
    assert ("slawatch_sweep_duration_seconds", ()) not in scrape(client)
    started = timezone.now()
    telemetry.record_run(telemetry.SWEEP, started_at=started, duration_seconds=0.25)
    samples = scrape(client)
    assert samples[("slawatch_sweep_duration_seconds", ())] == 0.25
    assert samples[("slawatch_sweep_last_run_timestamp_seconds", ())] == pytest.approx(
        started.timestamp())


def test_metrics_count_escalations_by_channel_and_outcome(client, handoffs):
    handoff = handoffs.first()
    for index, (channel, status) in enumerate([("slack", "sent"), ("slack", "sent"),
                                                ("slack", "failed"), ("email", "sent"),
                                                ("email", "pending")]):
        Escalation.objects.create(handoff=handoff, recipient=f"person:{index}", channel=channel,
                                  status=status)
    samples = scrape(client)
    assert samples[("slawatch_escalations_sent_total", (("channel", "slack"),))] == 2
    assert samples[("slawatch_escalations_failed_total", (("channel", "slack"),))] == 1
    assert samples[("slawatch_escalations_sent_total", (("channel", "email"),))] == 1
    assert samples[("slawatch_escalations_failed_total", (("channel", "email"),))] == 0
    assert samples[("slawatch_escalations_pending", (("channel", "email"),))] == 1


def test_metrics_count_inbox_events_by_source_and_outcome(client, db):
    crm_event = apps.get_model("ingest", "CrmEvent")
    for index, (source, status) in enumerate([("hubspot", "processed"), ("hubspot", "pending"),
                                              ("hubspot", "failed"), ("generic", "processed")]):
        crm_event.objects.create(source=source, event_id=f"e{index}", body="{}", status=status)
    telemetry.count(telemetry.EVENTS_DUPLICATE, "hubspot", 3)
    telemetry.count(telemetry.EVENTS_DUPLICATE, "hubspot")
    telemetry.count(telemetry.EVENTS_DUPLICATE, "hubspot", 0)  # nothing dropped: no change
    samples = scrape(client)
    hubspot = (("source", "hubspot"),)
    assert samples[("slawatch_events_received_total", hubspot)] == 3
    assert samples[("slawatch_events_processed_total", hubspot)] == 1
    assert samples[("slawatch_events_failed_total", hubspot)] == 1
    assert samples[("slawatch_events_duplicate_total", hubspot)] == 4
    assert samples[("slawatch_events_received_total", (("source", "generic"),))] == 1
    assert samples[("slawatch_inbox_backlog", ())] == 1


def test_metrics_report_poll_cursor_age_per_crm(client, db):
    cursor = apps.get_model("ingest", "PollCursor")
    cursor.objects.create(stream="hubspot:contacts",
                          position=timezone.now() - timedelta(minutes=10))
    samples = scrape(client)
    age = samples[("slawatch_poll_cursor_age_seconds",
                   (("crm", "hubspot"), ("stream", "hubspot:contacts")))]
    assert age == pytest.approx(600, abs=5)


def test_duplicate_webhook_deliveries_show_up_in_metrics(client, cast, settings,
                                                         django_capture_on_commit_callbacks):
    settings.SLAWATCH_EVENTS_SECRET = "metrics-test-secret"
    body = json.dumps([{"event_id": "dup-1", "type": "lead.created", "crm": "acme",
                        "occurred_at": timezone.now().isoformat(),
                        "lead": {"external_id": "L-9"}}]).encode()
    for _ in range(3):  # the CRM retries the same delivery twice
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/webhooks/events/", body, content_type="application/json",
                                   HTTP_X_SLAWATCH_SIGNATURE=generic_header(
                                       "metrics-test-secret", int(time.time()), body))
        assert response.status_code < 300
    samples = scrape(client)
    generic = (("source", "generic"),)
    assert samples[("slawatch_events_received_total", generic)] == 1
    assert samples[("slawatch_events_duplicate_total", generic)] == 2
    assert samples[("slawatch_events_processed_total", generic)] == 1


def test_each_sweep_records_its_duration(client, handoffs):
    sweep_due.delay()
    samples = scrape(client)
    assert 0 <= samples[("slawatch_sweep_duration_seconds", ())] < 30
    assert samples[("slawatch_sweep_last_run_timestamp_seconds", ())] == pytest.approx(
        timezone.now().timestamp(), abs=30)
