"""Writes for operations data: the heartbeats and counters the apps report through
slawatch.telemetry (connected in OpsConfig.ready)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F

from slawatch.ops.models import Counter, Heartbeat

log = logging.getLogger(__name__)


def record_run(name: str, *, started_at: datetime, duration_seconds: float) -> None:
    """Remember one pass of a periodic job. Never raises: metrics must not break the job."""
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the caller's work intact
            _upsert(name, started_at, duration_seconds)
    except DatabaseError:
        log.warning("could not record heartbeat for %s", name, exc_info=True)


def _upsert(name, started_at, duration_seconds):
    updated = Heartbeat.objects.filter(name=name).update(
        last_started_at=started_at, last_duration_seconds=duration_seconds, runs=F("runs") + 1)
    if not updated:
        Heartbeat.objects.get_or_create(
            name=name, defaults={"last_started_at": started_at,
                                 "last_duration_seconds": duration_seconds, "runs": 1})


def count(name: str, label: str = "", amount: int = 1) -> None:
    """Add to a database counter (one UPDATE; the row is created on first use)."""
    if amount <= 0:
        return
    try:
        with transaction.atomic():
            updated = Counter.objects.filter(name=name, label=label).update(
                value=F("value") + amount)
            if not updated:
                _create_counter(name, label, amount)
    except DatabaseError:
        log.warning("could not count %s", name, exc_info=True)


def _create_counter(name, label, amount):
    try:
        with transaction.atomic():
            Counter.objects.create(name=name, label=label, value=amount)
    except IntegrityError:  # another process created it first: add to theirs
        Counter.objects.filter(name=name, label=label).update(value=F("value") + amount)


def on_job_ran(sender, *, started_at, duration_seconds, **kwargs):
    record_run(sender, started_at=started_at, duration_seconds=duration_seconds)


def on_counted(sender, *, label, amount, **kwargs):
    count(sender, label, amount)
