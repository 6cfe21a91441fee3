"""How the what-if reads the record: timestamps to the microsecond (PostgreSQL hands them
over as integers) and each handoff's own policy snapshots (keyed by a hash of the stored
snapshots, read once per distinct set), over several leads and chunks."""

import pytest

from slawatch.leads.models import Handoff, SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.whatif.selectors import WhatIf, what_if
from tests.factories import PolicyFactory, at
from tests.whatif.conftest import assigned, touched

pytestmark = pytest.mark.django_db

RANGE = {"start": at("2026-11-01 00:00"), "end": at("2026-11-30 00:00")}


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(at("2026-11-30 12:00"), tick=False)


def test_instants_are_read_to_the_microsecond(cast, frozen):
    PolicyFactory(heat="hot", first_touch_minutes=30)
    apply_events([
        # touched exactly at the due instant: met; one microsecond later: breached
        assigned(1, "2026-11-23T09:00:00.123456Z"), touched(1, "2026-11-23T09:30:00.123456Z"),
        assigned(2, "2026-11-23T10:00:00.123456Z"), touched(2, "2026-11-23T10:30:00.123457Z"),
    ])
    answer = what_if(WhatIf(**RANGE), now=at("2026-11-30 12:00"))
    assert Handoff.objects.get(lead__external_id="L-1").handed_off_at.microsecond == 123456
    for side in ("actual", "proposed"):
        assert (answer["totals"][side]["met"], answer["totals"][side]["breached"]) == (1, 1)
    assert answer["totals"]["proposed"] == answer["totals"]["actual"]


def test_each_handoff_is_replayed_under_its_own_recorded_policy(cast, frozen):
    hot = PolicyFactory(heat="hot", first_touch_minutes=30)
    apply_events([assigned(n, f"2026-11-2{n}T09:00:00Z") for n in (1, 2, 3)] +
                 [touched(n, f"2026-11-2{n}T09:20:00Z") for n in (1, 2, 3)])
    SlaPolicy.objects.filter(pk=hot.pk).update(first_touch_minutes=10)  # tighter from now on
    apply_events([assigned(n, f"2026-11-2{n}T09:00:00Z") for n in (4, 5)] +
                 [touched(n, f"2026-11-2{n}T09:20:00Z") for n in (4, 5)])
    assert Handoff.objects.values("policy_snapshots").distinct().count() == 2
    # Small chunks: the three streams are merged across many fetches.
    answer = what_if(WhatIf(**RANGE, group_by="week"), now=at("2026-11-30 12:00"),
                     chunk_rows=2)
    totals = answer["totals"]
    assert (totals["actual"]["met"], totals["actual"]["breached"]) == (3, 2)
    assert totals["proposed"] == totals["actual"]
    for row in answer["rows"]:
        assert row["proposed"] == row["actual"]


def test_a_proposal_applies_to_every_handoff_whatever_it_recorded(cast, frozen):
    hot = PolicyFactory(heat="hot", first_touch_minutes=30)
    apply_events([assigned(1, "2026-11-21T09:00:00Z"), touched(1, "2026-11-21T09:20:00Z")])
    SlaPolicy.objects.filter(pk=hot.pk).update(first_touch_minutes=10)
    apply_events([assigned(2, "2026-11-22T09:00:00Z"), touched(2, "2026-11-22T09:20:00Z")])
    proposal = {"hot": {**SlaPolicy.objects.get(pk=hot.pk).snapshot(),
                        "first_touch_minutes": 25}}
    answer = what_if(WhatIf(**RANGE, policies=proposal), now=at("2026-11-30 12:00"))
    assert answer["totals"]["proposed"]["met"] == 2
    assert answer["totals"]["proposed"]["breached"] == 0
    assert answer["totals"]["actual"]["breached"] == 1
