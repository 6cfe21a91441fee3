from slawatch.escalation import deliver, sweep
from slawatch.escalation.models import Escalation
from tests.escalation.conftest import assign
from tests.factories import PolicyFactory


def test_failed_escalations_are_listed_and_can_be_retried(
        cast, clock, slack, admin_client, django_capture_on_commit_callbacks):
    PolicyFactory(heat="hot", first_touch_minutes=15,
                  steps=[{"at_percent": 100, "notify": "manager", "channel": "slack"}])
    slack.respond("/api/chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    assign()
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    row = Escalation.objects.get()
    assert deliver.deliver(row.pk) == "failed"

    page = admin_client.get("/admin/escalation/escalation/?status__exact=failed")
    assert page.status_code == 200
    assert "not_in_channel" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/escalation/escalation/", {
            "action": "retry", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert list(row.attempt_log.values_list("number", "outcome")) == [(1, "permanent"), (2, "sent")]
