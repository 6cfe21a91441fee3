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


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self):
        return json.loads(self.body)


class SlackFake:
    """Incoming webhooks answer `ok` (text/plain); Web API methods answer {"ok": true, ...}.
    `respond(path, status, body, headers)` scripts the next answer for a path."""

    def __init__(self):
        self.requests: list[Received] = []
        self.script: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.requests.append(Received(self.path, dict(self.headers), body))
                    scripted = fake.script[self.path].popleft() if fake.script[self.path] else None
                status, text, headers = scripted or fake.default(self.path)
                data = text.encode() if isinstance(text, str) else json.dumps(text).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(text, str) else "application/json; charset=utf-8"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # so a followed redirect (POST turned GET) shows up too

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def default(self, path):
        if path.startswith("/api/"):
            return 200, {"ok": True, "channel": "D0001", "ts": "1718000123.000200"}, None
        return 200, "ok", None

    def respond(self, path, status, body, headers=None):
        self.script[path].append((status, body, headers))

    def to(self, path):
        return [r for r in self.requests if r.path == path]

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
