"""Slack: Block Kit payloads (pure) and sending through slack_sdk.

Two ways out: a team's incoming webhook (a plain POST that follows no redirect, to a
URL slawatch.outbound allows) and the bot token's
`chat.postMessage` to a person (their user id opens a DM) or a channel id.
slack_sdk's own retry handlers are switched off: the outbox retries with backoff
and records every attempt, so a retry never hides inside one attempt.

Every bot-token post carries Slack message metadata naming the escalation
(`metadata(escalation_id)`), so a send whose outcome was lost (the process died, the
answer timed out) can be looked up in the conversation's history (`was_posted`)
before it is sent again. Incoming webhooks have no such read-back.
"""

from __future__ import annotations

import re

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slawatch import outbound
from slawatch.escalation.channels import (
    STAGE_TITLE,
    WARNING,
    PermanentError,
    TransientError,
    classify_http,
)
from slawatch.leads.events import COLD, HOT, WARM
from slawatch.retry import retry_after_seconds

HEADER_MAX, FIELD_MAX, SECTION_MAX, BUTTON_MAX = 150, 2000, 3000, 75
# chat.postMessage errors worth retrying; every other `error` code is permanent
# (channel_not_found, not_in_channel, invalid_auth, is_archived, invalid_blocks, ...).
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}
ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")  # Slack's error codes: invalid_payload, ...
# Message metadata: the event type our posts carry, and how far back a lost send is looked
# for (history pages of HISTORY_PAGE_SIZE messages, at most HISTORY_MAX_PAGES of them).
METADATA_EVENT_TYPE = "slawatch_escalation"
HISTORY_PAGE_SIZE, HISTORY_MAX_PAGES = 200, 10
HEAT_ICON = {HOT: ":fire:", WARM: ":sunny:", COLD: ":snowflake:"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack mrkdwn control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _duration(minutes) -> str:
    if minutes is None:
        return "?"
    hours, rest = divmod(int(minutes), 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


def fallback_text(f: dict) -> str:
    return (f"{STAGE_TITLE[f['stage']]}: {f['lead_name']} ({f['heat']}) owned by "
            f"{f['owner_name']}, waiting {_duration(f['waiting_minutes'])} "
            f"for {f['milestone']} (SLA {_duration(f['sla_minutes'])})")


def _lead_field(f):
    name = _escape(f["lead_name"])
    if f.get("lead_url"):
        name = f"<{f['lead_url']}|{name}>"
    company = f" · {_escape(f['lead_company'])}" if f.get("lead_company") else ""
    return f"*Lead:*\n{name}{company}"


def _fields(f):
    owner = f"<@{f['owner_slack_id']}>" if f.get("owner_slack_id") else _escape(f["owner_name"])
    return [
        _lead_field(f),
        f"*Owner:*\n{owner}",
        f"*Heat:*\n{HEAT_ICON.get(f['heat'], '')} {_escape(f['heat'])}",
        f"*Source:*\n{_escape(f['source'])}",
        f"*Waiting:*\n{_duration(f['waiting_minutes'])} (SLA {_duration(f['sla_minutes'])})",
        f"*Milestone:*\n{_escape(f['milestone'])}",
    ]


def _button(text, action_id, value, style=None, url=None):
    button = {"type": "button", "action_id": action_id,
              "text": {"type": "plain_text", "text": _cut(text, BUTTON_MAX)}, "value": value}
    if style:
        button["style"] = style
    if url:
        button["url"] = url
    return button


def actions(f: dict) -> dict:
    value = f"handoff:{f['handoff_id']}"
    elements = [_button("Acknowledge", "slawatch_ack", value, style="primary"),
                _button("Snooze 30 min", "slawatch_snooze", value),
                _button("Reassign", "slawatch_reassign", value, style="danger")]
    if f.get("lead_url"):
        elements.append(_button("Open in CRM", "slawatch_open", value, url=f["lead_url"]))
    if f.get("admin_url"):
        elements.append(_button("Open in slawatch", "slawatch_admin", value, url=f["admin_url"]))
    return {"type": "actions", "block_id": "slawatch_actions", "elements": elements}


def payload(f: dict) -> dict:
    """The escalation message: header, facts, buttons; `text` is the notification fallback."""
    header = f"{':rotating_light:' if f['stage'] != WARNING else ':hourglass:'} " \
             f"{STAGE_TITLE[f['stage']]}"
    return {
        "text": _cut(fallback_text(f), SECTION_MAX),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(header, HEADER_MAX)}},
            {"type": "section", "block_id": "slawatch_facts",
             "fields": [{"type": "mrkdwn", "text": _cut(t, FIELD_MAX)} for t in _fields(f)]},
            actions(f),
        ],
    }


