"""Property tests: deliveries in any order, duplicated, end in the same state; and no
malformed input makes an endpoint answer 500."""

import json

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings, strategies as st

from slawatch.ingest import services
from slawatch.ingest.adapters import generic, hubspot
from slawatch.ingest.models import CrmEvent
from slawatch.leads.models import Lead, LeadEvent
from tests.factories import PolicyFactory
from tests.ingest.conftest import EVENTS_SECRET, HS_SECRET, PD_PASSWORD, PD_USER, SF_TOKEN
from tests.ingest.signing import basic, generic_headers, hubspot_headers

pytestmark = pytest.mark.django_db
FIXTURE_OK = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _generic(event_id, type_, at, **extra):
    body = {"event_id": event_id, "type": type_, "occurred_at": at, "crm": "acme",
            "lead": {"external_id": "L-1", **extra.pop("lead", {})}, **extra}
    return ("generic", json.dumps(body).encode())


def _hubspot(event_id, at_ms, prop, value):
    return ("hubspot", json.dumps([{"eventId": event_id, "occurredAt": at_ms, "objectId": 99,
                                    "subscriptionType": "contact.propertyChange",
                                    "propertyName": prop, "propertyValue": value}]).encode())


DELIVERIES = [
    _generic("a", "lead.assigned", "2026-11-23T09:00:00Z", lead={"owner": "rep-7", "heat": "warm"}),
    _generic("b", "lead.heat_changed", "2026-11-23T09:05:00Z", lead={"heat": "hot"}),
    _generic("c", "lead.touched", "2026-11-23T09:12:00Z",
             touch={"kind": "call", "at": "2026-11-23T09:12:00Z", "by": "rep-7"}),
    _generic("d", "lead.assigned", "2026-11-23T09:30:00Z", lead={"owner": "rep-8"}),
    _generic("e", "lead.touched", "2026-11-23T10:30:00Z",
             touch={"kind": "email", "at": "2026-11-23T10:30:00Z", "by": "rep-8"}),
    _hubspot(1, 1795424400000, "hubspot_owner_id", "81234567"),          # 09:00
    _hubspot(2, 1795425000000, "lead_heat", "hot"),                      # 09:10
    _hubspot(3, 1795426800000, "notes_last_contacted", "1795426200000"),  # 09:30 -> touch 09:30
    _hubspot(4, 1795427400000, "hubspot_owner_id", "81234568"),          # 09:50
]
SPLIT = {"generic": generic.split, "hubspot": hubspot.split}


def _state():
    out = []
    for lead in Lead.objects.order_by("crm", "external_id"):
        out.append((lead.crm, lead.external_id, lead.owner_id, lead.heat, lead.status,
                    [(h.rep_id, h.handed_off_at, h.heat, h.status, h.first_touch_due_at,
                      h.first_touched_at, h.closed_at, h.close_reason)
                     for h in lead.handoffs.order_by("handed_off_at")],
                    [(t.key, t.at, t.counted, t.handoff.handed_off_at if t.handoff else None)
                     for t in lead.touches.order_by("key")]))
    return out


def _deliver(order, drain_each):
    Lead.objects.all().delete()
    CrmEvent.objects.all().delete()
    for index in order:
        source, body = DELIVERIES[index]
        services.inbox_store(source, SPLIT[source](body))
        if drain_each:
            services.process_due_events()
    services.process_due_events()
    return _state()


@time_machine.travel("2026-11-23T12:00:00Z", tick=False)
def test_any_order_with_duplicates_ends_in_the_same_state(cast):
    PolicyFactory(heat="warm", first_touch_minutes=60, follow_up_touches=1,
                  follow_up_window_minutes=120)
    PolicyFactory(heat="hot", first_touch_minutes=10)
    expected = _deliver(range(len(DELIVERIES)), drain_each=False)
    assert len(expected) == 2 and all(lead[5] for lead in expected)  # both leads have handoffs

    @settings(max_examples=25, **FIXTURE_OK)
    @given(order=st.permutations(range(len(DELIVERIES))),
           duplicates=st.lists(st.integers(0, len(DELIVERIES) - 1), max_size=6),
           positions=st.randoms(use_true_random=False),
           drain_each=st.booleans())
    def check(order, duplicates, positions, drain_each):
        order = list(order)
        for index in duplicates:  # CRM retries, anywhere in the stream
            order.insert(positions.randint(0, len(order)), index)
        assert _deliver(order, drain_each) == expected
        assert LeadEvent.objects.count() == _event_count

    _event_count = LeadEvent.objects.count()
    check()


# --- fuzz: no input makes a 500 ---------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**64) | st.floats(allow_nan=False) |
    st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=5),
    max_leaves=20)

KEYS = {
    "events": ["event_id", "type", "occurred_at", "crm", "lead", "touch", "opportunity",
               "external_id", "owner", "heat", "kind", "at", "amount", "currency", "score"],
    "hubspot": ["eventId", "occurredAt", "objectId", "subscriptionType", "eventType",
                "propertyName", "propertyValue", "objectTypeId"],
    "pipedrive": ["meta", "data", "previous", "action", "entity", "id", "owner_id", "done",
                  "person_id", "lead_id", "update_time", "timestamp", "marked_as_done_time"],
}
VALUES = st.sampled_from(["lead.assigned", "lead.touched", "lead.converted", "contact.creation",
                          "contact.propertyChange", "hubspot_owner_id", "notes_last_contacted",
                          "2026-11-23T09:00:00Z", "2026-13-45", "1718000000000", "person",
                          "activity", "change", "create", "hot", "0-1", ""]) | json_values


def shaped(endpoint):
    leaf = VALUES
    obj = st.recursive(
        st.dictionaries(st.sampled_from(KEYS[endpoint]), leaf, max_size=6),
        lambda inner: st.dictionaries(st.sampled_from(KEYS[endpoint]), inner | leaf, max_size=6),
        max_leaves=12)
    return (obj | st.lists(obj, max_size=3)).map(lambda v: json.dumps(v).encode())


def bodies(endpoint):
    if endpoint == "salesforce":
        notes = st.text(alphabet="<>/=\" :abcdeIdsObjectNotification&;!DOCTYPE", max_size=80)
        return st.one_of(st.binary(max_size=200), notes.map(
            lambda t: ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
                       'envelope/"><soapenv:Body><notifications>' + t +
                       '</notifications></soapenv:Body></soapenv:Envelope>').encode()))
    return st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                     shaped(endpoint))


def _post(client, endpoint, body):
    if endpoint == "events":
        headers = generic_headers(EVENTS_SECRET, body)
    elif endpoint == "hubspot":
        text = body.decode("utf-8", "replace")
        headers = hubspot_headers(HS_SECRET, "http://testserver/webhooks/hubspot/", text)
    elif endpoint == "pipedrive":
        headers = basic(PD_USER, PD_PASSWORD)
    else:
        headers = {}
    path = f"/webhooks/{endpoint}/" + (f"?token={SF_TOKEN}" if endpoint == "salesforce" else "")
    return client.post(path, data=body, content_type="application/json", **headers)


@pytest.mark.parametrize("endpoint", ["events", "hubspot", "pipedrive", "salesforce"])
def test_no_malformed_input_produces_a_500(client, cast, endpoint):
    @settings(max_examples=60, **FIXTURE_OK)
    @given(body=bodies(endpoint))
    def check(body):
        response = _post(client, endpoint, body)
        assert response.status_code in (200, 400, 401, 413), response.content
        if response.status_code != 200:
            assert "error" in json.loads(response.content)
        services.process_due_events()  # processing a stored oddity records an error, never raises

    check()
