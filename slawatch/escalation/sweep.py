"""The SLA sweep: claim handoffs whose timer is due, run their ladder, write the outbox.

Shape borrowed from healthchecks' sendalerts: read the due rows cheaply from the
partial index `handoff_next_due`, claim each with a conditional
``UPDATE … SET next_due_at = <lease> WHERE id = … AND next_due_at = <seen>``, and
treat "not exactly one row updated" as "someone else got it". That guard is what
makes two sweepers safe on every database; ``SELECT … FOR UPDATE SKIP LOCKED``
is only a PostgreSQL speed-up so sweepers do not queue on each other's rows.

The claim sets next_due_at to a lease (now + SLAWATCH_SWEEP_POISON_DELAY_SECONDS):
a row whose evaluation raises keeps that lease, so it is retried later instead of
crash-looping the sweep. Escalation rows, milestone ladder state and the advanced
timer are written in the same transaction as the claim.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from slawatch.bulksql import claim_rows, copy_rows, update_rows
from slawatch.escalation import digest
from slawatch.escalation.models import Escalation, EscalationKind, EscalationStatus
from slawatch.escalation.recipients import resolve
from slawatch.leads import ladder
from slawatch.leads.models import Handoff, HandoffStatus, Milestone
from slawatch.leads.reassign import ReassignRefused, handoff_reassign
from slawatch.leads.signals import handoff_sla_changed
from slawatch.leads.services import calendar_for

log = logging.getLogger(__name__)
MAX_BATCHES_PER_SWEEP = 20
BREACH_REASON = "breached: found by the SLA sweep"


@dataclass
class SweepResult:
    claimed: int = 0
    lost: int = 0
    escalations: int = 0
    errors: int = 0
    reroutes: list[int] = field(default_factory=list)

    def add(self, other: SweepResult) -> None:
        self.claimed += other.claimed
        self.lost += other.lost
        self.escalations += other.escalations
        self.errors += other.errors
        self.reroutes += other.reroutes


def sweep(now: datetime | None = None, batch_size: int | None = None,
          skip_locked: bool = True, enqueue: bool = True) -> SweepResult:
    """Claim and evaluate every handoff due at `now`, batch by batch (bounded). With
    `enqueue`, each batch's new escalations are handed to a Celery worker after commit;
    the sweeper process sends them itself instead."""
    now = now or timezone.now()
    batch_size = batch_size or settings.SLAWATCH_SWEEP_BATCH_SIZE
    total = SweepResult()
    # SKIP LOCKED only means something inside the claiming transaction (PostgreSQL). Without
    # it the read stays outside, so an idle sweep never takes SQLite's write lock.
    locking = skip_locked and connection.features.has_select_for_update_skip_locked
    for _ in range(MAX_BATCHES_PER_SWEEP):
        with transaction.atomic() if locking else nullcontext():
            candidates = due_candidates(now, batch_size, locking)
            result = process(candidates, now, enqueue)
        total.add(result)
        if len(candidates) < batch_size:
            break
    return total


def due_candidates(now: datetime, limit: int, skip_locked: bool = False) -> list[tuple]:
    """(id, next_due_at) of due handoffs, earliest first, read from the partial index."""
    rows = Handoff.objects.filter(next_due_at__isnull=False, next_due_at__lte=now)
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows.order_by("next_due_at").values_list("pk", "next_due_at")[:limit])


def claim(candidates, now: datetime) -> list[int]:
    """The candidates this sweeper won: one conditional UPDATE for the whole batch, each
    row matched on the next_due_at it was read with; a row that changed since is lost."""
    if not candidates:
        return []
    lease = now + timedelta(seconds=settings.SLAWATCH_SWEEP_POISON_DELAY_SECONDS)
    seen = {pk: (due,) for pk, due in candidates}
    return claim_rows(Handoff, seen, ["next_due_at"], next_due_at=lease)


def process(candidates, now: datetime, enqueue: bool = True) -> SweepResult:
    """Claim the candidates, evaluate the won ones and write everything in one transaction."""
    result = SweepResult()
    if not candidates:
        return result
    with transaction.atomic():
        won = claim(candidates, now)
        result.claimed, result.lost = len(won), len(candidates) - len(won)
        if not won:
            return result
        handoffs = list(Handoff.objects.filter(pk__in=won).select_related(
            "lead", "rep__team__manager", "rep__team__escalation_contact",
            "team__manager", "team__escalation_contact").prefetch_related("milestones"))
        rows, milestones, evaluated = [], [], []
        status_before = {handoff.pk: handoff.status for handoff in handoffs}
        for handoff in handoffs:
            try:
                outcome = evaluate(handoff, now)
            except Exception:
                # Poisoned row: it keeps the lease set by the claim (pushed forward).
                log.exception("sweep could not evaluate handoff %s; retrying it later", handoff.pk)
                result.errors += 1
                continue
            rows += outcome.rows
            milestones += outcome.milestones
            evaluated.append(handoff)
            if outcome.reroute:
                result.reroutes.append(handoff.pk)
        notes = _write(rows, milestones, evaluated, now)
        changed = [h for h in evaluated if h.status != status_before[h.pk]]
        _record_breaches([h for h in changed if h.status == HandoffStatus.BREACHED], now)
        if changed:  # a breach the CRM record should show (slawatch.crmsync)
            handoff_sla_changed.send(sender=Handoff, handoff_ids=[h.pk for h in changed])
        result.escalations = len(rows)
        _reroute(result.reroutes)
        pending = len(notes) + sum(1 for row in rows if row.status == EscalationStatus.PENDING
                                   and not row.held_for_digest)
        if enqueue:
            transaction.on_commit(lambda: _enqueue_for(pending))
    return result


@dataclass
class Outcome:
    rows: list = field(default_factory=list)
    milestones: list = field(default_factory=list)
    reroute: bool = False


def evaluate(handoff: Handoff, now: datetime) -> Outcome:
    """Breaches and due ladder firings for one claimed handoff; advances its timer in memory."""
    outcome = Outcome()
    snapshot = handoff.snapshot
    if snapshot is None or handoff.closed_at is not None:
        handoff.next_due_at = None  # nothing runs on a closed handoff or one without policy
        return outcome
    cal = calendar_for(snapshot["calendar"])
    steps = snapshot["steps"]
    milestones = sorted(handoff.milestones.all(), key=lambda m: m.seq)
    for milestone in milestones:
        if milestone.met_at:
            continue
        if _fire(handoff, milestone, cal, steps, now, outcome):
            outcome.milestones.append(milestone)
    breaches = [m.breached_at for m in milestones if m.breached_at]
    if breaches:
        handoff.status, handoff.breached_at = HandoffStatus.BREACHED, min(breaches)
    handoff.next_due_at = ladder.next_due(cal, steps, milestones, handoff.snoozed_until)
    return outcome


def _fire(handoff, milestone, cal, steps, now, outcome) -> bool:
    """Record the milestone's breach and due firings. True when the milestone changed."""
    changed = False
    if milestone.breached_at is None and milestone.due_at <= now:
        milestone.breached_at, changed = milestone.due_at, True
    if milestone.acknowledged_at is not None:
        return changed  # acknowledged: the breach stays, the ladder stops
    firings, fired = ladder.due_firings(cal, milestone.started_at, milestone.due_at, steps,
                                        milestone.fired, now, handoff.snoozed_until)
    for firing in firings:
        outcome.rows += _rows(handoff, milestone, steps[firing.step_index], firing, now, outcome)
    if fired != milestone.fired:
        milestone.fired, changed = fired, True
    return changed


