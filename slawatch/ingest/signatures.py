"""Webhook signature checks. Pure functions, no Django: HubSpot v1/v2/v3 and the
generic `X-Slawatch-Signature`. Every comparison is constant-time."""

from __future__ import annotations

import base64
import hashlib
import hmac

HUBSPOT_WINDOW_SECONDS = 300
GENERIC_WINDOW_SECONDS = 300

# HubSpot's table of escapes to undo in the URI before signing (v3).
_HUBSPOT_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
                   "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def _digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and other digits int() refuses
    return text.isascii() and text.isdigit()


class SignatureError(Exception):
    """The request is not authentic (or no longer fresh); the message says why."""


def hubspot_normalize_uri(uri: str) -> str:
    for encoded, decoded in _HUBSPOT_DECODE.items():
        uri = uri.replace(encoded, decoded).replace(encoded.lower(), decoded)
    return uri


def hubspot_v3_signature(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    message = f"{method.upper()}{hubspot_normalize_uri(uri)}{body}{timestamp}"
    digest = hmac.new(secret.encode(), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hubspot_v1_signature(secret: str, body: str) -> str:
    return hashlib.sha256(f"{secret}{body}".encode()).hexdigest()


def hubspot_v2_signature(secret: str, method: str, uri: str, body: str) -> str:
    return hashlib.sha256(f"{secret}{method.upper()}{uri}{body}".encode()).hexdigest()


def _equal(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def verify_hubspot(*, secret, method, uri, body, headers, now) -> str:
    """Check a HubSpot delivery; returns the signature version used. `headers` maps
    lower-case names to values; `now` is epoch seconds."""
    version = (headers.get("x-hubspot-signature-version") or "").lower()
    if version in ("v1", "v2"):
        given = headers.get("x-hubspot-signature")
        if not given:
            raise SignatureError("missing X-HubSpot-Signature header")
        expected = (hubspot_v1_signature(secret, body) if version == "v1"
                    else hubspot_v2_signature(secret, method, uri, body))
        if not _equal(expected, given.lower()):
            raise SignatureError(f"HubSpot {version} signature does not match")
        return version
    given, timestamp = headers.get("x-hubspot-signature-v3"), headers.get(
        "x-hubspot-request-timestamp")
    if not given or not timestamp:
        raise SignatureError("missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp")
    if not _digits(timestamp):
        raise SignatureError("X-HubSpot-Request-Timestamp must be epoch milliseconds")
    if abs(now - int(timestamp) / 1000) > HUBSPOT_WINDOW_SECONDS:
        raise SignatureError("X-HubSpot-Request-Timestamp is more than 5 minutes off (replay?)")
    if not _equal(hubspot_v3_signature(secret, method, uri, body, timestamp), given):
        raise SignatureError("HubSpot v3 signature does not match")
    return "v3"


def generic_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def generic_header(secret: str, timestamp: int, body: bytes) -> str:
    """The header value a sender puts on a generic event (used by docs and tests)."""
    return f"t={timestamp},v1={generic_signature(secret, str(timestamp), body)}"


def verify_generic(*, secret, header, body: bytes, now) -> None:
    if not header:
        raise SignatureError("missing X-Slawatch-Signature header")
    parts = dict(item.strip().split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, given = parts.get("t", ""), parts.get("v1")
    if not _digits(timestamp) or not given:
        raise SignatureError("X-Slawatch-Signature must look like t=<unix seconds>,v1=<hex>")
    if abs(now - int(timestamp)) > GENERIC_WINDOW_SECONDS:
        raise SignatureError("signature timestamp is more than 300 s from now (replay?)")
    if not _equal(generic_signature(secret, timestamp, body), given.lower()):
        raise SignatureError("signature does not match")


def basic_auth_matches(header: str | None, user: str, password: str) -> bool:
    """HTTP basic credentials (Pipedrive) checked in constant time."""
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    given_user, _, given_password = decoded.partition(":")
    # Both compared (no short-circuit) so timing does not reveal which one was wrong.
    user_ok = hmac.compare_digest(given_user.encode(), user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok


def token_matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())
