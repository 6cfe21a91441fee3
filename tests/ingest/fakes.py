"""Fake HubSpot and Salesforce APIs on 127.0.0.1: real HTTP over real sockets, speaking
the shapes in the CRMs' public API documentation (search paging, 429 with Retry-After,
expired sessions, nextRecordsUrl)."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeServer:
    """Routes (method, path) -> handler(request) -> (status, headers, body)."""

    def __init__(self):
        self.requests = []
        self.scripted = []  # responses served before the normal routes, in order
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                request = {"method": self.command, "path": url.path,
                           "query": parse_qs(url.query), "headers": dict(self.headers),
                           "body": raw}
                fake.requests.append(request)
                status, headers, body = fake.respond(request)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def respond(self, request):
        if self.scripted:
            return self.scripted.pop(0)
        return self.route(request)

    def route(self, request):
        return 404, {}, {"message": "not found"}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeHubSpot(FakeServer):
    def __init__(self, token="hs-token"):
        super().__init__()
        self.token = token
        self.contacts = {}       # id -> properties
        self.search_data = {}    # object type -> list of records (sorted by modification)
        self.associations = {}   # (object type, id) -> [contact ids]
        self.fail_search_after = None  # fail with 500 after this many search calls

    def route(self, request):
        if request["headers"].get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"status": "error", "message": "Authentication credentials not found.",
                             "category": "INVALID_AUTHENTICATION"}
        parts = request["path"].strip("/").split("/")
        if request["method"] == "GET" and parts[:4] == ["crm", "v3", "objects", "contacts"]:
            return self._contact(parts[4], request)
        if request["method"] == "POST" and parts[-1] == "search":
            return self._search(parts[3], json.loads(request["body"]))
        if request["method"] == "POST" and parts[:3] == ["crm", "v4", "associations"]:
            return self._associations(parts[3], json.loads(request["body"]))
        return super().route(request)

    def _contact(self, contact_id, request):
        if contact_id not in self.contacts:
            return 404, {}, {"status": "error", "message": "resource not found",
                             "category": "OBJECT_NOT_FOUND"}
        wanted = request["query"].get("properties", [""])[0].split(",")
        props = {name: self.contacts[contact_id].get(name) for name in wanted if name}
        return 200, {}, {"id": contact_id, "properties": props, "archived": False,
                         "createdAt": props.get("createdate"), "updatedAt": props.get("lastmodifieddate")}

    def _search(self, object_type, body):
        searches = sum(1 for r in self.requests if r["path"].endswith("/search"))
        if self.fail_search_after is not None and searches > self.fail_search_after:
            return 502, {}, b"<html>bad gateway</html>"
        limit = body.get("limit", 10)
        after = int(body.get("after") or 0)
        if after >= 10_000:
            return 400, {}, {"status": "error", "category": "VALIDATION_ERROR",
                             "message": "paging past 10,000 results is not allowed"}
        flt = body["filterGroups"][0]["filters"][0]
        prop, since = flt["propertyName"], int(flt["value"])
        matching = [r for r in self.search_data.get(object_type, [])
                    if _ms(r["properties"][prop]) >= since]
        page = matching[after:after + limit]
        out = {"total": len(matching), "results": page}
        if after + limit < len(matching):
            out["paging"] = {"next": {"after": str(after + limit), "link": "https://api.hubapi.com/..."}}
        return 200, {}, out

    def _associations(self, object_type, body):
        if len(body["inputs"]) > 1000:  # HubSpot's cap on a batch read (since 2025-02)
            return 400, {}, {"status": "error", "category": "VALIDATION_ERROR",
                             "message": "a batch read takes at most 1000 inputs"}
        results = [{"from": {"id": i["id"]},
                    "to": [{"toObjectId": int(c), "associationTypes": []}
                           for c in self.associations.get((object_type, i["id"]), [])]}
                   for i in body["inputs"]]
        return 200, {}, {"status": "COMPLETE", "results": results}


def _ms(iso):
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


class FakeSalesforce(FakeServer):
    """Query with 2-record pages; a token that expires; the OAuth token endpoint."""

    page_size = 2

    def __init__(self):
        super().__init__()
        self.valid_token = "sf-token-2"
        self.records = {"Lead": [], "Task": [], "Event": []}
        self.cursors = {}
        self.refreshes = 0

    def route(self, request):
        path = request["path"]
        if path == "/services/oauth2/token":
            return self._token(request)
        if request["headers"].get("Authorization") != f"Bearer {self.valid_token}":
            return 401, {}, [{"message": "Session expired or invalid",
                              "errorCode": "INVALID_SESSION_ID"}]
        if path.endswith("/query"):
            soql = request["query"]["q"][0]
            sobject = soql.split(" FROM ")[1].split()[0]
            since = soql.split("SystemModstamp >= ")[1].split()[0]
            rows = [r for r in self.records[sobject]
                    if _sf_ms(r["SystemModstamp"]) >= _ms(since)]
            return self._page(sobject, rows, 0)
        if "/query/" in path:
            key = path.rsplit("/", 1)[1]
            sobject, rows, offset = self.cursors[key]
            return self._page(sobject, rows, offset)
        return super().route(request)

    def _page(self, sobject, rows, offset):
        chunk = rows[offset:offset + self.page_size]
        records = [{"attributes": {"type": sobject, "url": f"/services/data/v59.0/sobjects/{sobject}/{r['Id']}"}, **r}
                   for r in chunk]
        out = {"totalSize": len(rows), "done": offset + self.page_size >= len(rows),
               "records": records}
        if not out["done"]:
            key = f"01gRO0000016PIAYA2-{offset + self.page_size}"
            self.cursors[key] = (sobject, rows, offset + self.page_size)
            out["nextRecordsUrl"] = f"/services/data/v59.0/query/{key}"
        return 200, {"Sforce-Limit-Info": "api-usage=18/5000"}, out

    def _token(self, request):
        form = parse_qs(request["body"].decode())
        if form.get("refresh_token") != ["refresh-me"] or form.get("client_id") != ["cid"]:
            return 400, {}, {"error": "invalid_grant", "error_description": "expired access/refresh token"}
        self.refreshes += 1
        return 200, {}, {"access_token": self.valid_token, "instance_url": self.url,
                         "id": "https://login.salesforce.com/id/00D/005", "token_type": "Bearer",
                         "issued_at": "1718000000000", "signature": "x", "scope": "api refresh_token"}


def _sf_ms(value):
    return int(datetime.fromisoformat(value).timestamp() * 1000)
