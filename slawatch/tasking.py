"""Queue Celery work once the current transaction commits: the one way slawatch does it.

Work is queued by task name, so a service never imports its app's tasks module (which
imports the service back). Queueing is best effort everywhere: the database row (inbox
event, outbox escalation) is the truth, and a periodic task finds any row whose message
was lost, so a broker outage delays work and never fails the request that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args) -> bool:
    """Send one task now; False (and a warning) when the broker cannot take it."""
    task = import_string(task_name)  # imported when used: tasks modules import the services
    try:
        task.delay(*args)
    except Exception:  # broker down: the periodic pass picks the row up
        log.warning("could not queue %s%r; the periodic pass will do it", task_name, args,
                    exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args) -> None:
    """Send the task after the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task_name, *args))


def enqueue_each(task_name: str, ids: Iterable[int]) -> None:
    """One task per id, now; stops at the first refusal (the broker is down, and the
    periodic pass will find every remaining row anyway)."""
    for pk in ids:
        if not enqueue(task_name, pk):
            return


def enqueue_each_on_commit(task_name: str, ids: Iterable[int]) -> None:
    """`enqueue_each` once the current transaction commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: enqueue_each(task_name, ids))
