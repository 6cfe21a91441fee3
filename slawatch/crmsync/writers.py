"""One writer per CRM: set a record's owner with one HTTP call and say how it went.

A writer never retries by itself: the outbox (outbox.py) decides when to try again, so
a 429's Retry-After becomes the row's next attempt time instead of a sleeping worker.
2xx is done; 408, 429, 5xx and network errors are transient; any other 4xx (401
included: a revoked token does not heal by waiting) is permanent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import requests
from django.conf import settings

from slawatch.ingest.clients import TIMEOUT, CrmApiError, SalesforceClient, error_code
from slawatch.ingest.services import salesforce_client
from slawatch.retry import retry_after_seconds

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
TRANSIENT_STATUSES = {408, 429}


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None


def result_of(response: requests.Response, what: str) -> Result:
    code = response.status_code
    if 200 <= code < 300:
        return Result(ok=True, status_code=code)
    transient = code in TRANSIENT_STATUSES or code >= 500
    return Result(ok=False, permanent=not transient, status_code=code,
                  error=f"{what} answered {code}: {response.text[:300]}",
                  retry_after=retry_after_seconds(response.headers))


class Writer:
    crm = ""

    def __init__(self, session: requests.Session | None = None):
        self.session = session or requests.Session()

    def headers(self) -> dict:
        return {}

    def call(self, method, url, what, body) -> Result:
        try:
            response = self.session.request(method, url, json=body, timeout=TIMEOUT,
                                            headers={**self.headers(),
                                                     "Accept": "application/json"})
        except requests.RequestException as exc:
            return Result(ok=False, error=f"{what}: {exc.__class__.__name__}")
        return result_of(response, what)


class HubSpotWriter(Writer):
    crm = "hubspot"

    def __init__(self, base_url, token, **kwargs):
        super().__init__(**kwargs)
        self.base_url, self._token = base_url.rstrip("/"), token

    def headers(self):
        return {"Authorization": f"Bearer {self._token}"}

    def set_owner(self, external_id: str, owner_id: str) -> Result:
        return self.call("PATCH", f"{self.base_url}/crm/v3/objects/contacts/{quote(external_id)}",
                         "HubSpot contact update",
                         {"properties": {"hubspot_owner_id": owner_id}})

    batch_size = 100  # HubSpot's batch update takes at most 100 inputs

    def set_sla(self, records: list[tuple[str, dict]]) -> dict[str, Result]:
        """POST /crm/v3/objects/contacts/batch/update; per-record errors (207) come back in
        `errors[].context.ids`. Datetimes go as epoch milliseconds; "" clears a value."""
        due_name, status_name = sla_fields(self.crm)

        def props(values):
            due = _instant(values["due"])
            return {due_name: str(int(due.timestamp() * 1000)) if due else "",
                    status_name: values["status"]}
        body = {"inputs": [{"id": rid, "properties": props(v)} for rid, v in records]}
        try:
            response = self.session.post(f"{self.base_url}/crm/v3/objects/contacts/batch/update",
                                         json=body, timeout=TIMEOUT, headers=self.headers())
        except requests.RequestException as exc:
            failed = Result(ok=False, error=f"HubSpot batch update: {exc.__class__.__name__}")
            return {rid: failed for rid, _ in records}
        whole = result_of(response, "HubSpot batch update")
        if not whole.ok:
            return {rid: whole for rid, _ in records}
        payload = response.json() if response.content else {}
        out = {rid: Result(ok=True, status_code=response.status_code) for rid, _ in records}
        for error in payload.get("errors") or []:
            for rid in (error.get("context") or {}).get("ids") or []:
                out[str(rid)] = Result(ok=False, permanent=True, status_code=response.status_code,
                                       error=f"HubSpot: {error.get('category', '')} "
                                             f"{error.get('message', '')}"[:300])
        return out


class SalesforceWriter(Writer):
    """REST sObject update; an expired session is renewed once with the refresh token."""

    crm = "salesforce"

    def __init__(self, client: SalesforceClient, **kwargs):
        super().__init__(session=client.session, **kwargs)
        self.client = client

    def headers(self):
        return self.client.auth_headers()

    def _sobject_call(self, method, path, what, body, keep=False) -> Result:
        url = f"{self.client.base_url}/services/data/v{self.client.api_version}{path}"
        try:
            if self.client._token is None and self.client.can_refresh():
                self.client.refresh()
            response = self.session.request(method, url, json=body, timeout=TIMEOUT,
                                            headers=self.headers())
            if response.status_code == 401 and error_code(response) == "INVALID_SESSION_ID" \
                    and self.client.can_refresh():
                self.client.refresh()
                response = self.session.request(method, url, json=body, timeout=TIMEOUT,
                                                headers=self.headers())
        except requests.RequestException as exc:
            return Result(ok=False, error=f"{what}: {exc.__class__.__name__}")
        except CrmApiError as exc:  # the token refresh itself was refused
            return Result(ok=False, permanent=bool(exc.status and exc.status < 500),
                          status_code=exc.status, error=f"{what}: {exc}")
        if keep:
            self.last_response = response
        return result_of(response, what)

    def set_owner(self, external_id: str, owner_id: str) -> Result:
        return self._sobject_call("PATCH", f"/sobjects/Lead/{quote(external_id)}",
                                  "Salesforce Lead update", {"OwnerId": owner_id})

    batch_size = 200  # sObject Collections take at most 200 records

    def set_sla(self, records: list[tuple[str, dict]]) -> dict[str, Result]:
        """PATCH /composite/sobjects (allOrNone false): one result per record, in order."""
        due_name, status_name = sla_fields(self.crm)
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": "Lead"}, "id": rid,
             due_name: _instant(v["due"]).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
             if v["due"] else None, status_name: v["status"]} for rid, v in records]}
        self.last_response = None
        whole = self._sobject_call("PATCH", "/composite/sobjects", "Salesforce composite update",
                                   body, keep=True)
        if not whole.ok:
            return {rid: whole for rid, _ in records}
        out = {}
        for (rid, _), row in zip(records, self.last_response.json(), strict=False):
            errors = row.get("errors") or []
            out[rid] = Result(ok=True, status_code=200) if row.get("success") else Result(
                ok=False, permanent=True, status_code=200,
                error="Salesforce: " + "; ".join(f"{e.get('statusCode')} {e.get('message')}"
                                                 for e in errors)[:300])
        return out


class PipedriveWriter(Writer):
    """A Pipedrive lead (UUID id) or person (numeric id) gets a new owner (a user id)."""

    crm = "pipedrive"

    def __init__(self, base_url, token, **kwargs):
        super().__init__(**kwargs)
        self.base_url, self._token = base_url.rstrip("/"), token

    def headers(self):
        return {"x-api-token": self._token}

    def set_owner(self, external_id: str, owner_id: str) -> Result:
        try:
            owner = int(owner_id)
        except ValueError:
            return Result(ok=False, permanent=True,
                          error=f"Pipedrive owner id {owner_id!r} is not a user number")
        if UUID.match(external_id):
            return self.call("PATCH", f"{self.base_url}/api/v1/leads/{quote(external_id)}",
                             "Pipedrive lead update", {"owner_id": owner})
        return self.call("PATCH", f"{self.base_url}/api/v2/persons/{quote(external_id)}",
                         "Pipedrive person update", {"owner_id": owner})


def sla_fields(crm: str) -> tuple[str, str] | None:
    """(due, status) property or field names configured for `crm`, or None."""
    pair = {"hubspot": (settings.HUBSPOT_SLA_DUE_PROPERTY, settings.HUBSPOT_SLA_STATUS_PROPERTY),
            "salesforce": (settings.SALESFORCE_SLA_DUE_FIELD,
                           settings.SALESFORCE_SLA_STATUS_FIELD)}.get(crm)
    return pair if pair and all(pair) else None


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def writer_for(crm: str) -> Writer | None:
    """The configured writer for `crm`, or None when slawatch has no credentials for it."""
    if crm == "hubspot" and settings.HUBSPOT_ACCESS_TOKEN:
        return HubSpotWriter(settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN)
    if crm == "salesforce" and (client := salesforce_client()):
        return SalesforceWriter(client)
    if crm == "pipedrive" and settings.PIPEDRIVE_API_TOKEN:
        return PipedriveWriter(settings.PIPEDRIVE_API_BASE, settings.PIPEDRIVE_API_TOKEN)
    return None
