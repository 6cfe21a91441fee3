"""HTTP clients for the CRM APIs: one reused requests.Session each, a timeout on every
call, bounded back-off on 429/5xx honouring Retry-After, and (HubSpot) a request-rate
cap. Secrets go in headers only, never in messages or logs."""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

import requests

from slawatch.retry import backoff_seconds, retry_after_seconds

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)  # connect, read (seconds)


class CrmApiError(Exception):
    """A CRM API call failed for good (or retries ran out)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class ApiClient:
    max_retries = 4
    max_wait = 30.0
    min_interval = 0.0  # seconds between requests (rate cap); 0 = none

    def __init__(self, base_url, *, session=None, sleep=time.sleep, monotonic=time.monotonic):
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.sleep, self.monotonic = sleep, monotonic
        self._last_request = None

    def auth_headers(self) -> dict:
        return {}

    def _backoff(self, attempt: int) -> float:
        """1, 2, 4 … s after the 1st, 2nd, 3rd … failure (attempt 0, 1, 2 …), at most max_wait."""
        return backoff_seconds(attempt + 1, base=1.0, cap=self.max_wait)

    def _throttle(self):
        if self.min_interval and self._last_request is not None:
            wait = self.min_interval - (self.monotonic() - self._last_request)
            if wait > 0:
                self.sleep(wait)
        self._last_request = self.monotonic()

    def request(self, method, path_or_url, **kwargs) -> requests.Response:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        for attempt in range(self.max_retries + 1):
            self._throttle()
            try:
                response = self.session.request(method, url, headers=self.auth_headers(),
                                                timeout=TIMEOUT, **kwargs)
            except requests.RequestException as exc:
                if attempt == self.max_retries:
                    raise CrmApiError(f"{method} {path_or_url.split('?')[0]}: "
                                      f"{exc.__class__.__name__}") from None
                self.sleep(self._backoff(attempt))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == self.max_retries:
                    break
                wait = retry_after_seconds(response.headers)
                wait = self._backoff(attempt) if wait is None else min(wait, self.max_wait)
                log.warning("%s %s answered %s; retrying in %.1f s", method,
                            path_or_url.split("?")[0], response.status_code, wait)
                self.sleep(wait)
                continue
            return response
        raise CrmApiError(f"{method} {path_or_url.split('?')[0]} kept failing with "
                          f"{response.status_code}", status=response.status_code)


def json_or_error(response, what):
    if response.status_code >= 400:
        raise CrmApiError(f"{what} answered {response.status_code}: {response.text[:200]}",
                          status=response.status_code)
    return response.json()


ASSOCIATION_BATCH = 1000  # HubSpot's cap on one association batch read (since 2025-02)


class HubSpotClient(ApiClient):
    min_interval = 0.21  # search allows 5 requests a second per account; a little margin

    def __init__(self, base_url, token, **kwargs):
        super().__init__(base_url, **kwargs)
        self._token = token

    def auth_headers(self):
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def get_contact(self, contact_id, properties) -> dict | None:
        """The contact with these properties; None when HubSpot no longer has it."""
        response = self.request("GET", f"/crm/v3/objects/contacts/{quote(str(contact_id))}",
                                params={"properties": ",".join(properties)})
        if response.status_code == 404:
            return None
        return json_or_error(response, "HubSpot contact read")

    def search(self, object_type, body) -> dict:
        response = self.request("POST", f"/crm/v3/objects/{object_type}/search", json=body)
        return json_or_error(response, f"HubSpot {object_type} search")

    def associated_contacts(self, object_type, ids) -> dict[str, list[str]]:
        """engagement id -> associated contact ids (associations v4 batch read)."""
        ids, found = [str(i) for i in ids], {}
        for start in range(0, len(ids), ASSOCIATION_BATCH):
            response = self.request(
                "POST", f"/crm/v4/associations/{object_type}/contacts/batch/read",
                json={"inputs": [{"id": i} for i in ids[start:start + ASSOCIATION_BATCH]]})
            payload = json_or_error(response, f"HubSpot {object_type} associations")
            found.update({str(row["from"]["id"]): [str(t["toObjectId"]) for t in row.get("to", [])]
                          for row in payload.get("results", [])})
        return found


class SalesforceClient(ApiClient):
    """REST query with OAuth refresh-token renewal on INVALID_SESSION_ID.

    simple-salesforce is not used: it renews sessions only for username/password
    logins, not for a connected app's refresh token, which is what a server needs."""

    def __init__(self, instance_url, *, access_token=None, client_id=None, client_secret=None,
                 refresh_token=None, login_url="https://login.salesforce.com",
                 api_version="59.0", **kwargs):
        super().__init__(instance_url, **kwargs)
        self._token = access_token
        self._oauth = (client_id, client_secret, refresh_token)
        self.login_url, self.api_version = login_url.rstrip("/"), api_version

    def auth_headers(self):
        return {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}

    def can_refresh(self):
        return all(self._oauth)

    def refresh(self):
        client_id, client_secret, refresh_token = self._oauth
        response = self.session.post(
            f"{self.login_url}/services/oauth2/token", timeout=TIMEOUT,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                  "client_id": client_id, "client_secret": client_secret})
        if response.status_code != 200:
            raise CrmApiError(f"Salesforce token refresh answered {response.status_code}",
                              status=response.status_code)
        payload = response.json()
        self._token = payload["access_token"]
        if payload.get("instance_url"):
            self.base_url = payload["instance_url"].rstrip("/")

    def _get(self, path_or_url, **kwargs):
        if self._token is None and self.can_refresh():
            self.refresh()
        response = self.request("GET", path_or_url, **kwargs)
        if response.status_code == 401 and error_code(response) == "INVALID_SESSION_ID" \
                and self.can_refresh():
            self.refresh()
            response = self.request("GET", path_or_url, **kwargs)
        return json_or_error(response, "Salesforce query")

    def query_pages(self, soql, with_total=False):
        """Yield each page's records (with the query's totalSize if asked), following
        nextRecordsUrl."""
        page = self._get(f"/services/data/v{self.api_version}/query", params={"q": soql})
        total = int(page.get("totalSize") or 0)
        while True:
            yield (page.get("records", []), total) if with_total else page.get("records", [])
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self._get(page["nextRecordsUrl"])


def error_code(response):
    try:
        return response.json()[0].get("errorCode")
    except (ValueError, LookupError, AttributeError, TypeError):
        return None
