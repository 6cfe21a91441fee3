"""What the internal endpoints and forwarded headers give away (docs/SECURITY.md)."""

import ipaddress

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from slawatch.ops.middleware import TrustedProxyMiddleware


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_a_configured_token_is_required_for_metrics_and_readiness(client, db, settings, path):
    settings.SLAWATCH_METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get(path).status_code == 401
    assert client.get(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get(path, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code in (200, 503)  # 503: readiness may say the broker is missing
    assert client.get("/healthz").status_code == 200  # liveness stays open


def test_without_a_token_metrics_stay_open(client, db, settings):
    settings.SLAWATCH_METRICS_TOKEN = None
    assert client.get("/metrics").status_code == 200


def _seen(settings, remote, **headers):
    """What the application sees of a request after TrustedProxyMiddleware."""
    seen = {}

    def view(request):
        seen.update(addr=request.META["REMOTE_ADDR"], secure=request.is_secure(),
                    forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"))
        return HttpResponse()
    TrustedProxyMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))
    return seen


HEADERS = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9", "HTTP_X_FORWARDED_PROTO": "https"}


def test_forwarded_headers_from_an_untrusted_address_are_ignored(settings):
    settings.SLAWATCH_TRUSTED_PROXIES = ()
    assert _seen(settings, "198.51.100.4", **HEADERS) == {
        "addr": "198.51.100.4", "secure": False, "forwarded_for": None}


def test_a_trusted_proxy_gives_the_client_address_and_scheme(settings):
    settings.SLAWATCH_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    seen = _seen(settings, "10.1.2.3", **HEADERS)
    # The right-most address the proxy added, not what the client wrote on the left.
    assert (seen["addr"], seen["secure"]) == ("203.0.113.9", True)
    assert _seen(settings, "192.0.2.1", **HEADERS)["secure"] is False
