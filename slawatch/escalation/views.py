"""POST /slack/interactions/: Slack button clicks on escalation messages.

Verified with slack_sdk's SignatureVerifier over the raw body; the action is done
(acknowledge, snooze, reassign) before the 200, well inside Slack's 3 s, and the
message is then updated through `response_url` by a task after commit.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from slack_sdk.signature import SignatureVerifier

from slawatch.escalation.channels.slack import after_action
from slawatch.escalation.services import SLACK_ACTIONS, slack_action_apply
from slawatch.leads.models import Handoff
from slawatch.tasking import enqueue_on_commit

log = logging.getLogger(__name__)


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


def _parse(request) -> tuple[str, int, str, str, list]:
    """(action_id, handoff id, slack user id, response_url, the message's blocks)."""
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
    blocks = (payload.get("message") or {}).get("blocks")
    return (action["action_id"], int(value[8:]), user, str(payload.get("response_url") or ""),
            blocks if isinstance(blocks, list) else [])


@csrf_exempt
@require_POST
def slack_interactions(request):
    if not settings.SLACK_SIGNING_SECRET:
        log.error("SLACK_SIGNING_SECRET is not set; refusing Slack interactions")
    if not _verified(request):
        return _error(401, "invalid or stale Slack signature")
    try:
        action_id, handoff_id, user_id, response_url, blocks = _parse(request)
    except BadInteraction as exc:
        return _error(400, str(exc))
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is None:
        return _error(404, f"handoff {handoff_id} does not exist")
    outcome = slack_action_apply(action_id=action_id, handoff=handoff, slack_user_id=user_id,
                                 snooze_minutes=settings.SLAWATCH_SNOOZE_MINUTES)
    if response_url.startswith("https://") or response_url.startswith("http://"):
        text = f"{outcome} · {handoff.lead}"
        _update_later(response_url, text, after_action(blocks, action_id, text))
    return HttpResponse(status=200)


def _update_later(response_url, text, blocks):
    # Best effort: if the broker is down, the click already did its work.
    enqueue_on_commit("slawatch.escalation.tasks.update_slack_message", response_url, text, blocks)
