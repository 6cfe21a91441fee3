from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from slawatch.ops.selectors import sweep_lag_seconds
from tests.factories import PolicyFactory, event


@pytest.fixture
def due_handoff(cast):
    """A hot lead assigned ten minutes ago whose first-touch timer is already due."""
    PolicyFactory(heat="hot", first_touch_minutes=1,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "email"}])
    assigned = timezone.now() - timedelta(minutes=10)
    apply_events([event("e1", "lead.assigned", assigned.isoformat(), heat="hot", owner="rep-7")])
    handoff = Handoff.objects.get()
    assert handoff.next_due_at is not None and handoff.next_due_at <= timezone.now()
    return handoff


def test_healthz_answers_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_database_and_broker_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["sweep_lag_seconds"] == 0


def test_readyz_is_503_when_the_broker_is_unreachable(client, db, settings):
    # A port nothing listens on, on loopback: a real refused connection.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] != "ok"
    assert response.json()["database"] == "ok"


def test_readyz_is_503_when_the_sweep_lags_behind_due_timers(client, due_handoff, settings):
    settings.SLAWATCH_READY_MAX_SWEEP_LAG_SECONDS = 60
    lag = (timezone.now() - due_handoff.next_due_at).total_seconds()
    assert lag > 60
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["sweep"].startswith("lagging")
    assert body["sweep_lag_seconds"] >= 60


def test_readyz_tolerates_lag_under_the_threshold(client, due_handoff, settings):
    settings.SLAWATCH_READY_MAX_SWEEP_LAG_SECONDS = 3600
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_database_is_unreachable(client, db, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    with monkeypatch.context() as patch:  # undone before the test database is flushed
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "OperationalError"


def test_health_endpoints_need_no_login(client, db):
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200, path


def test_sweep_lag_follows_the_oldest_due_timer(due_handoff):
    with time_machine.travel(due_handoff.next_due_at + timedelta(seconds=90), tick=False):
        assert sweep_lag_seconds(timezone.now()) == pytest.approx(90)
    with time_machine.travel(due_handoff.next_due_at - timedelta(seconds=1), tick=False):
        assert sweep_lag_seconds(timezone.now()) == 0
