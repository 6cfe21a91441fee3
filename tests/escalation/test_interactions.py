import json
import time
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
from django.utils import timezone

from slawatch.escalation.models import SlackAction
from slawatch.leads.models import Handoff
from tests.escalation.conftest import SIGNING_SECRET, assign, slack_headers, slack_signature
from tests.factories import PersonFactory, PolicyFactory, TeamFactory

URL = "/slack/interactions/"


def test_signature_helper_matches_the_slack_sdk_vector():
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
            "&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
            "&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id="
            "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert slack_signature(SIGNING_SECRET, "1531420618", body) == \
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


MESSAGE_BLOCKS = [
    {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "Lead SLA breached"}},
    {"type": "actions", "block_id": "slawatch_actions", "elements": []}]


def _form(action_id, handoff_id, response_url="", user="UMANAGER",
          action_ts="1718000187.654321"):
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "jdoe", "name": "jdoe", "team_id": "T0123ABCD"},
        "api_app_id": "A0789IJKL", "token": "legacyVerificationTok3n",
        "container": {"type": "message", "message_ts": "1718000123.000200",
                      "channel_id": "C0123ABCD", "is_ephemeral": False},
        "trigger_id": "7234567890123.1234567890.0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "team": {"id": "T0123ABCD", "domain": "acme"}, "enterprise": None,
        "is_enterprise_install": False, "channel": {"id": "C0123ABCD", "name": "sales"},
        "message": {"type": "message", "ts": "1718000123.000200", "text": "SLA breach",
                    "blocks": MESSAGE_BLOCKS},
        "state": {"values": {}}, "response_url": response_url,
        "actions": [{"type": "button", "action_id": action_id, "block_id": "slawatch_actions",
                     "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
                     "value": f"handoff:{handoff_id}", "action_ts": action_ts}]}
    return "payload=" + quote_plus(json.dumps(payload))


def _post(client, body, **headers):
    return client.post(URL, data=body, content_type="application/x-www-form-urlencoded",
                       **(headers or slack_headers(body)))


@pytest.fixture
def breached(cast, slack):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    return assign(at=(timezone.now() - timedelta(minutes=20)).isoformat())


def test_acknowledge_button_acks_before_answering_and_updates_the_message(
        client, breached, slack, cast, django_capture_on_commit_callbacks):
    body = _form("slawatch_ack", breached.pk, response_url=slack.url + "/actions/T1/123/abc")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, body)
    assert response.status_code == 200
    breached.refresh_from_db()
    assert breached.acknowledged_by == "slack:UMANAGER"
    assert breached.status == "breached" and breached.next_due_at is None
    action = SlackAction.objects.get()
    assert (action.slack_user_id, action.person, action.action_id, action.refused) == (
        "UMANAGER", cast.manager, "slawatch_ack", False)
    [update] = slack.to("/actions/T1/123/abc")
    assert update.json()["replace_original"] is True
    assert update.json()["text"].startswith("Acknowledged by <@UMANAGER>")
    blocks = update.json()["blocks"]
    assert [b["type"] for b in blocks] == ["header", "context"]  # no buttons left to click
    assert blocks[-1]["elements"][0]["text"].startswith("Acknowledged by <@UMANAGER>")


def test_the_handoffs_rep_may_acknowledge_their_own_handoff(client, breached, cast):
    _post(client, _form("slawatch_ack", breached.pk, user="UREP1"))
    breached.refresh_from_db()
    assert breached.acknowledged_by == "slack:UREP1"
    assert SlackAction.objects.get().person == cast.rep


def test_snooze_button_holds_the_ladder_for_thirty_minutes(client, breached):
    assert _post(client, _form("slawatch_snooze", breached.pk, user="UREP1")).status_code == 200
    breached.refresh_from_db()
    assert breached.snoozed_until == pytest.approx(timezone.now() + timedelta(minutes=30),
                                                   abs=timedelta(seconds=5))
    assert breached.next_due_at >= breached.snoozed_until


def test_reassign_button_moves_the_lead_to_the_next_rep(client, breached, cast):
    assert _post(client, _form("slawatch_reassign", breached.pk)).status_code == 200
    breached.refresh_from_db()
    assert breached.close_reason == "reassigned"
    current = Handoff.objects.get(lead=breached.lead, closed_at__isnull=True)
    assert current.rep == cast.rep2
    assert SlackAction.objects.get().outcome == "Reassigned to Ravi Rep by <@UMANAGER>"


def test_bad_signature_is_401_and_changes_nothing(client, breached):
    body = _form("slawatch_ack", breached.pk)
    headers = slack_headers(body, secret="not-the-secret")
    assert _post(client, body, **headers).status_code == 401
    breached.refresh_from_db()
    assert breached.acknowledged_at is None and not SlackAction.objects.exists()


def test_stale_timestamp_is_401(client, breached):
    body = _form("slawatch_ack", breached.pk)
    response = _post(client, body, **slack_headers(body, now=time.time() - 301))
    assert response.status_code == 401
    assert response.json() == {"error": "invalid or stale Slack signature"}


def test_tampered_body_is_401(client, breached):
    body = _form("slawatch_ack", breached.pk)
    headers = slack_headers(body)
    assert _post(client, body.replace("slawatch_ack", "slawatch_reassign"), **headers).status_code == 401


