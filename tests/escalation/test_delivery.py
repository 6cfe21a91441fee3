import socket
from datetime import timedelta

from django.utils import timezone

from config import settings as defaults
from slawatch.escalation import deliver, sweep, tasks
from slawatch.escalation.models import Escalation, EscalationAttempt
from tests.config.test_env import SHOW_DB, run
from tests.escalation.conftest import assign
from tests.escalation.fakes import DROP
from tests.factories import PolicyFactory

TEAM_CHANNEL = [{"at_percent": 100, "notify": "team_channel", "channel": "slack"}]
MANAGER_SLACK = [{"at_percent": 100, "notify": "manager", "channel": "slack"}]
MANAGER_EMAIL = [{"at_percent": 100, "notify": "manager", "channel": "email"}]


def _breached(clock, steps, **lead):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=steps)
    assign(**lead)
    clock.move_to("2026-11-23 09:16:00Z")
    sweep.sweep()
    return Escalation.objects.get()


def test_team_webhook_gets_block_kit_message_and_row_is_sent(cast, clock, slack):
    cast.team.slack_webhook_url = slack.url + "/services/T1/B1/xyz"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL, name="Ana Ruiz", source="demo_request")
    assert deliver.deliver(row.pk) == "sent"
    [request] = slack.to("/services/T1/B1/xyz")
    body = request.json()
    assert body["text"].startswith("Lead SLA breached: Ana Ruiz (hot) owned by Rita Rep")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "actions"]
    fields = " ".join(f["text"] for f in body["blocks"][1]["fields"])
    assert "<@UREP1>" in fields and "demo_request" in fields and "16m (SLA 15m)" in fields
    ids = [e["action_id"] for e in body["blocks"][2]["elements"]]
    assert ids == ["slawatch_ack", "slawatch_snooze", "slawatch_reassign"]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, timezone.now())
    assert list(row.attempt_log.values_list("outcome", flat=True)) == ["sent"]


def test_bot_token_posts_to_the_managers_slack_user(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "sent"
    [request] = slack.to("/api/chat.postMessage")
    assert request.headers["Authorization"] == "Bearer xoxb-test-token"
    assert request.json()["channel"] == "UMANAGER"


def test_rate_limited_post_waits_for_retry_after_then_sends(cast, clock, slack, settings):
    settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS = 5
    slack.respond("/api/chat.postMessage", 429, {"ok": False, "error": "ratelimited"},
                  {"Retry-After": "120"})
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=120)
    assert "ratelimited" in row.last_error
    assert deliver.deliver(row.pk) == "not-due"  # Retry-After is honoured
    assert len(slack.requests) == 1
    clock.move_to(timezone.now() + timedelta(seconds=121))
    assert deliver.due_ids(timezone.now()) == [row.pk]
    assert deliver.deliver(row.pk) == "sent"
    attempts = list(EscalationAttempt.objects.filter(escalation=row).values_list(
        "outcome", "status_code", "retry_after_seconds"))
    assert attempts == [("transient", 429, 120.0), ("sent", None, None)]


def test_rate_limited_webhook_is_transient(cast, clock, slack, settings):
    settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS = 5  # below Retry-After, so it must decide
    cast.team.slack_webhook_url = slack.url + "/services/T1/B1/xyz"
    cast.team.save()
    slack.respond("/services/T1/B1/xyz", 429, "", {"Retry-After": "30"})
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.next_attempt_at == timezone.now() + timedelta(seconds=30)


def test_channel_not_found_fails_at_once_with_the_error_kept(cast, clock, slack):
    slack.respond("/api/chat.postMessage", 200, {"ok": False, "error": "channel_not_found"})
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.attempts == 1 and "channel_not_found" in row.last_error
    assert deliver.deliver(row.pk) == "not-due"
    assert len(slack.requests) == 1


def _failed_on_webhook(cast, clock, slack, path, status, body="", headers=None):
    """The team's webhook at `path` answers `status`: the delivery fails for good."""
    cast.team.slack_webhook_url = slack.url + path
    cast.team.save()
    slack.respond(path, status, body, headers or {})
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    return row


def test_webhook_404_no_service_is_permanent(cast, clock, slack):
    row = _failed_on_webhook(cast, clock, slack, "/services/T1/B1/gone", 404, "no_service")
    assert row.last_error == "slack webhook HTTP 404: no_service"


def test_server_errors_back_off_exponentially_then_give_up(cast, clock, slack, settings):
    settings.SLAWATCH_DELIVERY_MAX_ATTEMPTS = 3
    settings.SLAWATCH_DELIVERY_BACKOFF_SECONDS = 10
    cast.team.slack_webhook_url = slack.url + "/services/T1/B1/xyz"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL)
    delays = []
    for _ in range(3):
        slack.respond("/services/T1/B1/xyz", 500, "rollup_error")
        status = deliver.deliver(row.pk)
        row.refresh_from_db()
        if status == "pending":
            delays.append((row.next_attempt_at - timezone.now()).total_seconds())
            clock.move_to(row.next_attempt_at)
    assert delays == [10.0, 20.0]
    assert row.status == "failed" and "gave up after 3 attempts" in row.last_error
    assert len(slack.requests) == 3


