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
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests
from django.conf import settings

from slawatch.ingest.clients import TIMEOUT, CrmApiError, SalesforceClient, _error_code

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
TRANSIENT_STATUSES = {408, 429}


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False
    status_code: int | None = None
    error: str = ""
    retry_after: float | None = None


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, from either form the header takes (seconds or HTTP-date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def result_of(response: requests.Response, what: str) -> Result:
    code = response.status_code
    if 200 <= code < 300:
        return Result(ok=True, status_code=code)
    transient = code in TRANSIENT_STATUSES or code >= 500
    return Result(ok=False, permanent=not transient, status_code=code,
                  error=f"{what} answered {code}: {response.text[:300]}",
                  retry_after=retry_after(response.headers.get("Retry-After")))


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


class SalesforceWriter(Writer):
    """REST sObject update; an expired session is renewed once with the refresh token."""

    crm = "salesforce"

    def __init__(self, client: SalesforceClient, **kwargs):
        super().__init__(session=client.session, **kwargs)
        self.client = client

    def headers(self):
        return self.client.auth_headers()

    def _sobject_call(self, method, path, what, body) -> Result:
        url = f"{self.client.base_url}/services/data/v{self.client.api_version}{path}"
        try:
            if self.client._token is None and self.client.can_refresh():
                self.client.refresh()
            response = self.session.request(method, url, json=body, timeout=TIMEOUT,
                                            headers=self.headers())
            if response.status_code == 401 and _error_code(response) == "INVALID_SESSION_ID" \
                    and self.client.can_refresh():
                self.client.refresh()
                response = self.session.request(method, url, json=body, timeout=TIMEOUT,
                                                headers=self.headers())
        except requests.RequestException as exc:
            return Result(ok=False, error=f"{what}: {exc.__class__.__name__}")
        except CrmApiError as exc:  # the token refresh itself was refused
            return Result(ok=False, permanent=bool(exc.status and exc.status < 500),
                          status_code=exc.status, error=f"{what}: {exc}")
        return result_of(response, what)

    def set_owner(self, external_id: str, owner_id: str) -> Result:
        return self._sobject_call("PATCH", f"/sobjects/Lead/{quote(external_id)}",
                                  "Salesforce Lead update", {"OwnerId": owner_id})


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


def writer_for(crm: str) -> Writer | None:
    """The configured writer for `crm`, or None when slawatch has no credentials for it."""
    if crm == "hubspot" and settings.HUBSPOT_ACCESS_TOKEN:
        return HubSpotWriter(settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN)
    if crm == "salesforce" and settings.SALESFORCE_INSTANCE_URL and (
            settings.SALESFORCE_ACCESS_TOKEN or settings.SALESFORCE_REFRESH_TOKEN):
        return SalesforceWriter(SalesforceClient(
            settings.SALESFORCE_INSTANCE_URL, access_token=settings.SALESFORCE_ACCESS_TOKEN,
            client_id=settings.SALESFORCE_CLIENT_ID,
            client_secret=settings.SALESFORCE_CLIENT_SECRET,
            refresh_token=settings.SALESFORCE_REFRESH_TOKEN,
            login_url=settings.SALESFORCE_LOGIN_URL, api_version=settings.SALESFORCE_API_VERSION))
    if crm == "pipedrive" and settings.PIPEDRIVE_API_TOKEN:
        return PipedriveWriter(settings.PIPEDRIVE_API_BASE, settings.PIPEDRIVE_API_TOKEN)
    return None