def digest_payload(d: dict) -> dict:
    """One summary instead of a message per escalation (a digest or a catch-up); stays
    under Slack's 50 blocks."""
    title = d["title"]
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_MAX)}}]
    for item in d["items"]:
        line = f"*{STAGE_TITLE[item['stage']]}* · " + _lead_field(item).replace("*Lead:*\n", "")
        line += (f"\n{_escape(item['owner_name'])} · {_escape(item['heat'])} · "
                 f"waiting {_duration(item['waiting_minutes'])} "
                 f"(SLA {_duration(item['sla_minutes'])})")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(line, SECTION_MAX)}})
    if d["more"]:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"and {d['more']} more"}]})
    blocks = blocks[:50]
    return {"text": title, "blocks": blocks}


def send_webhook(url: str, body: dict, timeout: int, *, allowed_hosts) -> None:
    """Incoming webhook: HTTP 200 with body `ok` is success, anything else an error code.

    The URL passes slawatch.outbound's policy first (hooks.slack.com or an allow-listed
    host, public addresses only); a redirect is an error, never followed."""
    status, text, headers = _post_json(url, body, timeout, allowed_hosts, "slack webhook")
    if status == 200:
        return
    raise classify_http(status, f"slack webhook HTTP {status}{_code_suffix(text)}", headers)


def _post_json(url, body, timeout, allowed_hosts, what) -> tuple[int, str, dict]:
    """POST JSON without following redirects. Written with requests rather than
    slack_sdk's WebhookClient, whose urllib opener follows redirects with no way to stop it."""
    try:
        outbound.check_destination(url, allowed_hosts)
    except outbound.OutboundRefused as exc:
        raise PermanentError(f"{what} refused: {exc}") from None
    except OSError as exc:  # the host does not resolve (now)
        raise TransientError(f"{what} unreachable: {exc}") from None
    try:
        response = requests.post(url, json=body, timeout=timeout, allow_redirects=False)
    except requests.RequestException as exc:  # refused, reset, timed out
        raise TransientError(f"{what} unreachable: {type(exc).__name__}") from None
    return response.status_code, response.text, dict(response.headers)


def _code_suffix(text) -> str:
    """Slack's error code (`no_service`, `invalid_payload`), never an arbitrary body: a
    misdirected URL's answer must not end up in last_error, which people read."""
    code = (text or "").strip()
    return f": {code}" if ERROR_CODE.fullmatch(code) else ""


