"""Signature checks against the official HubSpot SDK/doc vectors and our own."""

import base64
import json

import pytest

from slawatch.ingest import signatures as s

SDK_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
SDK_BODY = "{'example_field':'example_value'}"
SDK_URI = "https://www.example.com/webhook_uri"
SAMPLE = [
    {"eventId": 1876543201, "subscriptionId": 2451234, "portalId": 44556677, "appId": 1234567,
     "occurredAt": 1718000000123, "subscriptionType": "contact.creation", "attemptNumber": 0,
     "objectId": 51234567890, "changeFlag": "CREATED", "changeSource": "FORM",
     "sourceId": "form:7f3c2a10"},
    {"eventId": 1876543202, "subscriptionId": 2451240, "portalId": 44556677, "appId": 1234567,
     "occurredAt": 1718000060456, "subscriptionType": "contact.propertyChange", "attemptNumber": 0,
     "objectId": 51234567890, "propertyName": "hubspot_owner_id", "propertyValue": "81234567",
     "changeSource": "CRM_UI", "sourceId": "userId:9876543"},
]


def test_hubspot_v3_matches_the_sdk_vector():
    assert s.hubspot_v3_signature(SDK_SECRET, "POST", SDK_URI, SDK_BODY, "1693657560000") == \
        "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="


def test_hubspot_v3_matches_the_sample_batch_vector():
    body = json.dumps(SAMPLE, separators=(",", ":"))
    assert len(body) == 572
    assert s.hubspot_v3_signature("test-client-secret", "POST",
                                  "https://slawatch.example.com/webhooks/hubspot/", body,
                                  "1718000065000") == "u8ao/NW9gOghfx+Ukqzj9STdd527Yzad6t+j1hDBLiY="


def test_hubspot_v1_and_v2_match_the_vectors():
    assert s.hubspot_v1_signature(SDK_SECRET, SDK_BODY) == \
        "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"
    assert s.hubspot_v2_signature(SDK_SECRET, "POST", SDK_URI, SDK_BODY) == \
        "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"
    assert s.hubspot_v2_signature(SDK_SECRET, "GET", SDK_URI, "") == \
        "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"


def test_hubspot_v1_doc_vector():
    body = ('[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
            '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
            '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]')
    assert s.hubspot_v1_signature(SDK_SECRET, body) == \
        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"


def test_hubspot_v3_decodes_the_uri_table_before_signing():
    encoded = "https://x.example.com/webhooks/hubspot/?a=%3A%2F%40"
    decoded = "https://x.example.com/webhooks/hubspot/?a=:/@"
    assert s.hubspot_v3_signature("k", "POST", encoded, "[]", "1") == \
        s.hubspot_v3_signature("k", "POST", decoded, "[]", "1")


def _v3_headers(ts, body=SDK_BODY):
    return {"x-hubspot-signature-v3": s.hubspot_v3_signature(SDK_SECRET, "POST", SDK_URI, body, ts),
            "x-hubspot-request-timestamp": ts}


def test_verify_hubspot_accepts_fresh_and_refuses_stale_timestamps():
    now = 1693657560.0
    verify = dict(secret=SDK_SECRET, method="POST", uri=SDK_URI, body=SDK_BODY)
    assert s.verify_hubspot(**verify, headers=_v3_headers("1693657560000"), now=now + 299) == "v3"
    with pytest.raises(s.SignatureError, match="5 minutes"):
        s.verify_hubspot(**verify, headers=_v3_headers("1693657560000"), now=now + 301)


def test_verify_hubspot_refuses_tampered_body_and_missing_headers():
    headers = _v3_headers("1693657560000")
    with pytest.raises(s.SignatureError, match="does not match"):
        s.verify_hubspot(secret=SDK_SECRET, method="POST", uri=SDK_URI, body=SDK_BODY + " ",
                         headers=headers, now=1693657560)
    with pytest.raises(s.SignatureError, match="missing"):
        s.verify_hubspot(secret=SDK_SECRET, method="POST", uri=SDK_URI, body=SDK_BODY,
                         headers={}, now=1693657560)


def test_verify_hubspot_v1_when_the_version_header_says_so():
    headers = {"x-hubspot-signature-version": "v1",
               "x-hubspot-signature": s.hubspot_v1_signature(SDK_SECRET, SDK_BODY)}
    assert s.verify_hubspot(secret=SDK_SECRET, method="POST", uri=SDK_URI, body=SDK_BODY,
                            headers=headers, now=0) == "v1"
    headers["x-hubspot-signature"] = "0" * 64
    with pytest.raises(s.SignatureError):
        s.verify_hubspot(secret=SDK_SECRET, method="POST", uri=SDK_URI, body=SDK_BODY,
                         headers=headers, now=0)


def test_generic_signature_window_and_tamper():
    body = b'{"a":1}'
    header = s.generic_header("sec", 1000, body)
    s.verify_generic(secret="sec", header=header, body=body, now=1300)
    with pytest.raises(s.SignatureError, match="300 s"):
        s.verify_generic(secret="sec", header=header, body=body, now=1301)
    with pytest.raises(s.SignatureError, match="does not match"):
        s.verify_generic(secret="sec", header=header, body=b'{"a":2}', now=1000)
    with pytest.raises(s.SignatureError, match="t=<unix seconds>"):
        s.verify_generic(secret="sec", header="v1=abc", body=body, now=1000)


def test_basic_auth_matches_only_the_exact_pair():
    good = "Basic " + base64.b64encode(b"u:p:with:colons").decode()
    assert s.basic_auth_matches(good, "u", "p:with:colons")
    assert not s.basic_auth_matches(good, "u", "p")
    assert not s.basic_auth_matches("Basic !!!", "u", "p")
    assert not s.basic_auth_matches(None, "u", "p")


def test_non_ascii_digits_in_timestamps_are_refused_not_crashing():
    with pytest.raises(s.SignatureError):
        s.verify_generic(secret="sec", header="t=²,v1=ab", body=b"", now=0)
    with pytest.raises(s.SignatureError):
        s.verify_hubspot(secret="sec", method="POST", uri="u", body="",
                         headers={"x-hubspot-signature-v3": "x",
                                  "x-hubspot-request-timestamp": "²"}, now=0)
