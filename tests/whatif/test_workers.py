"""The what-if shared among processes (SLAWATCH_WHATIF_WORKERS): on PostgreSQL, forked
workers each replay a share of the leads on their own connection in the snapshot this
process exports, and the answer is the one a single process gives; on SQLite, and inside
an open transaction, nothing is forked. These tests commit their rows
(transaction=True): a worker's connection sees only committed rows."""

import multiprocessing
import os

import pytest
from django.db import connection, transaction

from slawatch.leads.models import SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.whatif.selectors import TooBig, WhatIf, what_if
from tests.factories import PolicyFactory, at
from tests.whatif.conftest import assigned, touched

pytestmark = pytest.mark.django_db(transaction=True)

FORKS = []
os.register_at_fork(after_in_parent=lambda: FORKS.append(os.getpid()))
NOW = at("2026-11-30 12:00")
RANGE = {"start": at("2026-11-01 00:00"), "end": at("2026-11-30 00:00")}


@pytest.fixture
def history(cast, time_machine):
    """Twelve hot leads over two weeks: touched after 5 to 60 minutes, every fourth never,
    so the shares hold different outcomes."""
    time_machine.move_to(NOW, tick=False)
    PolicyFactory(heat="hot", first_touch_minutes=30)
    events = []
    for n in range(1, 13):
        day = 16 + n % 10
        events.append(assigned(n, f"2026-11-{day}T09:{n:02d}:00Z"))
        if n % 4:
            events.append(touched(n, f"2026-11-{day}T{9 + n * 5 // 60:02d}:{n * 5 % 60:02d}:30Z"))
    apply_events(events)


def ask(group_by="rep"):
    proposal = {"hot": {**SlaPolicy.objects.get(heat="hot").snapshot(), "first_touch_minutes": 20}}
    return WhatIf(**RANGE, group_by=group_by, policies=proposal)


def test_shared_among_processes_the_answer_is_the_one_process_answer(history):
    alone = what_if(ask(), now=NOW, workers=1)
    forks_before = len(FORKS)
    shared = what_if(ask(), now=NOW, workers=3)
    assert shared == alone
    assert alone["totals"]["actual"]["handoffs"] == 12
    assert alone["totals"]["proposed"] != alone["totals"]["actual"]  # the proposal matters
    # Two workers forked on PostgreSQL (shares 1 and 2; share 0 is replayed here); SQLite
    # has no exported snapshot to share, so it never forks.
    assert len(FORKS) - forks_before == (2 if connection.vendor == "postgresql" else 0)
    assert multiprocessing.active_children() == []


def test_every_lead_is_in_exactly_one_share(history):
    """More workers than leads: the empty shares add nothing, the others all of it."""
    alone = what_if(ask(group_by="week"), now=NOW, workers=1)
    assert what_if(ask(group_by="week"), now=NOW, workers=16) == alone


def test_inside_an_open_transaction_nothing_is_forked(history):
    forks_before = len(FORKS)
    with transaction.atomic():
        answer = what_if(ask(), now=NOW, workers=2)
    assert answer["totals"]["actual"]["handoffs"] == 12
    assert len(FORKS) == forks_before


def test_a_replay_over_its_time_limit_is_too_big_and_leaves_no_worker_behind(history):
    with pytest.raises(TooBig, match="longer than"):
        what_if(ask(), now=NOW, workers=2, seconds=0)
    assert multiprocessing.active_children() == []
