"""The webhook endpoints: plain Django views on the hot path (verify, parse, insert,
answer). Every error answers before anything is stored."""

from __future__ import annotations

import time
from dataclasses import replace

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from slawatch.ingest import services, signatures
from slawatch.ingest.adapters import generic, hubspot, pipedrive, salesforce
from slawatch.ingest.adapters.common import BadPayload
from slawatch.ingest.models import Source

HUBSPOT_HEADERS = ("X-HubSpot-Signature-Version", "X-HubSpot-Request-Timestamp", "User-Agent")


class Reject(Exception):
    def __init__(self, status, message, **headers):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers


def _error(status, message, headers=None):
    response = JsonResponse({"error": message}, status=status)
    for name, value in (headers or {}).items():
        response[name.replace("_", "-")] = value
    return response


def _read_body(request) -> bytes:
    limit = settings.SLAWATCH_MAX_BODY_BYTES
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):
        raise Reject(400, "Content-Length is not a number")
    if int(declared) > limit:
        raise Reject(413, f"body is larger than {limit} bytes")
    body = request.read(limit + 1)  # bounded even when the declared length lies
    if len(body) > limit:
        raise Reject(413, f"body is larger than {limit} bytes")
    return body


def _require(setting_value, name):
    if not setting_value:
        raise Reject(503, f"this endpoint is not configured: set {name}")


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Reject(400, "body is not UTF-8") from None


def webhook(handler):
    """POST only, no CSRF (the caller is a CRM), and every Reject/BadPayload as JSON."""
    @csrf_exempt
    @require_POST
    def view(request):
        try:
            return handler(request)
        except Reject as exc:
            return _error(exc.status, exc.message, exc.headers)
        except BadPayload as exc:
            return _error(400, str(exc))
    view.__name__ = handler.__name__
    return view


def _accepted(count):
    return JsonResponse({"accepted": count}, status=200)


def _hubspot_uri(request):
    if settings.SLAWATCH_PUBLIC_URL:
        return settings.SLAWATCH_PUBLIC_URL + request.get_full_path()
    return request.build_absolute_uri()


@webhook
def hubspot_webhook(request):
    body = _read_body(request)
    _require(settings.HUBSPOT_CLIENT_SECRET, "HUBSPOT_CLIENT_SECRET")
    text = _text(body)
    try:
        signatures.verify_hubspot(
            secret=settings.HUBSPOT_CLIENT_SECRET, method=request.method,
            uri=_hubspot_uri(request), body=text,
            headers={k.lower(): v for k, v in request.headers.items()}, now=time.time())
    except signatures.SignatureError as exc:
        raise Reject(401, str(exc)) from None
    items = hubspot.split(body)
    kept = {h: request.headers[h] for h in HUBSPOT_HEADERS if h in request.headers}
    items = [replace(item, headers=kept) for item in items]
    return _accepted(services.inbox_store(Source.HUBSPOT, items))


@webhook
def generic_webhook(request):
    body = _read_body(request)
    _require(settings.SLAWATCH_EVENTS_SECRET, "SLAWATCH_EVENTS_SECRET")
    try:
        signatures.verify_generic(secret=settings.SLAWATCH_EVENTS_SECRET,
                                  header=request.headers.get("X-Slawatch-Signature"),
                                  body=body, now=time.time())
    except signatures.SignatureError as exc:
        raise Reject(401, str(exc)) from None
    return _accepted(services.inbox_store(Source.GENERIC, generic.split(body)))


@webhook
def pipedrive_webhook(request):
    body = _read_body(request)
    _require(settings.PIPEDRIVE_WEBHOOK_USER and settings.PIPEDRIVE_WEBHOOK_PASSWORD,
             "PIPEDRIVE_WEBHOOK_USER and PIPEDRIVE_WEBHOOK_PASSWORD")
    if not signatures.basic_auth_matches(request.headers.get("Authorization"),
                                         settings.PIPEDRIVE_WEBHOOK_USER,
                                         settings.PIPEDRIVE_WEBHOOK_PASSWORD):
        raise Reject(401, "missing or wrong HTTP basic credentials",
                     WWW_Authenticate='Basic realm="slawatch"')
    return _accepted(services.inbox_store(Source.PIPEDRIVE, pipedrive.split(body)))


@webhook
def salesforce_webhook(request):
    """Outbound Messages carry no signature: the shared token in the URL
    (?token=SALESFORCE_OUTBOUND_TOKEN) authenticates, and the organization id, when
    configured, must match."""
    body = _read_body(request)
    _require(settings.SALESFORCE_OUTBOUND_TOKEN, "SALESFORCE_OUTBOUND_TOKEN")
    if not signatures.token_matches(request.GET.get("token"), settings.SALESFORCE_OUTBOUND_TOKEN):
        raise Reject(401, "missing or wrong ?token= for Salesforce outbound messages")
    organization, items = salesforce.parse_envelope(body)
    expected = settings.SALESFORCE_ORGANIZATION_ID
    # Salesforce sends 18-character ids; operators often paste the 15-character form.
    if expected and organization[:15] != expected[:15]:
        raise Reject(403, "OrganizationId is not the configured SALESFORCE_ORGANIZATION_ID")
    services.inbox_store(Source.SALESFORCE, items)
    return HttpResponse(salesforce.ACK, content_type="text/xml; charset=utf-8")
