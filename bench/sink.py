"""A loopback Slack: answers the Web API (`chat.postMessage`, `chat.update`, ...) and
incoming-webhook URLs the way Slack does, records every POST with its arrival time,
and can be told to fail first (429 with Retry-After, 5xx) to drill retries.

Like Slack, a posted message joins its conversation's history with its metadata (a user
id posts into the bot's DM, `D<user id>`): `conversations.open` and
`conversations.history` (`include_all_metadata`) read it back, which is how a send
lost in a crash is found before it is sent again.

Used by the bench scripts and by tests/drills. Binds 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that died mid-request (the kill drill does that) is not news."""


@dataclass
class Received:
    at: float  # time.time() when the request was read
    path: str
    headers: dict
    body: dict | str
    status: int  # what the sink answered


@dataclass
class Fault:
    status: int
    retry_after: int | None = None


@dataclass
class SlackSink:
    port: int = 0
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0  # seconds before answering: a slow Slack keeps sends in flight
    received: list[Received] = field(default_factory=list)
    history: dict = field(default_factory=dict)  # conversation id -> messages, oldest first

    def __post_init__(self):
        self._lock = threading.Lock()
        self._ts = 0
        self.server = _QuietServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/"

    def start(self) -> SlackSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def delivered(self) -> list[Received]:
        """The message posts that were answered as successes (what a human would have
        seen); history look-ups are not messages."""
        with self._lock:
            return [r for r in self.received if r.status == 200
                    and "/conversations." not in r.path]

    def lookups(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if "/conversations." in r.path]

    def _answer(self, path: str, body) -> tuple[int, dict, bytes]:
        if "/conversations." in path:
            return 200, {}, json.dumps(self._conversations(path, body)).encode()
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
            self._ts += 1
            ts = f"{int(time.time())}.{self._ts:06d}"
            if fault is None and path.endswith("chat.postMessage") and isinstance(body, dict):
                message = {"type": "message", "ts": ts, "text": body.get("text", "")}
                if body.get("metadata"):
                    message["metadata"] = body["metadata"]
                self.history.setdefault(_conversation(body.get("channel", "")), []).append(message)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            error = "ratelimited" if fault.status == 429 else "internal_error"
            return fault.status, headers, json.dumps({"ok": False, "error": error}).encode()
        if "/api/" in path:  # Web API method
            return 200, {}, json.dumps({"ok": True, "channel": "C0BENCH", "ts": ts,
                                        "message": {"ts": ts}}).encode()
        return 200, {}, b"ok"  # incoming webhook

    def _conversations(self, path: str, args) -> dict:
        args = args if isinstance(args, dict) else {}
        if path.endswith("conversations.open"):
            return {"ok": True, "channel": {"id": _conversation(args.get("users", ""))}}
        with self._lock:
            messages = list(self.history.get(args.get("channel", ""), []))
        oldest = float(args.get("oldest") or 0)
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        newest_first = [m for m in reversed(messages) if float(m["ts"]) > oldest]
        if str(args.get("include_all_metadata")) not in ("1", "true"):
            newest_first = [{k: v for k, v in m.items() if k != "metadata"} for m in newest_first]
        more = start + limit < len(newest_first)
        return {"ok": True, "messages": newest_first[start:start + limit], "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _record(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like Slack

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8", "replace")
                at = time.time()
                if sink.delay:
                    time.sleep(sink.delay)
                parsed = _parse(raw, self.headers.get("Content-Type", ""))
                status, headers, body = sink._answer(self.path, parsed)
                sink._record(Received(at, self.path, dict(self.headers), parsed, status))
                self.send_response(status)
                ctype = "application/json; charset=utf-8" if body[:1] == b"{" else "text/plain"
                self.send_header("Content-Type", ctype)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep bench output clean
                pass

        return Handler


def _conversation(channel: str) -> str:
    """A user id posts into the bot's DM with that user."""
    return f"D{channel}" if channel[:1] in ("U", "W") else channel


def _parse(raw: str, content_type: str):
    if "json" in content_type or raw[:1] in "{[":
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if "form" in content_type:
        return {k: v[0] for k, v in parse_qs(raw).items()}
    return raw
