"""A small, exactly known history: three hot leads handed to Rita on a Monday, touched
after 20 minutes, after 40 minutes and never; a 24x7 hot policy of 30 minutes that warns
the rep at 50 % and pages the manager at breach."""

from types import SimpleNamespace

import pytest

from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, at, event

NOW = "2026-11-30 12:00:00Z"
RANGE = {"start": "2026-11-01", "end": "2026-11-30"}


def assigned(n, when, owner="rep-7", heat="hot"):
    return event(f"a{n}", "lead.assigned", when, external_id=f"L-{n}", owner=owner, heat=heat)


def touched(n, when, by="rep-7"):
    return event(f"t{n}", "lead.touched", when, external_id=f"L-{n}",
                 touch={"kind": "call", "at": when, "by": by})


@pytest.fixture
def history(cast, time_machine):
    time_machine.move_to(at("2026-11-30 12:00"), tick=False)
    hot = PolicyFactory(heat="hot", first_touch_minutes=30)
    apply_events([
        assigned(1, "2026-11-23T09:00:00Z"), touched(1, "2026-11-23T09:20:00Z"),
        assigned(2, "2026-11-23T10:00:00Z"), touched(2, "2026-11-23T10:40:00Z"),
        assigned(3, "2026-11-23T11:00:00Z"),
    ])
    return SimpleNamespace(cast=cast, hot=hot)


def hot_policy(**changes):
    """The hot policy's API fields (as in policies/), with changes."""
    return {"heat": "hot", "first_touch_minutes": 30, "follow_up_touches": 0,
            "follow_up_window_minutes": 0, "calendar": None, "touch_kinds": [],
            "steps": [{"at_percent": 50, "notify": "rep", "channel": "slack"},
                      {"at_percent": 100, "notify": "manager", "channel": "slack"}],
            **changes}