def test_unreachable_slack_is_retried_later(cast, clock, slack):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cast.team.slack_webhook_url = f"http://127.0.0.1:{port}/services/x"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert "unreachable" in row.last_error


def test_missing_bot_token_is_a_permanent_failure(cast, clock, slack, settings):
    settings.SLACK_BOT_TOKEN = None
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error == "SLACK_BOT_TOKEN is not set, cannot post to Slack"
    assert slack.requests == []


def test_a_second_delivery_of_the_same_row_sends_nothing(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())  # another worker is sending it
    assert deliver.deliver(row.pk) == "not-due"
    assert slack.requests == []


def test_reaper_returns_rows_stuck_in_sending(cast, clock, slack, settings):
    settings.SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS = 300
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())  # then the worker died
    clock.move_to(timezone.now() + timedelta(seconds=200))
    assert deliver.reap(timezone.now()) == 0
    clock.move_to(timezone.now() + timedelta(seconds=101))
    assert deliver.reap(timezone.now()) == 1
    assert deliver.deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert row.attempts == 2


def test_email_goes_over_smtp_with_text_html_and_header(cast, clock, smtp, settings):
    settings.SLAWATCH_PUBLIC_URL = "https://slawatch.example.com"
    row = _breached(clock, MANAGER_EMAIL, name="Ana Ruiz")
    assert deliver.deliver(row.pk) == "sent"
    [(rcpts, message)] = smtp.messages
    assert rcpts == [cast.manager.email]
    assert message["X-Slawatch-Escalation-Id"] == str(row.pk)
    assert message["Subject"] == "[slawatch] Lead SLA breached: Ana Ruiz (hot)"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    link = f"https://slawatch.example.com/admin/leads/handoff/{row.handoff_id}/change/"
    assert "Owner: Rita Rep" in parts["text/plain"] and link in parts["text/plain"]
    assert "<th align='left'>Owner</th><td>Rita Rep</td>" in parts["text/html"]
    assert link in parts["text/html"]


def test_refused_email_recipient_fails_permanently(cast, clock, smtp):
    cast.manager.email = "nobody@example.com"
    cast.manager.save()
    row = _breached(clock, MANAGER_EMAIL)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert "recipient refused" in row.last_error and smtp.messages == []


def test_sweep_enqueues_delivery_on_commit(cast, clock, slack, django_capture_on_commit_callbacks):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=MANAGER_SLACK)
    assign()
    clock.move_to("2026-11-23 09:16:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep()
    assert Escalation.objects.get().status == "sent"
    assert len(slack.to("/api/chat.postMessage")) == 1


def test_deliver_due_task_reaps_and_sends_what_is_due(cast, clock, slack, settings):
    settings.SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS = 60
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())  # a worker took it and died
    assert tasks.deliver_due() == 0
    clock.move_to(timezone.now() + timedelta(seconds=61))
    assert tasks.deliver_due() == 1  # Celery runs eagerly in tests: sent right here
    row.refresh_from_db()
    assert row.status == "sent"
    assert len(slack.to("/api/chat.postMessage")) == 1


# --- What leaves the building (docs/SECURITY.md) -----------------------------------

def test_a_webhook_url_outside_the_allow_list_is_never_called(cast, clock, slack, settings):
    """A loopback URL stored before the policy (or by hand in the database) is refused."""
    settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ()
    cast.team.slack_webhook_url = slack.url + "/services/T1/B1/xyz"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error.startswith("slack webhook refused: URL must be https://hooks.slack.com/")
    assert slack.requests == []


def test_a_redirect_is_not_followed(cast, clock, slack):
    row = _failed_on_webhook(cast, clock, slack, "/services/T1/B1/xyz", 302,
                             headers={"Location": slack.url + "/latest/meta-data"})
    assert row.last_error == "slack webhook HTTP 302"
    assert [r.path for r in slack.requests] == ["/services/T1/B1/xyz"]


def test_last_error_keeps_the_status_and_slacks_code_never_a_body(cast, clock, slack):
    row = _failed_on_webhook(cast, clock, slack, "/services/T1/B1/xyz", 403,
                             "<html>internal admin page: token=s3cr3t</html>")
    assert row.last_error == "slack webhook HTTP 403"
    assert "s3cr3t" not in row.attempt_log.get().error


def test_a_web_api_answer_without_an_error_code_is_not_kept(cast, clock, slack):
    slack.respond("/api/chat.postMessage", 400, {"ok": False, "detail": "token=s3cr3t"})
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.last_error == "slack chat.postMessage HTTP 400"


# --- exactly once on the bot-token path: metadata, then a history check after a loss ---

