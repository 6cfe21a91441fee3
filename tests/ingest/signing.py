"""Signing helpers for tests (HubSpot and Slack signature schemes), checked against the official vectors."""

import base64
import hashlib
import hmac
import time

_HS_DECODE = {"%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
              "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";"}


def hubspot_v3(secret, method, uri, body, timestamp_ms):
    for enc, dec in _HS_DECODE.items():
        uri = uri.replace(enc, dec).replace(enc.lower(), dec)
    msg = f"{method.upper()}{uri}{body}{timestamp_ms}".encode("utf-8")
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def hubspot_headers(secret, uri, body, now_ms=None):
    ts = str(now_ms if now_ms is not None else int(time.time() * 1000))
    return {"HTTP_X_HUBSPOT_SIGNATURE_V3": hubspot_v3(secret, "POST", uri, body, ts),
            "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": ts}


def generic_headers(secret, body: bytes, now_s=None):
    ts = str(now_s if now_s is not None else int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_SLAWATCH_SIGNATURE": f"t={ts},v1={sig}"}


def basic(user, password):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}