def _late(firing, now) -> bool:
    return now - firing.at > timedelta(minutes=settings.SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES)


def _rows(handoff, milestone, step, firing, now, outcome) -> list[Escalation]:
    late = _late(firing, now)
    if step.get("action") == "reassign":
        if late:  # moving the lead a day after the breach would surprise everyone
            log.info("handoff %s: reassign step %s not done, due %s", handoff.pk,
                     firing.step_index, firing.at)
        outcome.reroute = outcome.reroute or not late
        if not step.get("notify"):
            return []
    target = resolve(handoff, step["notify"], step["channel"])
    row = Escalation(
        handoff=handoff, milestone=milestone, step=firing.step_index,
        occurrence=firing.occurrence, recipient=target.recipient, channel=step["channel"],
        recipient_person=target.person, recipient_team=target.team, due_at=firing.at,
        next_attempt_at=now, payload={"milestone": milestone.kind, "seq": milestone.seq,
                                      "notify": step["notify"]})
    if target.error:
        row.status, row.last_error = EscalationStatus.FAILED, target.error
    elif late:
        row.held_for_digest = True  # told in its recipient's catch-up message (catch_up())
        row.payload["late"] = True
    elif digest.wants_digest(target.person):
        row.held_for_digest = True
        row.next_attempt_at = digest.next_digest_at(target.person, now)
    return [row]


