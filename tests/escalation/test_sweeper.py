"""The sweeper process's loop: it wakes at the earliest due time (bounded), sweeps, and
sends from its own threads; two of them never send a message twice."""

import threading
from concurrent.futures import Executor, Future
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from slawatch.escalation.models import Escalation
from slawatch.escalation.sweeper import Sweeper
from slawatch.leads.models import Handoff
from slawatch.ops.models import Heartbeat
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory, at

MANAGER_SLACK = [{"at_percent": 100, "notify": "manager", "channel": "slack"}]


class Inline(Executor):
    """Runs each send at once, in the test's own thread and transaction."""

    def submit(self, fn, *args, **kwargs):
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class Parked(Executor):
    """Accepts sends and never runs them: every seat stays taken."""

    def __init__(self):
        self.parked = []

    def submit(self, fn, *args, **kwargs):
        self.parked.append(args)
        return Future()


def test_sleeps_until_the_earliest_due_time_but_never_longer_than_the_bound(cast, clock):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_SLACK)
    sweeper = Sweeper(senders=1, max_sleep=1.0, executor=Inline())
    assert sweeper.tick() == 1.0  # nothing at all is due
    handoff = assign()
    assert handoff.next_due_at == timezone.now() + timedelta(minutes=15)
    assert sweeper.tick() == 1.0  # due in 15 minutes: wake up in a second all the same
    clock.move_to(handoff.next_due_at - timedelta(seconds=0.4))
    assert sweeper.tick() == pytest.approx(0.4)


def test_a_due_retry_also_sets_the_wake_up(cast, clock, slack):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_SLACK)
    slack.respond("/api/chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
    handoff = assign()
    clock.move_to(handoff.next_due_at)
    sweeper = Sweeper(senders=1, max_sleep=60.0, executor=Inline())
    sweeper.tick()
    row = Escalation.objects.get()
    assert row.status == "pending"
    assert sweeper.tick() == pytest.approx((row.next_attempt_at - timezone.now()).total_seconds())


def test_at_the_due_time_it_sweeps_and_sends_from_its_own_process(
        cast, clock, slack, django_capture_on_commit_callbacks):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_SLACK)
    handoff = assign()
    clock.move_to(handoff.next_due_at)
    sweeper = Sweeper(senders=2, max_sleep=1.0, executor=Inline())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        sweeper.tick()
    assert queued == []  # nothing handed to the broker
    assert Escalation.objects.get().status == "sent"
    [post] = slack.to("/api/chat.postMessage")
    assert post.json()["channel"] == "UMANAGER"
    assert sweeper.sent == 1 and sweeper.swept == 1
    assert Handoff.objects.get().status == "breached"


def test_when_every_seat_is_taken_the_rest_waits(cast, clock, slack):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_SLACK)
    for n in range(3):
        assign(f"L-{n}")
    clock.move_to(at("2026-11-23 09:15"))
    parked = Parked()
    sweeper = Sweeper(senders=2, max_sleep=1.0, executor=parked)
    assert sweeper.tick() == 1.0
    assert len(parked.parked) == 2  # two seats, two sends handed out
    assert Escalation.objects.filter(status="pending").count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_send_each_escalation_exactly_once(cast, slack, settings):
    """PostgreSQL: two sweepers in two threads (own connections, own sender pools) tick
    together until nothing is left to send. SQLite's shared in-memory test database
    cannot take writers in parallel, so there they take turns and send inline."""
    settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES = 10**6
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=MANAGER_SLACK + [{"at_percent": 100, "notify": "rep", "channel": "slack"}])
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False):
        for n in range(20):
            assign(f"L-{n}")
    sqlite = connection.vendor == "sqlite"
    sweepers = [Sweeper(senders=3, max_sleep=1.0, executor=Inline() if sqlite else None)
                for _ in range(2)]
    now = at("2026-11-23 09:15:01")
    start = threading.Barrier(2, timeout=30)
    errors = []

    def run(sweeper):
        try:
            start.wait()
            for _ in range(200):
                sweeper.tick(now)
                if not Escalation.objects.filter(status__in=["pending", "sending"]).exists():
                    break
                sweeper.wake.wait(0.05)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            sweeper.executor.shutdown(wait=True)
            connection.close()

    if sqlite:
        start = threading.Barrier(1)
        for sweeper in sweepers:
            run(sweeper)
    else:
        threads = [threading.Thread(target=run, args=(s,)) for s in sweepers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert Escalation.objects.count() == 40
    assert set(Escalation.objects.values_list("status", flat=True)) == {"sent"}
    posts = slack.to("/api/chat.postMessage")
    ids = [p.json()["metadata"]["event_payload"]["escalation_id"] for p in posts]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert sum(s.swept for s in sweepers) == 20


def test_heartbeat_reaps_records_the_sweep_and_touches_the_alive_file(cast, clock, settings,
                                                                      tmp_path):
    settings.VAR_DIR = tmp_path
    Sweeper(senders=1, max_sleep=1.0, executor=Inline()).tick()
    assert (tmp_path / "sweeper.alive").exists()
    assert Heartbeat.objects.get(name="sweep").last_started_at == timezone.now()
