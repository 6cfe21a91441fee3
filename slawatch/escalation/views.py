"""POST /slack/interactions/: Slack button clicks on escalation messages.

Verified with slack_sdk's SignatureVerifier over the raw body. The clicking Slack user
must be an active person allowed to act on the handoff (slawatch.access.handoff_rules);
the action is done (acknowledge, snooze, reassign) before the 200, well inside Slack's
3 s, and the message is then updated through `response_url` by a task after commit. A
refused click changes nothing and gets a private reply saying why; a replayed click
(the same action_ts from the same user) is answered 200 and ignored.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from slawatch import outbound
from slawatch.access import handoff_rules
from slawatch.escalation.channels.slack import after_action
from slawatch.escalation.services import slack_action_apply
from slawatch.leads.models import Handoff
from slawatch.leads.services import HandoffGone
from slawatch.tasking import enqueue_on_commit

log = logging.getLogger(__name__)

# Slack button -> the action it asks for, in the access rule's words.
SLACK_ACTIONS = {"slawatch_ack": handoff_rules.ACKNOWLEDGE,
                 "slawatch_snooze": handoff_rules.SNOOZE,
                 "slawatch_reassign": handoff_rules.REASSIGN}


class BadInteraction(ValueError):
    pass


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _verified(request) -> bool:
    secret = settings.SLACK_SIGNING_SECRET
    if not secret:
        return False
    return SignatureVerifier(secret).is_valid(
        body=request.body, timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"))


@dataclass(frozen=True)
class Click:
    action_id: str
    handoff_id: int
    user_id: str
    click_id: str      # action_ts, else trigger_id: what makes a replay recognisable
    response_url: str  # "" when absent or not somewhere slawatch may send to
    blocks: list


def _parse(request) -> Click:
    raw = request.POST.get("payload")
    if not raw:
        raise BadInteraction("form field 'payload' is missing")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise BadInteraction("payload is not JSON") from None
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        raise BadInteraction("only block_actions payloads are handled")
    action = next((a for a in payload.get("actions") or []
                   if isinstance(a, dict) and a.get("action_id") in SLACK_ACTIONS), None)
    if action is None:
        raise BadInteraction(f"no action among {', '.join(SLACK_ACTIONS)}")
    value = str(action.get("value", ""))
    if not value.startswith("handoff:") or not value[8:].isdigit():
        raise BadInteraction("action value must be 'handoff:<id>'")
    user = (payload.get("user") or {}).get("id")
    if not isinstance(user, str) or not user:
        raise BadInteraction("user.id is missing")
    click_id = action.get("action_ts") or payload.get("trigger_id")
    if not isinstance(click_id, str) or not click_id:
        raise BadInteraction("actions[].action_ts (or trigger_id) is missing")
    blocks = (payload.get("message") or {}).get("blocks")
    return Click(action["action_id"], int(value[8:]), user, click_id,
                 _response_url(payload.get("response_url")),
                 blocks if isinstance(blocks, list) else [])


def _response_url(value) -> str:
    url = value if isinstance(value, str) else ""
    if url and outbound.url_problem(url, settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS) is not None:
        log.warning("ignoring a Slack response_url outside the outbound policy")
        return ""
    return url


@csrf_exempt
@require_POST
def slack_interactions(request):
    if not settings.SLACK_SIGNING_SECRET:
        log.error("SLACK_SIGNING_SECRET is not set; refusing Slack interactions")
    if not _verified(request):
        return _error(401, "invalid or stale Slack signature")
    try:
        click = _parse(request)
    except BadInteraction as exc:
        return _error(400, str(exc))
    handoff = Handoff.objects.filter(pk=click.handoff_id).select_related("lead").first()
    if handoff is None:
        return _error(404, f"handoff {click.handoff_id} does not exist")
    person = handoff_rules.person_for_slack_user(click.user_id)
    refusal = None if person is None else handoff_rules.refusal(
        person, handoff, SLACK_ACTIONS[click.action_id])
    try:
        outcome = slack_action_apply(action_id=click.action_id, handoff=handoff,
                                     slack_user_id=click.user_id, person=person,
                                     refusal=refusal, click_id=click.click_id,
                                     snooze_minutes=settings.SLAWATCH_SNOOZE_MINUTES)
    except HandoffGone as exc:  # deleted between our read and the click's action
        return _error(404, str(exc))
    if click.response_url and not outcome.replay:
        if outcome.refused:
            _reply_later(click.response_url, outcome.text)
        else:
            text = f"{outcome.text} · {handoff.lead}"
            _update_later(click.response_url, text,
                          after_action(click.blocks, click.action_id, text))
    return HttpResponse(status=200)


def _reply_later(response_url, text):
    # Best effort, like the update below: the refusal is already recorded.
    enqueue_on_commit("slawatch.escalation.tasks.reply_to_slack_click", response_url, text)


def _update_later(response_url, text, blocks):
    # Best effort: if the broker is down, the click already did its work.
    enqueue_on_commit("slawatch.escalation.tasks.update_slack_message", response_url, text, blocks)
