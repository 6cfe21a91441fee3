from io import StringIO

from django.core.management import call_command

from slawatch.escalation.models import Escalation
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory


def _drain():
    out = StringIO()
    call_command("slawatch_drain", stdout=out)
    return out.getvalue().strip()


def test_drain_sweeps_and_delivers_on_one_summary_line(cast, clock, slack):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    assign()
    clock.move_to("2026-11-23 09:16:00Z")
    line = _drain()
    assert "\n" not in line
    assert "sweep claimed=1 escalations=2 errors=0" in line
    assert "deliveries sent=2 retrying=0 failed=0" in line
    assert len(slack.to("/api/chat.postMessage")) == 2


def test_drain_succeeds_when_deliveries_fail(cast, clock, slack):
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "slack"},
                         {"at_percent": 100, "notify": "rep", "channel": "slack"}])
    slack.respond("/api/chat.postMessage", 200, {"ok": False, "error": "invalid_auth"})
    slack.respond("/api/chat.postMessage", 503, {"ok": False, "error": "service_unavailable"})
    assign()
    clock.move_to("2026-11-23 09:16:00Z")
    line = _drain()  # call_command would raise on a non-zero exit
    assert "deliveries sent=0 retrying=1 failed=1" in line
    assert sorted(Escalation.objects.values_list("status", flat=True)) == ["failed", "pending"]
