"""Real servers on 127.0.0.1 for delivery tests: a Slack fake speaking Slack's HTTP answers,
and an aiosmtpd SMTP server. Only the process edge is faked; slack_sdk and Django's SMTP
backend talk to these exactly as they would to Slack and a mail relay."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self):
        return json.loads(self.body)


DROP = "drop"


class SlackFake:
    """Incoming webhooks answer `ok` (text/plain); Web API methods answer {"ok": true, ...}.
    `respond(path, status, body, headers)` scripts the next answer for a path.

    Like Slack, an accepted chat.postMessage becomes a message of its conversation (a user
    id posts into the bot's DM with that user, `D<user id>`), with the `metadata` it was
    posted with; conversations.open answers that DM's id, and conversations.history
    pages through a conversation's messages newest first,
    `oldest` excluded, and returns their metadata only when `include_all_metadata` is set.
    `post_lost(...)` stores a message as if it had been posted while the answer got lost;
    `respond(path, DROP, None)` does the work and then closes the connection unanswered."""

    def __init__(self):
        self.requests: list[Received] = []
        self.script: dict[str, deque] = defaultdict(deque)
        self.history: dict[str, list[dict]] = defaultdict(list)
        self.lock = threading.Lock()
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: bytes):
                path = urlsplit(self.path).path
                with fake.lock:
                    fake.requests.append(Received(self.path, dict(self.headers), body))
                    scripted = fake.script[path].popleft() if fake.script[path] else None
                    status, text, headers = scripted or fake.default(self.path, body)
                if status == DROP:  # Slack did the work, the answer never arrives
                    fake.default(self.path, body)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = text.encode() if isinstance(text, str) else json.dumps(text).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(text, str) else "application/json; charset=utf-8"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def do_GET(self):
                self._answer(b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @staticmethod
    def conversation(channel: str) -> str:
        return f"D{channel}" if channel[:1] in ("U", "W") else channel

    def _store(self, channel: str, body: dict) -> dict:
        """Keep a posted message in its conversation (call with the lock held)."""
        self._ts += 1
        message = {"type": "message", "ts": f"{int(time.time())}.{self._ts:06d}",
                   "text": body.get("text", "")}
        if body.get("metadata"):
            message["metadata"] = body["metadata"]
        self.history[self.conversation(channel)].append(message)
        return message

    def post_lost(self, channel: str, body: dict) -> None:
        with self.lock:
            self._store(channel, body)

    def default(self, path, body=b""):
        url = urlsplit(path)
        method = url.path.rsplit("/", 1)[-1]
        if method == "chat.postMessage":
            data = json.loads(body)
            message = self._store(data["channel"], data)
            return 200, {"ok": True, "channel": self.conversation(data["channel"]),
                         "ts": message["ts"], "message": message}, None
        if method == "conversations.open":
            users = parse_qs(body.decode())["users"][0]
            return 200, {"ok": True, "channel": {"id": self.conversation(users)}}, None
        if method == "conversations.history":
            # Arguments as a query string or a form body: Slack reads both.
            return 200, self._history_page(parse_qs(url.query) or parse_qs(body.decode())), None
        if url.path.startswith("/api/"):
            return 200, {"ok": True, "channel": "D0001", "ts": "1718000123.000200"}, None
        return 200, "ok", None

    def _history_page(self, query) -> dict:
        channel = query["channel"][0]
        if channel not in self.history:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(query.get("oldest", ["0"])[0])
        limit = int(query.get("limit", ["100"])[0])
        start = int(query.get("cursor", ["0"])[0] or 0)
        metadata = query.get("include_all_metadata", ["0"])[0] in ("1", "true")
        newest_first = [m for m in reversed(self.history[channel]) if float(m["ts"]) > oldest]
        page = newest_first[start:start + limit]
        if not metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {"ok": True, "messages": page, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def respond(self, path, status, body, headers=None):
        self.script[path].append((status, body, headers))

    def to(self, path):
        return [r for r in self.requests if urlsplit(r.path).path == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    """aiosmtpd handler: keeps every accepted message; refuses listed recipients with 550."""

    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"
