"""Request plumbing: forwarded headers believed only from trusted proxies; a request id
on every request, its response and every log line below it."""

import ipaddress

from django.conf import settings

from slawatch.ops.context import incoming_or_new_request_id, request_id_var

HEADER = "X-Request-ID"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = incoming_or_new_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        return response


FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_FORWARDED")


class TrustedProxyMiddleware:
    """X-Forwarded-* (and Forwarded) count only when the request comes from an address in
    SLAWATCH_TRUSTED_PROXIES; from anywhere else they are removed before Django
    (`is_secure`, `get_host`), django-axes or a view reads them. Behind a trusted proxy,
    REMOTE_ADDR becomes the nearest address in X-Forwarded-For that is not a proxy.

    Written here rather than taken from a library: it is the dozen lines Django leaves to
    the deployment, and it must also cover Django's own SECURE_PROXY_SSL_HEADER."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if _trusted(meta.get("REMOTE_ADDR")):
            client = _client_from_forwarded_for(meta.get("HTTP_X_FORWARDED_FOR", ""))
            if client:
                meta["REMOTE_ADDR"] = client
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


def _trusted(address) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in settings.SLAWATCH_TRUSTED_PROXIES)


def _client_from_forwarded_for(value: str) -> str | None:
    """Right to left, the first address that is not a trusted proxy (the left part of the
    header is whatever the client chose to send)."""
    for item in reversed([part.strip() for part in value.split(",") if part.strip()]):
        try:
            ipaddress.ip_address(item)
        except ValueError:
            return None
        if not _trusted(item):
            return item
    return None


def client_ip(request) -> str | None:
    """The client address for django-axes (REMOTE_ADDR, already resolved above)."""
    return request.META.get("REMOTE_ADDR")
