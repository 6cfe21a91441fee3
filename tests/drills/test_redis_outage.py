"""Drill: Redis (the broker) goes away while webhooks keep arriving, and comes back
empty (no persistence, as in the test and bench stacks). Every webhook is answered
2xx and stored; the re-queue task processes all of them after the recovery, including
those whose queued message died with Redis: received = stored = processed."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from kombu import pools as kombu_pools

from bench import signing
from config.celery import app
from slawatch.ingest import tasks
from slawatch.ingest.models import CrmEvent, CrmEventStatus
from slawatch.leads.models import Handoff
from tests.drills.conftest import EVENTS_SECRET

QUEUE = "slawatch"  # CELERY_TASK_DEFAULT_QUEUE: a Redis list of that name


def _reset_pools():
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # kombu keeps producer pools in a process-wide registry keyed by the connection; left
    # there, the closed one is handed to the next test that publishes (even eagerly).
    kombu_pools.reset()


@pytest.fixture
def broker(redis_server):
    """Publish for real to the private Redis (tests otherwise run Celery eagerly)."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = redis_server.url, False
    _reset_pools()
    yield redis_server
    app.conf.broker_url, app.conf.task_always_eager = saved
    _reset_pools()


def post_events(client, on_commit, run, numbers):
    statuses = []
    for n in numbers:
        body = signing.dumps(signing.generic_event(run, n, owner="rep-7", crm="acme")).encode()
        headers = {"HTTP_X_SLAWATCH_SIGNATURE":
                   signing.generic_headers(EVENTS_SECRET, body)["X-Slawatch-Signature"]}
        with on_commit(execute=True):  # the enqueue happens when the request commits
            response = client.post("/webhooks/events/", body, content_type="application/json",
                                   **headers)
        statuses.append(response.status_code)
    return statuses


def test_redis_down_while_webhooks_arrive_loses_nothing(
        client, cast, broker, django_capture_on_commit_callbacks):
    on_commit = django_capture_on_commit_callbacks
    before = post_events(client, on_commit, "up", range(3))
    assert broker.llen(QUEUE) == 3                    # queued in Redis, no worker yet

    broker.stop()                                     # outage: queued messages die too
    during = post_events(client, on_commit, "down", range(5))
    broker.start()                                    # back, empty
    assert broker.llen(QUEUE) == 0
    after = post_events(client, on_commit, "back", range(2))
    assert broker.llen(QUEUE) == 2                    # enqueueing works again by itself

    assert before + during + after == [200] * 10      # received 10
    assert CrmEvent.objects.count() == 10             # stored 10
    assert not CrmEvent.objects.filter(status=CrmEventStatus.PROCESSED).exists()

    # The beat's safety net, once the grace has passed, run eagerly in place of a worker.
    app.conf.task_always_eager = True
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        tasks.requeue_pending()
    assert CrmEvent.objects.filter(status=CrmEventStatus.PROCESSED).count() == 10
    assert Handoff.objects.filter(rep=cast.rep).count() == 10    # processed 10