def test_missing_signing_secret_refuses_everything(client, breached, settings):
    settings.SLACK_SIGNING_SECRET = None
    body = _form("slawatch_ack", breached.pk)
    assert _post(client, body).status_code == 401


@pytest.mark.parametrize("body, message", [
    ("nothing=here", "form field 'payload' is missing"),
    ("payload=%7Bnot-json", "payload is not JSON"),
    ("payload=" + quote_plus(json.dumps({"type": "view_submission"})),
     "only block_actions payloads are handled"),
])
def test_malformed_payload_is_400_with_a_message(client, breached, body, message):
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_unknown_handoff_is_404(client, breached):
    response = _post(client, _form("slawatch_ack", 999999))
    assert response.status_code == 404


# --- Who may click (docs/SECURITY.md) ---------------------------------------------

def _assert_unchanged(handoff):
    before = (handoff.acknowledged_at, handoff.snoozed_until, handoff.closed_at, handoff.rep_id)
    handoff.refresh_from_db()
    assert (handoff.acknowledged_at, handoff.snoozed_until, handoff.closed_at,
            handoff.rep_id) == before
    assert Handoff.objects.filter(lead=handoff.lead).count() == 1


@pytest.mark.parametrize("action_id", ["slawatch_ack", "slawatch_snooze", "slawatch_reassign"])
def test_a_slack_user_unknown_to_slawatch_changes_nothing_and_is_told_why(
        client, breached, slack, action_id, django_capture_on_commit_callbacks):
    body = _form(action_id, breached.pk, user="UGUEST", response_url=slack.url + "/actions/g")
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, body).status_code == 200
    _assert_unchanged(breached)
    record = SlackAction.objects.get()
    assert record.refused and record.person is None and "not linked" in record.outcome
    [reply] = slack.to("/actions/g")
    assert reply.json()["response_type"] == "ephemeral"
    assert reply.json()["replace_original"] is False  # the message stays for those who may
    assert "not linked to an active person" in reply.json()["text"]


def test_a_rep_cannot_act_on_another_reps_handoff(client, breached, cast):
    _post(client, _form("slawatch_ack", breached.pk, user="UREP2"))  # Ravi, same team
    _assert_unchanged(breached)
    assert SlackAction.objects.get().refused


def test_a_rep_cannot_reassign_even_their_own_handoff(client, breached, cast, slack,
                                                     django_capture_on_commit_callbacks):
    body = _form("slawatch_reassign", breached.pk, user="UREP1",
                 response_url=slack.url + "/actions/r")
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, body)
    _assert_unchanged(breached)
    [reply] = slack.to("/actions/r")
    assert reply.json()["text"].startswith("Only the team's manager or escalation contact")


def test_another_teams_manager_and_marketing_cannot_act(client, breached, cast):
    west = TeamFactory(name="West")
    west.manager = PersonFactory(name="Will", role="manager", team=west, slack_user_id="UWEST")
    west.save()
    cast.marketer.slack_user_id = "UMKT"
    cast.marketer.save()
    for user in ("UWEST", "UMKT"):
        _post(client, _form("slawatch_snooze", breached.pk, user=user, action_ts=user))
    _assert_unchanged(breached)
    assert list(SlackAction.objects.values_list("refused", flat=True)) == [True, True]


def test_an_inactive_person_cannot_act(client, breached, cast):
    cast.manager.is_active = False
    cast.manager.save()
    _post(client, _form("slawatch_ack", breached.pk, user="UMANAGER"))
    _assert_unchanged(breached)
    assert SlackAction.objects.get().refused


def test_the_escalation_contact_may_reassign(client, breached, cast):
    cast.director.slack_user_id = "UDIRECTOR"
    cast.director.save()
    _post(client, _form("slawatch_reassign", breached.pk, user="UDIRECTOR"))
    assert Handoff.objects.get(lead=breached.lead, closed_at__isnull=True).rep == cast.rep2


def test_a_replayed_click_is_acted_on_once(client, breached, cast):
    """The same signed request sent again inside Slack's 5-minute window does nothing."""
    body = _form("slawatch_snooze", breached.pk, user="UREP1")
    headers = slack_headers(body)
    assert _post(client, body, **headers).status_code == 200
    breached.refresh_from_db()
    first = breached.snoozed_until
    Handoff.objects.filter(pk=breached.pk).update(snoozed_until=None)  # the snooze ran out
    assert _post(client, body, **headers).status_code == 200
    breached.refresh_from_db()
    assert breached.snoozed_until is None and first is not None
    assert SlackAction.objects.count() == 1
    # A new click (new action_ts) by the same person is acted on.
    _post(client, _form("slawatch_snooze", breached.pk, user="UREP1", action_ts="1718000999.1"))
    breached.refresh_from_db()
    assert breached.snoozed_until is not None


def test_a_response_url_outside_the_outbound_policy_is_not_called(
        client, breached, slack, settings, django_capture_on_commit_callbacks):
    settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS = ()
    body = _form("slawatch_ack", breached.pk, response_url=slack.url + "/actions/x")
    with django_capture_on_commit_callbacks(execute=True):
        assert _post(client, body).status_code == 200
    breached.refresh_from_db()
    assert breached.acknowledged_at is not None and slack.to("/actions/x") == []
