"""The sweep's set-based writes, on whichever database the run uses (SQLite and PostgreSQL
both run this file: DATABASE_URL picks the server)."""

from datetime import timedelta

import pytest

from slawatch import bulksql
from slawatch.bulksql import claim_rows, update_rows
from slawatch.leads.models import Handoff, HandoffStatus, Lead
from tests.factories import PersonFactory, at

pytestmark = pytest.mark.django_db

T0 = at("2026-11-23 09:00:00.123456")


def handoffs(n):
    rep = PersonFactory()
    rows = []
    for i in range(n):
        lead = Lead.objects.create(crm="acme", external_id=f"L-{i}")
        rows.append(Handoff.objects.create(lead=lead, rep=rep, heat="hot", handed_off_at=T0,
                                           next_due_at=T0 + timedelta(microseconds=i)))
    return rows


def test_claim_rows_takes_only_rows_still_as_read_and_says_which():
    a, b, c = handoffs(3)
    Handoff.objects.filter(pk=b.pk).update(next_due_at=T0 + timedelta(seconds=9))  # a rival
    lease = at("2026-11-23 09:05:00")
    seen = {h.pk: (h.next_due_at,) for h in (a, b, c)}
    won = claim_rows(Handoff, seen, ["next_due_at"], next_due_at=lease)
    assert sorted(won) == [a.pk, c.pk]
    assert Handoff.objects.get(pk=a.pk).next_due_at == lease
    assert Handoff.objects.get(pk=b.pk).next_due_at == T0 + timedelta(seconds=9)
    # The same stale read again wins nothing: every row has moved on.
    assert claim_rows(Handoff, seen, ["next_due_at"], next_due_at=lease) == []


def test_claim_rows_matches_microseconds_exactly():
    (h,) = handoffs(1)
    off_by_one = {h.pk: (h.next_due_at + timedelta(microseconds=1),)}
    assert claim_rows(Handoff, off_by_one, ["next_due_at"], next_due_at=None) == []
    assert claim_rows(Handoff, {h.pk: (h.next_due_at,)}, ["next_due_at"],
                      next_due_at=None) == [h.pk]
    assert Handoff.objects.get(pk=h.pk).next_due_at is None


def test_claim_rows_chunks_large_batches(monkeypatch):
    rows = handoffs(3)
    monkeypatch.setattr(bulksql, "_CHUNK", 2)
    won = claim_rows(Handoff, {h.pk: (h.next_due_at,) for h in rows}, ["next_due_at"],
                     next_due_at=T0)
    assert sorted(won) == sorted(h.pk for h in rows)


def test_update_rows_gives_each_row_its_own_values_including_null():
    a, b = handoffs(2)
    breached = at("2026-11-23 09:15:00")
    update_rows(Handoff, ["next_due_at", "status", "breached_at"], {
        a.pk: (None, HandoffStatus.BREACHED, breached),
        b.pk: (T0 + timedelta(hours=1), HandoffStatus.OPEN, None)})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.next_due_at, a.status, a.breached_at) == (None, HandoffStatus.BREACHED, breached)
    assert (b.next_due_at, b.status, b.breached_at) == (T0 + timedelta(hours=1),
                                                        HandoffStatus.OPEN, None)


def test_empty_inputs_touch_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert claim_rows(Handoff, {}, ["next_due_at"], next_due_at=None) == []
        update_rows(Handoff, ["status"], {})


def test_copy_rows_copies_the_named_rows_as_stored_with_the_constants():
    a, b, c = handoffs(3)
    Handoff.objects.filter(pk=a.pk).update(status=HandoffStatus.BREACHED, breached_at=T0,
                                           policy_snapshots=[{"calendar": "Berlin"}])
    history = Handoff.history.model
    before = set(history.objects.values_list("history_id", flat=True))
    when = at("2026-11-23 09:20:00")
    bulksql.copy_rows(history, Handoff, [a.pk, c.pk], history_date=when, history_type="~",
                      history_change_reason="why", history_user=None)
    copies = history.objects.exclude(history_id__in=before).order_by("id")
    assert [row.id for row in copies] == [a.pk, c.pk]
    first = copies[0]
    stored = Handoff.objects.get(pk=a.pk)
    assert (first.status, first.breached_at, first.policy_snapshots) == (
        "breached", T0, [{"calendar": "Berlin"}])
    assert (first.lead_id, first.rep_id, first.handed_off_at, first.created_at) == (
        stored.lead_id, stored.rep_id, stored.handed_off_at, stored.created_at)
    assert (first.history_date, first.history_type, first.history_change_reason,
            first.history_user_id) == (when, "~", "why", None)
    assert copies[1].status == HandoffStatus.OPEN
    bulksql.copy_rows(history, Handoff, [], history_date=when, history_type="~")  # no-op
    assert history.objects.exclude(history_id__in=before).count() == 2
