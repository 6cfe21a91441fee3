"""Drill: bad input at the four webhook endpoints, correctly authenticated so it reaches
the parsers: malformed JSON, wrong types, huge strings, deep nesting, invalid UTF-8,
XML entity attacks on the SOAP endpoint, and random JSON from hypothesis. Zero 5xx,
and whatever is refused stores nothing."""

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import signing
from bench.hostile import JSON_BODIES, XML_BODIES
from slawatch.ingest.models import CrmEvent
from tests.drills.conftest import EVENTS_SECRET, HS_SECRET, PD_PASSWORD, PD_USER, SF_TOKEN


def post_generic(client, body):
    headers = {"HTTP_X_SLAWATCH_SIGNATURE":
               signing.generic_headers(EVENTS_SECRET, body)["X-Slawatch-Signature"]}
    return client.post("/webhooks/events/", body, content_type="application/json", **headers)


def post_hubspot(client, body):
    # HubSpot signs text; bytes that are not UTF-8 are refused before the signature check.
    text = body.decode("utf-8", "replace")
    headers = signing.hubspot_headers(HS_SECRET, "http://testserver/webhooks/hubspot/", text)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()
            if k != "Content-Type"}
    return client.post("/webhooks/hubspot/", body, content_type="application/json", **meta)


def post_pipedrive(client, body):
    auth = base64.b64encode(f"{PD_USER}:{PD_PASSWORD}".encode()).decode()
    return client.post("/webhooks/pipedrive/", body, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Basic {auth}")


def post_salesforce(client, body):
    return client.post(f"/webhooks/salesforce/?token={SF_TOKEN}", body,
                       content_type="text/xml; charset=utf-8")


JSON_ENDPOINTS = {"generic": post_generic, "hubspot": post_hubspot, "pipedrive": post_pipedrive}


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
def test_malformed_json_is_4xx_and_stores_nothing(client, db, endpoint):
    statuses = [JSON_ENDPOINTS[endpoint](client, body).status_code for body in JSON_BODIES]
    assert all(400 <= s < 500 for s in statuses), list(zip(statuses, range(len(statuses))))
    assert CrmEvent.objects.count() == 0


def test_xml_attacks_and_malformed_soap_are_4xx_and_store_nothing(client, db):
    statuses = [post_salesforce(client, body).status_code for body in XML_BODIES]
    assert all(400 <= s < 500 for s in statuses), statuses
    assert CrmEvent.objects.count() == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["event_id", "type", "occurred_at", "crm", "lead", "touch", "eventId",
                         "subscriptionType", "objectId", "occurredAt", "propertyName",
                         "propertyValue", "meta", "data", "previous", "external_id", "owner"])
        | st.text(max_size=8), children, max_size=6),
    max_leaves=20)


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=json_values)
def test_random_json_never_answers_5xx(client, db, endpoint, value):
    response = JSON_ENDPOINTS[endpoint](client, json.dumps(value).encode())
    assert response.status_code < 500, response.content[:300]
