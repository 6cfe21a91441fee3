"""Steps for `manage.py slawatch_drain`: the sweep and the deliveries, run synchronously."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from slawatch.escalation import deliver, digest, sweep
from slawatch.escalation.models import EscalationStatus


def sweep_now() -> dict:
    result = sweep.sweep()
    return {"claimed": result.claimed, "escalations": result.escalations,
            "errors": result.errors}


def deliver_now() -> dict:
    """Reap stuck rows, bundle due digests, then send every escalation whose time has come.
    Failures are counted, never raised: they stay pending or failed, visible in the admin."""
    now = timezone.now()
    deliver.reap(now)
    digest.collect_digests(now)
    outcomes = Counter(deliver.deliver(pk) for pk in deliver.due_ids(now))
    return {"sent": outcomes[EscalationStatus.SENT],
            "retrying": outcomes[EscalationStatus.PENDING],
            "failed": outcomes[EscalationStatus.FAILED]}