def catch_up(rows, now) -> list[Escalation]:
    """Steps found more than SLAWATCH_ESCALATION_MAX_LATENESS_MINUTES late (a backfill, an
    outage) are not sent one by one, and not dropped either: one catch-up message per
    recipient and channel carries them all (its items, like a digest's). Returns the
    catch-up rows, saved, with the late rows pointing at them."""
    groups = {}
    for row in rows:
        if row.payload.get("late") and row.digest_id is None:
            key = (row.recipient, row.recipient_person_id, row.recipient_team_id, row.channel)
            groups.setdefault(key, []).append(row)
    notes = [Escalation(kind=EscalationKind.CATCH_UP, recipient=recipient,
                        recipient_person_id=person_id, recipient_team_id=team_id,
                        channel=channel, next_attempt_at=now, payload={"items": len(items)})
             for (recipient, person_id, team_id, channel), items in groups.items()]
    Escalation.objects.bulk_create(notes)
    for note, items in zip(notes, groups.values()):
        for row in items:
            row.digest = note
    return notes


def _write(rows, milestones, handoffs, now) -> list[Escalation]:
    notes = catch_up(rows, now)
    Escalation.objects.bulk_create(rows, ignore_conflicts=True)
    update_rows(Milestone, ["fired", "breached_at"],
                {m.pk: (m.fired, m.breached_at) for m in milestones})
    update_rows(Handoff, ["next_due_at", "status", "breached_at"],
                {h.pk: (h.next_due_at, h.status, h.breached_at) for h in handoffs})
    return notes


def _record_breaches(breached, now) -> None:
    """The set-based update bypasses save(), so the handoff's history (django-simple-history)
    gets its entry here for each handoff this sweep found breached: the new status, when,
    and why, like any other change to a handoff. The rows are copied by the database from
    the handoffs just updated (`copy_rows`), not built in Python."""
    copy_rows(Handoff.history.model, Handoff, [h.pk for h in breached], history_date=now,
              history_type="~", history_change_reason=BREACH_REASON, history_user=None)


def _reroute(handoff_ids) -> None:
    """Reassign-on-breach steps, each in a savepoint so one failure keeps the batch."""
    for handoff_id in handoff_ids:
        try:
            with transaction.atomic():
                handoff_reassign(handoff=Handoff(pk=handoff_id), by="sweep")
        except ReassignRefused as exc:
            log.info("handoff %s not rerouted: %s", handoff_id, " ".join(exc.messages))
        except Exception:
            log.exception("rerouting handoff %s failed", handoff_id)


def sweep_counts() -> dict:
    """slawatch_drain's step: one sweep here and now, as counts."""
    result = sweep()
    return {"claimed": result.claimed, "escalations": result.escalations,
            "errors": result.errors}


def _enqueue_for(escalations: int) -> None:
    """One message for the whole batch: deliver_due fans the pending rows out to one
    delivery task each, in a worker, off the sweep's path (a publish per escalation was
    a quarter of a 1,000-row sweep)."""
    from slawatch.escalation.tasks import deliver_due  # tasks imports this module

    if not escalations:
        return
    try:
        deliver_due.delay()
    except Exception:  # broker down: the outbox rows wait for the periodic deliver_due
        log.warning("could not queue deliveries; the periodic pass will send them", exc_info=True)