def metadata(escalation_id: int) -> dict:
    """The message metadata naming the escalation a post is for."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"escalation_id": escalation_id}}


def _client(token: str, base_url: str, timeout: int) -> WebClient:
    return WebClient(token=token, base_url=base_url.rstrip("/") + "/", timeout=timeout,
                     retry_handlers=[])


def post_message(token: str, base_url: str, channel: str, body: dict, timeout: int,
                 escalation_id: int | None = None) -> None:
    """chat.postMessage with the bot token; {"ok": false, "error": ...} is classified.
    A failure without a readable answer (reset, timed out) may still have posted the
    message: it is marked `maybe_sent`, and the next attempt looks in the history first."""
    extra = {"metadata": metadata(escalation_id)} if escalation_id is not None else {}
    try:
        _client(token, base_url, timeout).chat_postMessage(channel=channel, **body, **extra)
    except SlackApiError as exc:
        raise _classify_api_error(exc, "chat.postMessage") from None
    except ConnectionRefusedError as exc:  # nothing reached Slack
        raise TransientError(f"slack API unreachable: {exc}") from None
    except OSError as exc:  # reset or timed out: the request may have been read
        raise TransientError(f"slack API unreachable: {exc}", maybe_sent=True) from None
    except ValueError as exc:  # a non-JSON body from a proxy in between
        raise TransientError(f"slack API answered something unreadable: {exc}",
                             maybe_sent=True) from None


def _has_escalation(message: dict, escalation_id: int) -> bool:
    meta = message.get("metadata") or {}
    return (meta.get("event_type") == METADATA_EVENT_TYPE
            and (meta.get("event_payload") or {}).get("escalation_id") == escalation_id)


def was_posted(token: str, base_url: str, channel: str, escalation_id: int, oldest: float,
               timeout: int) -> bool:
    """Whether the conversation holds a message, posted since `oldest` (epoch seconds),
    whose metadata names the escalation: conversations.history with include_all_metadata,
    as Slack documents for reading metadata back. A user id is first turned into the id
    of the bot's DM with them (conversations.open), since history is per conversation."""
    client = _client(token, base_url, timeout)
    method = "conversations.open"
    try:
        if channel[:1] in ("U", "W"):
            channel = client.conversations_open(users=channel)["channel"]["id"]
        method, cursor = "conversations.history", None
        for _ in range(HISTORY_MAX_PAGES):
            page = client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True,
                limit=HISTORY_PAGE_SIZE, cursor=cursor)
            if any(_has_escalation(m, escalation_id) for m in page.get("messages") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False
        return False
    except SlackApiError as exc:
        raise _classify_api_error(exc, method) from None
    except (OSError, ValueError) as exc:
        raise TransientError(f"slack {method} failed: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:  # not Slack's documented shape
        raise PermanentError(f"slack {method} answered an unexpected shape: {exc!r}") from None


def _classify_api_error(exc: SlackApiError, method: str):
    response = exc.response
    status = getattr(response, "status_code", None) or 0
    data = getattr(response, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    message = f"slack {method} HTTP {status}{_code_suffix(error)}"
    if status in (408, 429) or status >= 500 or error in TRANSIENT_ERRORS:
        return TransientError(message, status_code=status,
                              retry_after=retry_after_seconds(getattr(response, "headers", None)))
    return PermanentError(message, status_code=status)


def after_action(blocks: list, action_id: str, outcome: str) -> list:
    """The clicked message, updated: the outcome appended; the buttons removed once the
    handoff is acknowledged or reassigned (a snooze keeps them for a later click)."""
    keep_buttons = action_id == "slawatch_snooze"
    kept = [b for b in blocks if isinstance(b, dict)
            and (keep_buttons or b.get("block_id") != "slawatch_actions")]
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(outcome, SECTION_MAX)}]}
    return kept[:49] + [note]


def update_message(response_url: str, text: str, blocks: list | None, timeout: int, *,
                   allowed_hosts) -> int:
    """Replace the clicked message (best effort). Returns the HTTP status."""
    body = {"replace_original": True, "text": text}
    if blocks is not None:
        body["blocks"] = blocks
    return _post_json(response_url, body, timeout, allowed_hosts, "slack response_url")[0]


def reply_privately(response_url: str, text: str, timeout: int, *, allowed_hosts) -> int:
    """A message only the clicker sees, leaving the original as it was (a refused click)."""
    body = {"response_type": "ephemeral", "replace_original": False, "text": text}
    return _post_json(response_url, body, timeout, allowed_hosts, "slack response_url")[0]
