"""What the workers report about themselves, without knowing who keeps it.

The sweep reports each pass (`record_run`, `timed_run`), the inbox the duplicates it
dropped (`count`). Both are Django signals: the ops app stores them (ops/services.py,
connected in OpsConfig.ready) and serves them on /metrics and /readyz. Ops reads every
app for those pages, so the apps report here instead of importing ops, which would make
a cycle (.importlinter, docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime

from django.dispatch import Signal
from django.utils import timezone

SWEEP = "sweep"                        # the escalation sweep's heartbeat
EVENTS_DUPLICATE = "events_duplicate"  # CRM events dropped as already stored, by source

job_ran = Signal()  # sender: the job's name; started_at, duration_seconds
counted = Signal()  # sender: the counter's name; label, amount


def record_run(name: str, *, started_at: datetime, duration_seconds: float) -> None:
    """One pass of a periodic job is done. Receivers never raise: metrics must not break
    the job."""
    job_ran.send(sender=name, started_at=started_at, duration_seconds=duration_seconds)


@contextmanager
def timed_run(name: str):
    """`with timed_run(SWEEP): ...` records start and duration of the block."""
    started_at, start = timezone.now(), time.monotonic()
    try:
        yield
    finally:
        record_run(name, started_at=started_at, duration_seconds=time.monotonic() - start)


def count(name: str, label: str = "", amount: int = 1) -> None:
    """Add `amount` to a counter."""
    if amount > 0:
        counted.send(sender=name, label=label, amount=amount)
