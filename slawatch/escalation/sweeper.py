"""The sweeper process (`manage.py slawatch_sweeper`): sweep at the due time, send right here.

The beat's sweep ticks every SLAWATCH_SWEEP_INTERVAL_SECONDS and hands deliveries to a
worker through the broker, so a step waits for the next tick (2.5 s on average) plus a
hop. The sweeper instead sleeps until the earliest `next_due_at` or pending delivery
(never longer than SLAWATCH_SWEEPER_MAX_SLEEP_SECONDS, so rows written meanwhile by other
processes are seen), sweeps, and sends the escalations itself on a few threads. The
idea is the one of healthchecks' `sendalerts`: a loop that finds due rows cheaply,
claims them with a conditional UPDATE, and hands the sending to a bounded thread pool.

Nothing here is needed for correctness: the claims (sweep and delivery) are conditional
updates, so any number of sweepers, beats and workers may run at once; what one does
not get to, another does. The beat keeps its sweep and delivery pass as the safety net.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Executor, Future
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import Min
from django.utils import timezone

from slawatch.escalation import deliver, sweep
from slawatch.escalation.models import Escalation, EscalationStatus
from slawatch.leads.models import Handoff
from slawatch.telemetry import SWEEP, record_run

log = logging.getLogger(__name__)
ALIVE_FILE = "sweeper.alive"


def _send(escalation_id: int) -> str:
    # A sender thread keeps its connection between sends: drop it if it went stale.
    if not connection.in_atomic_block:
        close_old_connections()
    return deliver.deliver(escalation_id)


class Senders(Executor):
    """A fixed set of sender threads. Written here rather than taken from
    ThreadPoolExecutor because each thread must close its own database connection when
    the pool shuts down (Django connections belong to their thread), and
    ThreadPoolExecutor has no hook for a thread's end."""

    def __init__(self, count: int):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._work, name=f"send-{n}", daemon=True)
                        for n in range(count)]
        for thread in self.threads:
            thread.start()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        self.jobs.put((future, fn, args, kwargs))
        return future

    def shutdown(self, wait=True, **kwargs) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        if wait:
            for thread in self.threads:
                thread.join()

    def _work(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                future, fn, args, kwargs = job
                if future.set_running_or_notify_cancel():
                    try:
                        future.set_result(fn(*args, **kwargs))
                    except Exception as exc:  # handed to whoever reads the future
                        future.set_exception(exc)
        finally:
            connection.close()


class Sweeper:
    def __init__(self, senders: int | None = None, max_sleep: float | None = None,
                 executor: Executor | None = None):
        senders = senders or settings.SLAWATCH_SWEEPER_SENDERS
        self.max_sleep = max_sleep or settings.SLAWATCH_SWEEPER_MAX_SLEEP_SECONDS
        self.executor = executor or Senders(senders)
        self.seats = threading.BoundedSemaphore(senders)
        self.wake = threading.Event()  # a seat was freed, or stop() was called
        self.stopping = False
        self.last_beat = 0.0
        self.swept = self.sent = 0

    def run(self) -> None:
        while not self.stopping:
            self.wake.clear()
            pause = self.tick()
            if pause > 0 and not self.stopping:
                self.wake.wait(pause)
        self.executor.shutdown(wait=True)

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()

    def tick(self, now: datetime | None = None) -> float:
        """Sweep if a handoff is due, send what is due; return how long to sleep."""
        now = now or timezone.now()
        due_handoff, due_send = self.earliest()
        self._heartbeat(now)
        busy = False
        if due_handoff is not None and due_handoff <= now:
            result = sweep.sweep(now, enqueue=False)
            self.swept += result.claimed
            due_send, busy = (now if result.escalations else due_send), True
        if due_send is not None and due_send <= now:
            if not self.dispatch(now):
                return self.max_sleep  # every seat busy: a freed seat wakes us (self.wake)
            busy = True
        if busy:  # the sweep and the sends moved the due times: read them again
            due_handoff, due_send = self.earliest()
        return self.pause(now, due_handoff, due_send)

    def earliest(self) -> tuple[datetime | None, datetime | None]:
        """The next instant a handoff falls due and a pending delivery may go (two index
        reads: `handoff_next_due` and `escalation_pending`)."""
        handoff = Handoff.objects.filter(next_due_at__isnull=False).aggregate(
            at=Min("next_due_at"))["at"]
        send = Escalation.objects.filter(status=EscalationStatus.PENDING,
                                         held_for_digest=False).aggregate(
            at=Min("next_attempt_at"))["at"]
        return handoff, send

    def pause(self, now: datetime, *due: datetime | None) -> float:
        """Seconds until the earliest due instant, at most max_sleep (what other processes
        write meanwhile is seen at the next wake-up)."""
        instants = [at for at in due if at is not None]
        if not instants:
            return self.max_sleep
        return max(0.0, min(self.max_sleep, (min(instants) - now).total_seconds()))

    def dispatch(self, now: datetime) -> bool:
        """Hand every due escalation to a sender thread while seats are free. False when
        the seats ran out first (the rest waits for a seat, or for a Celery worker)."""
        for escalation_id in deliver.due_ids(now):
            if not self.seats.acquire(blocking=False):
                return False
            future = self.executor.submit(_send, escalation_id)
            future.add_done_callback(self._done)
        return True

    def _done(self, future) -> None:
        self.seats.release()
        self.wake.set()
        try:
            if future.result() == EscalationStatus.SENT:
                self.sent += 1
        except Exception:
            log.exception("sweeper: a delivery raised")

    def _heartbeat(self, now: datetime) -> None:
        """Reap stuck deliveries, record the sweep for /readyz and /metrics, and touch
        VAR_DIR/sweeper.alive (the container's health check), once per
        SLAWATCH_SWEEP_INTERVAL_SECONDS rather than on every wake-up."""
        if time.monotonic() - self.last_beat < settings.SLAWATCH_SWEEP_INTERVAL_SECONDS:
            return
        self.last_beat = time.monotonic()
        deliver.reap(now)
        record_run(SWEEP, started_at=now, duration_seconds=0.0)
        try:
            (Path(settings.VAR_DIR) / ALIVE_FILE).touch()
        except OSError:
            log.warning("sweeper: cannot touch %s in %s", ALIVE_FILE, settings.VAR_DIR)