def test_bot_post_carries_metadata_naming_the_escalation(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.deliver(row.pk) == "sent"
    [request] = slack.to("/api/chat.postMessage")
    assert request.json()["metadata"] == {"event_type": "slawatch_escalation",
                                          "event_payload": {"escalation_id": row.pk}}
    assert slack.to("/api/conversations.history") == []  # nothing was lost: no look-up


def test_post_accepted_before_the_worker_died_is_found_in_history_not_sent_again(
        cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())
    payload = {"text": "the message the dead worker got out",
               "metadata": {"event_type": "slawatch_escalation",
                            "event_payload": {"escalation_id": row.pk}}}
    slack.post_lost("UMANAGER", payload)
    clock.move_to(timezone.now() + timedelta(seconds=31))
    assert deliver.reap(timezone.now()) == 1
    row.refresh_from_db()
    assert row.status == "pending" and row.unconfirmed_since is not None
    assert deliver.deliver(row.pk) == "sent"
    assert slack.to("/api/chat.postMessage") == []
    assert len(slack.history["DUMANAGER"]) == 1
    [opened] = slack.to("/api/conversations.open")
    assert "users=UMANAGER" in opened.body.decode()
    [lookup] = slack.to("/api/conversations.history")
    args = lookup.body.decode() + lookup.path
    assert "channel=DUMANAGER" in args and "include_all_metadata=1" in args
    row.refresh_from_db()
    assert (row.status, row.unconfirmed_since) == ("sent", None)


def test_lost_send_that_never_reached_slack_is_sent_exactly_once(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    slack.post_lost("UMANAGER", {"text": "another escalation's message",
                                 "metadata": {"event_type": "slawatch_escalation",
                                              "event_payload": {"escalation_id": row.pk + 1}}})
    assert deliver.claim(row.pk, timezone.now())  # died before posting
    clock.move_to(timezone.now() + timedelta(seconds=31))
    deliver.reap(timezone.now())
    assert deliver.deliver(row.pk) == "sent"
    assert len(slack.to("/api/chat.postMessage")) == 1
    assert len(slack.history["DUMANAGER"]) == 2


def test_answer_lost_on_the_wire_is_checked_before_the_retry(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    slack.respond("/api/chat.postMessage", DROP, None)  # posted, answer never arrives
    assert deliver.deliver(row.pk) == "pending"
    row.refresh_from_db()
    assert row.unconfirmed_since == timezone.now()
    clock.move_to(row.next_attempt_at)
    assert deliver.deliver(row.pk) == "sent"
    assert len(slack.history["DUMANAGER"]) == 1  # one message, not two
    assert len(slack.to("/api/chat.postMessage")) == 1


def test_team_channel_is_looked_up_by_its_own_id(cast, clock, slack):
    cast.team.slack_channel = "C0SALES"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.claim(row.pk, timezone.now())
    slack.post_lost("C0SALES", {"text": "x", "metadata": {
        "event_type": "slawatch_escalation", "event_payload": {"escalation_id": row.pk}}})
    clock.move_to(timezone.now() + timedelta(seconds=31))
    deliver.reap(timezone.now())
    assert deliver.deliver(row.pk) == "sent"
    assert slack.to("/api/conversations.open") == []
    assert slack.to("/api/chat.postMessage") == []


def test_history_slack_refuses_to_show_falls_back_to_sending_again(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())
    clock.move_to(timezone.now() + timedelta(seconds=31))
    deliver.reap(timezone.now())
    slack.respond("/api/conversations.history", 200, {"ok": False, "error": "missing_scope"})
    assert deliver.deliver(row.pk) == "sent"
    assert len(slack.to("/api/chat.postMessage")) == 1


def test_lost_webhook_send_is_sent_again_without_a_lookup(cast, clock, slack):
    cast.team.slack_webhook_url = slack.url + "/services/T1/B1/xyz"
    cast.team.save()
    row = _breached(clock, TEAM_CHANNEL)
    assert deliver.claim(row.pk, timezone.now())
    clock.move_to(timezone.now() + timedelta(seconds=31))
    deliver.reap(timezone.now())
    assert deliver.deliver(row.pk) == "sent"
    assert len(slack.to("/services/T1/B1/xyz")) == 1
    assert slack.to("/api/conversations.history") == []


def test_stuck_row_is_retried_within_a_minute_by_default(cast, clock, slack):
    assert defaults.SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS < 60
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())
    clock.move_to(timezone.now() + timedelta(seconds=59))
    assert deliver.reap(timezone.now()) == 1


def test_sending_timeout_not_longer_than_a_send_stops_start_up():
    result = run(SHOW_DB, SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS="10",
                 SLAWATCH_HTTP_TIMEOUT_SECONDS="10")
    assert result.returncode != 0
    assert ("SLAWATCH_DELIVERY_SENDING_TIMEOUT_SECONDS=10 must be longer than "
            "SLAWATCH_HTTP_TIMEOUT_SECONDS=10") in result.stderr


def test_a_lookup_answered_in_an_unknown_shape_falls_back_to_sending_again(cast, clock, slack):
    row = _breached(clock, MANAGER_SLACK)
    assert deliver.claim(row.pk, timezone.now())
    clock.move_to(timezone.now() + timedelta(seconds=31))
    deliver.reap(timezone.now())
    slack.respond("/api/conversations.open", 200, {"ok": True, "channel": "not-an-object"})
    assert deliver.deliver(row.pk) == "sent"
    assert len(slack.to("/api/chat.postMessage")) == 1
