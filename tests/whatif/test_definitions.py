"""A draft lead definition in the what-if: its rules decide heat in the replay; the
definitions in force keep deciding the actual side; only a draft can be tried."""

import pytest
from django.contrib.auth import get_user_model

from slawatch.definitions.models import LeadDefinition
from slawatch.definitions.services import definition_activate, definition_create
from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, at, event
from tests.whatif.conftest import RANGE

URL = "/api/v1/what-if/"
DEMO_IS_HOT = [{"heat": "hot", "when": [{"field": "source", "op": "eq", "value": "demo"}]}]


@pytest.fixture
def leads(cast, time_machine):
    """Two leads without CRM heat, a demo request and a webinar signup, never touched;
    hot is 15 minutes, warm 60 (24x7)."""
    time_machine.move_to(at("2026-11-30 12:00"), tick=False)
    PolicyFactory(heat="hot", first_touch_minutes=15)
    PolicyFactory(heat="warm", first_touch_minutes=60, steps=[])
    apply_events([
        event("a1", "lead.assigned", "2026-11-23T09:00:00Z", external_id="D", owner="rep-7",
              source="demo"),
        event("a2", "lead.assigned", "2026-11-23T09:00:00Z", external_id="W", owner="rep-7",
              source="webinar"),
    ])
    return cast


def _draft(**fields):
    return definition_create(notify=False, **{"name": "Demo is hot", "default_heat": "warm",
                                              "crm_heat": "ignore", "rules": DEMO_IS_HOT,
                                              **fields})


def test_a_draft_decides_the_replayed_heat(admin_api, leads):
    assert set(Handoff.objects.values_list("heat", flat=True)) == {"warm"}  # the default
    body = admin_api.post(URL, {**RANGE, "group_by": "heat", "definition": _draft().pk},
                          format="json").json()
    rows = {row["key"]: row for row in body["rows"]}
    assert rows["warm"]["actual"]["handoffs"] == 2 and rows["warm"]["proposed"]["handoffs"] == 1
    assert rows["hot"]["actual"]["handoffs"] == 0 and rows["hot"]["proposed"]["handoffs"] == 1
    # The demo lead is now hot: its 15-minute policy warns the rep and pages the manager.
    assert body["totals"]["proposed"]["escalations"] == 2
    assert body["totals"]["actual"]["escalations"] == 0


def test_an_active_definition_keeps_deciding_the_actual_side(admin_api, leads):
    root = get_user_model().objects.get(username="root")
    definition_activate(definition=_draft(), user=root, now=at("2026-11-30 11:00"))
    apply_events([event("a3", "lead.assigned", "2026-11-30T11:30:00Z", external_id="D2",
                        owner="rep-7", source="demo")])
    assert Handoff.objects.get(lead__external_id="D2").heat == "hot"
    assert Handoff.objects.get(lead__external_id="D").heat == "warm"  # before activation
    body = admin_api.post(URL, {"start": "2026-11-01", "end": "2026-11-30T12:00:00Z",
                                "group_by": "heat"}, format="json").json()
    assert [(r["key"], r["actual"]["handoffs"]) for r in body["rows"]] == [("hot", 1),
                                                                          ("warm", 2)]
    for row in body["rows"]:
        assert row["proposed"] == row["actual"], row


@pytest.mark.parametrize("make, message", [
    (lambda user: definition_activate(definition=_draft(), user=user).pk, "only a draft"),
    (lambda user: 99999, "does not exist"),
])
def test_a_definition_that_is_not_a_draft_is_400(admin_api, leads, make, message):
    pk = make(get_user_model().objects.get(username="root"))
    response = admin_api.post(URL, {**RANGE, "definition": pk}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()["definition"])
    assert LeadDefinition.objects.filter(status="draft").count() == 0
