"""A loopback HubSpot CRM API holding N changed contacts and M engagements.

POST /crm/v3/objects/{type}/search with a GTE filter on the modification property,
ascending sort, `limit` (max 200) and `after`; `total`, `results`, `paging.next.after`.
Calls, emails and meetings (40 / 40 / 20 % of M) are searched the same way, each made
by the contact's owner a few minutes after the contact was assigned, and POST
/crm/v4/associations/{type}/contacts/batch/read (at most 1,000 inputs) names each one's
contact. Like HubSpot it refuses to page past 10,000 results (400) and answers 429 with
Retry-After above 5 requests per second (every request counts). Every call is recorded.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESULT_CAP, PAGE_MAX, RATE_PER_S = 10_000, 200, 5


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{ms % 1000:03d}Z"


class HubSpotFake:
    KINDS = {"calls": 0.4, "emails": 0.4, "meetings": 0.2}

    def __init__(self, contacts: int, span_ms: int, end_ms: int | None = None,
                 owner: str = "81234567", engagements: int = 0):
        end_ms = end_ms or int(time.time() * 1000) - 60_000
        step = span_ms / contacts
        self.modified = [int(end_ms - span_ms + i * step) for i in range(contacts)]
        self.owner = owner
        # kind -> [(modified ms, engagement number)], ascending; engagement n touches
        # contact n % contacts, 2-20 minutes after it was modified (within the span)
        self.engagements: dict[str, list[tuple[int, int]]] = {}
        first = 0
        for kind, share in self.KINDS.items():
            count = int(engagements * share) if kind != "meetings" else engagements - first
            rows = []
            for n in range(first, first + count):
                contact = n % contacts
                at = min(self.modified[contact] + (2 + n % 19) * 60_000, end_ms)
                rows.append((at, n))
            self.engagements[kind] = sorted(rows)
            first += count
        self.calls: list[tuple[float, str, int]] = []  # (time, path, status)
        self._recent: deque = deque()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def _contact(self, i: int) -> dict:
        ms = self.modified[i]
        cid = str(60_000_000_000 + i)
        props = {"hs_object_id": cid, "email": f"c{i}@example.com", "firstname": f"C{i}",
                 "lastname": "Bench", "hubspot_owner_id": self.owner,
                 "hubspot_owner_assigneddate": iso(ms - 1000), "createdate": iso(ms - 5000),
                 "lastmodifieddate": iso(ms), "lead_heat": "hot"}
        return {"id": cid, "properties": props, "createdAt": iso(ms - 5000),
                "updatedAt": iso(ms), "archived": False}

    def _rate_limited(self) -> bool:
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] > 1.0:
                self._recent.popleft()
            if len(self._recent) >= RATE_PER_S:
                return True
            self._recent.append(now)
            return False

    def _engagement(self, kind: str, row: tuple[int, int]) -> dict:
        ms, n = row
        eid = str(70_000_000_000 + n)
        return {"id": eid, "properties": {"hs_object_id": eid, "hs_timestamp": iso(ms),
                                          "hs_lastmodifieddate": iso(ms),
                                          "hubspot_owner_id": self.owner},
                "createdAt": iso(ms), "updatedAt": iso(ms), "archived": False}

    def associations(self, object_type: str, body: dict) -> tuple[int, dict]:
        inputs = body.get("inputs", [])
        if len(inputs) > 1000:
            return 400, {"status": "error", "category": "VALIDATION_ERROR",
                         "message": "a batch read takes at most 1000 inputs"}
        contacts = len(self.modified)
        results = [{"from": {"id": i["id"]},
                    "to": [{"toObjectId": 60_000_000_000 + (int(i["id"]) - 70_000_000_000) % contacts,
                            "associationTypes": []}]} for i in inputs]
        return 200, {"status": "COMPLETE", "results": results}

    def search(self, object_type: str, body: dict) -> tuple[int, dict]:
        if object_type != "contacts":
            rows = self.engagements.get(object_type, [])
            return self._search_rows(len(rows), lambda since: bisect.bisect_left(rows, (since, -1)),
                                     body, lambda i: self._engagement(object_type, rows[i]))
        return self._search_rows(len(self.modified),
                                 lambda since: bisect.bisect_left(self.modified, since),
                                 body, self._contact)

    def _search_rows(self, size, start_at, body, render) -> tuple[int, dict]:
        """One page of a search over `size` rows in modification order: `start_at(since)` is
        the first row modified at or after the filter's GTE value, `render(i)` row i."""
        since = 0
        for group in body.get("filterGroups", []):
            for f in group.get("filters", []):
                if f.get("operator") == "GTE":
                    since = int(f["value"])
        limit = min(int(body.get("limit", 10)), PAGE_MAX)
        after = int(body.get("after") or 0)
        if after >= RESULT_CAP:
            return 400, {"status": "error", "category": "VALIDATION_ERROR",
                         "message": "paging beyond 10,000 results is not supported"}
        start = start_at(since)
        first, last = start + after, min(start + after + limit, size)
        page = {"total": size - start, "results": [render(i) for i in range(first, last)]}
        if last < size:
            page["paging"] = {"next": {"after": str(after + limit)}}
        return 200, page

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if fake._rate_limited():
                    status, payload, extra = 429, {
                        "status": "error", "errorType": "RATE_LIMIT", "policyName": "SECONDLY",
                        "message": "You have reached your secondly limit."}, {"Retry-After": "1"}
                else:
                    parts = self.path.split("/")  # /crm/v3/objects/<type>/search
                    if parts[2:4] == ["v4", "associations"]:  # /crm/v4/associations/<type>/…
                        status, payload = fake.associations(parts[4], json.loads(raw or b"{}"))
                    else:
                        status, payload = fake.search(parts[4], json.loads(raw or b"{}"))
                    extra = {}
                with fake._lock:
                    fake.calls.append((time.time(), self.path, status))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler
