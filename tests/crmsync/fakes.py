"""The write side of HubSpot, Salesforce and Pipedrive on 127.0.0.1, as documented:
HubSpot `PATCH /crm/v3/objects/contacts/{id}`; Salesforce `PATCH
/services/data/vXX.X/sobjects/Lead/{id}` (204, errors as a JSON array); Pipedrive
`PATCH /api/v1/leads/{uuid}` and `PATCH /api/v2/persons/{id}` (`{"success": ..}`)."""

from __future__ import annotations

import json

from tests.ingest.fakes import FakeServer


class FakeCrm(FakeServer):
    def __init__(self):
        super().__init__()
        self.owners = {}  # record id -> owner id, as the CRM shows it
        self.fields = {}  # record id -> {field: value} written by batch calls

    def writes(self):
        return [r for r in self.requests if r["method"] == "PATCH"]


class FakeHubSpotWrites(FakeCrm):
    """Also `GET /crm/v3/owners` with `limit`/`after` paging."""

    def __init__(self, token="hs-token"):
        super().__init__()
        self.token = token
        self.users = []  # owner objects as HubSpot lists them
        self.missing = set()  # contact ids the batch update reports as not found

    def route(self, request):
        if request["headers"].get("Authorization") != f"Bearer {self.token}":
            return 401, {}, {"status": "error", "message": "Authentication credentials not found.",
                             "category": "INVALID_AUTHENTICATION"}
        parts = request["path"].strip("/").split("/")
        if request["method"] == "PATCH" and parts[:4] == ["crm", "v3", "objects", "contacts"]:
            props = json.loads(request["body"])["properties"]
            if "hubspot_owner_id" in props:
                self.owners[parts[4]] = props["hubspot_owner_id"]
            return 200, {}, {"id": parts[4], "properties": props, "archived": False}
        if request["method"] == "POST" and request["path"] == \
                "/crm/v3/objects/contacts/batch/update":
            inputs = json.loads(request["body"])["inputs"]
            assert len(inputs) <= 100
            missing = [i["id"] for i in inputs if i["id"] in self.missing]
            for item in inputs:
                if item["id"] not in missing:
                    self.fields.setdefault(item["id"], {}).update(item["properties"])
            out = {"status": "COMPLETE", "results": [
                {"id": i["id"], "properties": i["properties"]} for i in inputs
                if i["id"] not in missing],
                "startedAt": "2026-11-23T09:00:00Z", "completedAt": "2026-11-23T09:00:01Z"}
            if missing:
                out.update(numErrors=1, errors=[{
                    "status": "error", "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some CONTACT objects", "context": {"ids": missing}}])
                return 207, {}, out
            return 200, {}, out
        if request["method"] == "GET" and request["path"] == "/crm/v3/owners":
            limit = int(request["query"].get("limit", ["100"])[0])
            after = int(request["query"].get("after", ["0"])[0])
            out = {"results": self.users[after:after + min(limit, 2)]}  # small pages
            if after + 2 < len(self.users):
                out["paging"] = {"next": {"after": str(after + 2),
                                          "link": "https://api.hubapi.com/crm/v3/owners?after=x"}}
            return 200, {}, out
        return super().route(request)


class FakeSalesforceWrites(FakeCrm):
    """Also SOQL on User (`GET .../query?q=SELECT Id, Email, Name FROM User ...`)."""

    def __init__(self, token="sf-token"):
        super().__init__()
        self.token = token
        self.users = []

    def route(self, request):
        if request["headers"].get("Authorization") != f"Bearer {self.token}":
            return 401, {}, [{"message": "Session expired or invalid",
                              "errorCode": "INVALID_SESSION_ID"}]
        parts = request["path"].strip("/").split("/")
        if request["method"] == "PATCH" and parts[:2] == ["services", "data"] \
                and parts[3:5] == ["sobjects", "Lead"]:
            fields = json.loads(request["body"])
            if "OwnerId" in fields:
                self.owners[parts[5]] = fields["OwnerId"]
            return 204, {}, b""
        if request["method"] == "PATCH" and request["path"].endswith("/composite/sobjects"):
            body = json.loads(request["body"])
            assert body["allOrNone"] is False and len(body["records"]) <= 200
            results = []
            for record in body["records"]:
                fields = {k: v for k, v in record.items() if k not in ("attributes", "id")}
                self.fields.setdefault(record["id"], {}).update(fields)
                results.append({"id": record["id"], "success": True, "errors": []})
            return 200, {}, results
        if request["method"] == "GET" and request["path"].endswith("/query"):
            soql = request["query"]["q"][0]
            assert soql == "SELECT Id, Email, Name FROM User WHERE IsActive = true", soql
            records = [{"attributes": {"type": "User",
                                       "url": f"/services/data/v59.0/sobjects/User/{u['Id']}"},
                        **u} for u in self.users]
            return 200, {}, {"totalSize": len(records), "done": True, "records": records}
        return super().route(request)


class FakePipedriveWrites(FakeCrm):
    """Also `GET /api/v1/users`."""

    def __init__(self, token="pd-api-token"):
        super().__init__()
        self.token = token
        self.users = []

    def route(self, request):
        headers = {k.lower(): v for k, v in request["headers"].items()}
        if headers.get("x-api-token") != self.token:
            return 401, {}, {"success": False, "error": "unauthorized access",
                             "errorCode": 401}
        parts = request["path"].strip("/").split("/")
        if request["method"] == "PATCH" and parts[:3] in (["api", "v1", "leads"],
                                                         ["api", "v2", "persons"]):
            owner = json.loads(request["body"])["owner_id"]
            self.owners[parts[3]] = owner
            return 200, {}, {"success": True, "data": {"id": parts[3], "owner_id": owner}}
        if request["method"] == "GET" and request["path"] == "/api/v1/users":
            return 200, {}, {"success": True, "data": self.users}
        return super().route(request)
