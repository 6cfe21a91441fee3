"""Two sweepers at once over the same due rows: each handoff is claimed once, each
escalation written and delivered once.

PostgreSQL: two real threads with their own connections, released together by a
barrier, 200 rounds (half of them without SKIP LOCKED, so the conditional UPDATE
alone must hold). SQLite serializes writers (immediate transactions), so the only
race it admits is the stale read; there both sweepers read before either claims.
"""

import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection

from slawatch.escalation import sweep
from slawatch.escalation.models import Escalation
from slawatch.leads.models import Handoff, Milestone
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory, at

ROUNDS = 200
HANDOFFS = 2
STEPS = [{"at_percent": 50, "notify": "rep", "channel": "email"},
         {"at_percent": 100, "notify": "manager", "channel": "email"}]
NOW = at("2026-11-23 09:16")


class Sweepers:
    """Two long-lived threads (one connection each) that sweep when released together."""

    def __init__(self):
        self.start, self.done = threading.Barrier(3, timeout=30), threading.Barrier(3, timeout=30)
        self.results, self.errors, self.skip_locked, self.stop = [], [], True, False
        self.threads = [threading.Thread(target=self._loop) for _ in range(2)]
        for thread in self.threads:
            thread.start()

    def _loop(self):
        try:
            while True:
                self.start.wait()
                if self.stop:
                    return
                try:
                    self.results.append(sweep.sweep(now=NOW, skip_locked=self.skip_locked))
                except Exception as exc:  # reported by the main thread
                    self.errors.append(exc)
                self.done.wait()
        finally:
            connection.close()

    def round(self, skip_locked):
        self.results, self.skip_locked = [], skip_locked
        self.start.wait()
        self.done.wait()
        return self.results

    def close(self):
        self.stop = True
        self.start.wait()
        for thread in self.threads:
            thread.join(timeout=10)


def _interleaved():
    """Both read the due rows, then both try to claim them (the SQLite race)."""
    first = sweep.due_candidates(NOW, 100)
    second = sweep.due_candidates(NOW, 100)
    return [sweep.process(first, NOW), sweep.process(second, NOW)]


def _reset():
    Escalation.objects.all().delete()
    Milestone.objects.update(fired={}, breached_at=None)
    Handoff.objects.update(next_due_at=at("2026-11-23 09:07:30"), status="open", breached_at=None)
    mail.outbox = []


@pytest.mark.django_db(transaction=True)
def test_two_parallel_sweeps_escalate_each_step_exactly_once(cast, settings):
    settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES = 10**6
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=STEPS)
    with time_machine.travel("2026-11-23 09:00:00Z", tick=False):
        for n in range(HANDOFFS):
            assign(f"L-{n}")
    threaded = connection.vendor != "sqlite"
    sweepers = Sweepers() if threaded else None
    try:
        for round_ in range(ROUNDS):
            _reset()
            skip_locked = round_ % 2 == 0
            results = sweepers.round(skip_locked) if threaded else _interleaved()
            assert sweepers is None or sweepers.errors == []
            assert sum(r.claimed for r in results) == HANDOFFS, f"round {round_}: {results}"
            assert Escalation.objects.count() == 2 * HANDOFFS
            assert len(mail.outbox) == 2 * HANDOFFS, f"round {round_}"
            assert set(Escalation.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        if sweepers:
            sweepers.close()
