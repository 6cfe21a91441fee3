"""The four webhook endpoints over the Django test client: auth, limits, errors with
nothing stored, duplicates, and what each CRM's payload becomes."""

import json
from hashlib import sha256

import pytest
import time_machine
from django.test import RequestFactory

from slawatch.ingest.models import CrmEvent
from slawatch.ingest.views import generic_webhook
from slawatch.leads.models import Handoff, Lead, LeadEvent
from slawatch.people.models import CrmIdentity
from tests.factories import PolicyFactory
from tests.ingest.conftest import EVENTS_SECRET, HS_SECRET, PD_PASSWORD, PD_USER, SF_TOKEN
from tests.ingest.fakes import FakeHubSpot
from tests.ingest.signing import basic, generic_headers, hubspot_headers
from tests.ingest.test_signatures import SAMPLE

pytestmark = pytest.mark.django_db
HS_URL = "/webhooks/hubspot/"
SAMPLE_BODY = json.dumps(SAMPLE, separators=(",", ":"))


def post_hubspot(client, body, uri="http://testserver/webhooks/hubspot/", **extra):
    headers = hubspot_headers(HS_SECRET, uri, body)
    headers.update(extra)
    return client.post(HS_URL, data=body, content_type="application/json", **headers)


# --- HubSpot ------------------------------------------------------------------

@time_machine.travel("2024-06-10T06:14:25Z", tick=False)
def test_official_vector_signed_batch_creates_the_right_handoff(client, cast, settings, on_commit):
    settings.SLAWATCH_PUBLIC_URL = "https://slawatch.example.com"
    PolicyFactory(heat="warm", first_touch_minutes=60)
    response = on_commit(client.post, HS_URL, data=SAMPLE_BODY, content_type="application/json",
                         HTTP_X_HUBSPOT_SIGNATURE_V3="u8ao/NW9gOghfx+Ukqzj9STdd527Yzad6t+j1hDBLiY=",
                         HTTP_X_HUBSPOT_REQUEST_TIMESTAMP="1718000065000")
    assert response.status_code == 200, response.content
    assert CrmEvent.objects.filter(source="hubspot", status="processed").count() == 2
    handoff = Handoff.objects.get()
    assert (handoff.lead.crm, handoff.lead.external_id) == ("hubspot", "51234567890")
    assert handoff.rep == cast.rep
    assert handoff.handed_off_at.isoformat() == "2024-06-10T06:14:20.456000+00:00"
    assert handoff.heat == "warm"
    assert handoff.first_touch_due_at.isoformat() == "2024-06-10T07:14:20.456000+00:00"


@time_machine.travel("2024-06-10T06:14:25Z", tick=False)
def test_creation_reads_the_contact_for_owner_assignment_time_and_heat(client, cast, settings,
                                                                       on_commit):
    PolicyFactory(heat="hot", first_touch_minutes=5)
    with FakeHubSpot() as api:
        api.contacts["51234567890"] = {
            "createdate": "2024-06-10T06:13:20.123Z", "email": "ana.ruiz@example.org",
            "firstname": "Ana", "lastname": "Ruiz", "hubspot_owner_id": "81234567",
            "hubspot_owner_assigneddate": "2024-06-10T06:14:00.000Z", "lead_heat": "Hot",
            "lastmodifieddate": "2024-06-10T06:14:21.002Z", "notes_last_contacted": None}
        settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = api.url, api.token
        response = on_commit(post_hubspot, client, json.dumps(SAMPLE[:1]))
    assert response.status_code == 200
    read = api.requests[0]
    assert read["path"] == "/crm/v3/objects/contacts/51234567890"
    assert "hubspot_owner_assigneddate" in read["query"]["properties"][0]
    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.heat, lead.owner) == (
        "ana.ruiz@example.org", "Ana Ruiz", "hot", cast.rep)
    handoff = Handoff.objects.get()
    assert handoff.handed_off_at.isoformat() == "2024-06-10T06:14:00+00:00"
    assert handoff.first_touch_due_at.isoformat() == "2024-06-10T06:19:00+00:00"


def test_property_changes_become_touches_and_heat(client, cast, on_commit):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    PolicyFactory(heat="hot", first_touch_minutes=5)
    base = {"eventId": 9, "subscriptionId": 1, "portalId": 1, "appId": 1, "attemptNumber": 0,
            "objectId": 77, "subscriptionType": "contact.propertyChange", "changeSource": "CRM"}
    batch = [
        {**base, "eventId": 1, "occurredAt": 1718000000000, "propertyName": "hubspot_owner_id",
         "propertyValue": "81234567"},
        {**base, "eventId": 2, "occurredAt": 1718000100000, "propertyName": "lead_heat",
         "propertyValue": "hot"},
        {**base, "eventId": 3, "occurredAt": 1718000300000, "propertyName": "notes_last_contacted",
         "propertyValue": "1718000200000"},
        {**base, "eventId": 4, "occurredAt": 1718000301000,
         "propertyName": "hs_last_sales_activity_timestamp", "propertyValue": "1718000200000"},
    ]
    assert on_commit(post_hubspot, client, json.dumps(batch)).status_code == 200
    lead = Lead.objects.get(crm="hubspot", external_id="77")
    assert lead.heat == "hot"
    # both last-contacted properties name one activity: one touch, not two
    assert [t.at.isoformat() for t in lead.touches.all()] == ["2024-06-10T06:16:40+00:00"]
    assert lead.handoffs.get().first_touched_at.isoformat() == "2024-06-10T06:16:40+00:00"


def test_unknown_subscription_type_is_stored_and_ignored(client, db, on_commit):
    batch = [{"eventId": 5, "occurredAt": 1718000000000, "objectId": 3,
              "subscriptionType": "deal.creation", "portalId": 1}]
    assert on_commit(post_hubspot, client, json.dumps(batch)).status_code == 200
    event = CrmEvent.objects.get()
    assert (event.status, event.domain_events, event.error) == ("processed", 0, "")
    assert not LeadEvent.objects.exists()


def test_event_type_is_tolerated_for_subscription_type(client, cast, on_commit):
    batch = [{"eventId": 5, "occurredAt": 1718000000000, "objectId": 3,
              "eventType": "contact.propertyChange", "propertyName": "hubspot_owner_id",
              "propertyValue": "81234568"}]
    assert on_commit(post_hubspot, client, json.dumps(batch)).status_code == 200
    assert Lead.objects.get(external_id="3").owner == cast.rep2


def test_duplicate_delivery_answers_2xx_and_changes_nothing(client, cast, on_commit):
    PolicyFactory(heat="warm")
    assert on_commit(post_hubspot, client, SAMPLE_BODY).status_code == 200
    before = (list(CrmEvent.objects.values_list("pk", "status", "processed_at")),
              list(LeadEvent.objects.values_list("pk", flat=True)),
              list(Handoff.objects.values_list("pk", "updated_at")))
    retry = json.dumps([{**e, "attemptNumber": 1} for e in SAMPLE])  # HubSpot's retry
    assert on_commit(post_hubspot, client, retry).status_code == 200
    after = (list(CrmEvent.objects.values_list("pk", "status", "processed_at")),
             list(LeadEvent.objects.values_list("pk", flat=True)),
             list(Handoff.objects.values_list("pk", "updated_at")))
    assert after == before


def test_event_id_alone_does_not_dedupe(client, db):
    same_id = [{"eventId": 1, "occurredAt": 1718000000000, "objectId": 1,
                "subscriptionType": "contact.creation"},
               {"eventId": 1, "occurredAt": 1718000000001, "objectId": 2,
                "subscriptionType": "contact.creation"}]
    assert post_hubspot(client, json.dumps(same_id)).status_code == 200
    assert CrmEvent.objects.count() == 2


@pytest.mark.parametrize("change, message", [
    ({"HTTP_X_HUBSPOT_SIGNATURE_V3": "AAAA"}, "does not match"),
    ({"HTTP_X_HUBSPOT_SIGNATURE_V3": ""}, "missing"),
])
def test_hubspot_bad_signature_is_401_and_stores_nothing(client, db, change, message):
    response = post_hubspot(client, SAMPLE_BODY, **change)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_hubspot_stale_timestamp_is_401(client, db):
    headers = hubspot_headers(HS_SECRET, "http://testserver/webhooks/hubspot/", SAMPLE_BODY,
                              now_ms=1718000065000)
    response = client.post(HS_URL, data=SAMPLE_BODY, content_type="application/json", **headers)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_hubspot_signature_is_over_the_public_url_when_set(client, db, settings):
    settings.SLAWATCH_PUBLIC_URL = "https://hooks.example.com"
    assert post_hubspot(client, SAMPLE_BODY).status_code == 401  # signed for testserver
    response = post_hubspot(client, SAMPLE_BODY, uri="https://hooks.example.com/webhooks/hubspot/")
    assert response.status_code == 200


def test_hubspot_v1_signature_is_accepted_when_declared(client, db):
    signature = sha256((HS_SECRET + SAMPLE_BODY).encode()).hexdigest()
    response = client.post(HS_URL, data=SAMPLE_BODY, content_type="application/json",
                           HTTP_X_HUBSPOT_SIGNATURE_VERSION="v1", HTTP_X_HUBSPOT_SIGNATURE=signature)
    assert response.status_code == 200
    assert CrmEvent.objects.get(event_id__startswith="1876543201").headers[
        "X-HubSpot-Signature-Version"] == "v1"


@pytest.mark.parametrize("body, message", [
    ("not json", "not valid JSON"),
    ("[]", "empty"),
    ('[{"eventId": 1, "occurredAt": 1, "objectId": 1}]', "subscriptionType"),
    ('[{"eventId": 1, "occurredAt": 1718000000000, "objectId": 1, "subscriptionType": "a"}, 5]',
     "event 1 must be an object"),
])
def test_hubspot_malformed_batch_is_400_naming_the_problem(client, db, body, message):
    response = post_hubspot(client, body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_unconfigured_secret_answers_503_never_accepts(client, db, settings):
    settings.HUBSPOT_CLIENT_SECRET = None
    response = post_hubspot(client, SAMPLE_BODY)
    assert response.status_code == 503 and "HUBSPOT_CLIENT_SECRET" in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_body_over_the_limit_is_413(client, db, settings):
    settings.SLAWATCH_MAX_BODY_BYTES = 100
    response = post_hubspot(client, SAMPLE_BODY)
    assert response.status_code == 413
    assert not CrmEvent.objects.exists()


def test_get_is_not_allowed(client, db):
    assert client.get(HS_URL).status_code == 405


# --- generic ------------------------------------------------------------------

def generic(event_id="evt-1", type_="lead.assigned", **lead):
    return {"event_id": event_id, "type": type_, "occurred_at": "2026-11-23T09:00:00Z",
            "crm": "acme", "lead": {"external_id": "L-42", "heat": "hot", "owner": "rep-7", **lead}}


def post_generic(client, payload, **extra):
    body = json.dumps(payload).encode()
    headers = {**generic_headers(EVENTS_SECRET, body), **extra}
    return client.post("/webhooks/events/", data=body, content_type="application/json", **headers)


@time_machine.travel("2026-11-23T09:01:00Z", tick=False)
def test_generic_event_opens_a_handoff(client, cast, on_commit):
    PolicyFactory(heat="hot", first_touch_minutes=15)
    assert on_commit(post_generic, client, generic()).status_code == 200
    handoff = Handoff.objects.get()
    assert (handoff.rep, handoff.lead.crm) == (cast.rep, "acme")
    assert handoff.first_touch_due_at.isoformat() == "2026-11-23T09:15:00+00:00"


def test_generic_batch_with_one_bad_element_is_rejected_whole(client, db):
    response = post_generic(client, [generic("a"), generic("b", type_="lead.exploded")])
    assert response.status_code == 400
    assert "event 1" in response.json()["error"] and "type" in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_generic_unknown_owner_keeps_the_event_and_shows_unmapped(client, cast, on_commit):
    assert on_commit(post_generic, client, generic(owner="rep-404")).status_code == 200
    lead = Lead.objects.get()
    assert lead.owner_unmapped and lead.owner_crm_id == "rep-404"
    assert not Handoff.objects.exists()
    assert CrmEvent.objects.get().status == "processed"


def test_generic_bad_and_stale_signatures_are_401(client, db):
    body = json.dumps(generic()).encode()
    stale = generic_headers(EVENTS_SECRET, body, now_s=1_000_000_000)
    assert client.post("/webhooks/events/", data=body, content_type="application/json",
                       **stale).status_code == 401
    wrong = generic_headers("not-the-secret", body)
    assert client.post("/webhooks/events/", data=body, content_type="application/json",
                       **wrong).status_code == 401
    assert client.post("/webhooks/events/", data=body,
                       content_type="application/json").status_code == 401
    assert not CrmEvent.objects.exists()


# --- Pipedrive ----------------------------------------------------------------

def pipedrive(action="change", entity="person", data=None, previous=None, meta_id="7f1c"):
    meta = {"action": action, "entity": entity, "entity_id": "1042", "id": meta_id,
            "company_id": "12882925", "user_id": "18487521", "version": "2.0",
            "webhook_id": "99", "attempt": 1, "timestamp": "2024-06-10T06:15:00.000Z",
            "change_source": "app", "is_bulk_edit": False, "type": "general"}
    return {"meta": meta, "data": data, "previous": previous}


def post_pipedrive(client, payload, auth=(PD_USER, PD_PASSWORD)):
    return client.post("/webhooks/pipedrive/", data=json.dumps(payload),
                       content_type="application/json", **(basic(*auth) if auth else {}))


def test_pipedrive_owner_change_then_done_activity(client, cast, on_commit):
    CrmIdentity.objects.create(person=cast.rep, crm="pipedrive", owner_id="18487521")
    PolicyFactory(heat="warm", first_touch_minutes=30)
    owner = pipedrive(data={"id": 1042, "name": "Ana Ruiz", "owner_id": 18487521,
                            "update_time": "2024-06-10T06:15:00Z", "custom_fields": {}},
                      previous={"owner_id": 18487000})
    assert on_commit(post_pipedrive, client, owner).status_code == 200
    done = pipedrive(entity="activity", meta_id="8a2d",
                     data={"id": 555, "type": "call", "done": True, "person_id": 1042,
                           "owner_id": 18487521, "marked_as_done_time": "2024-06-10 06:25:00",
                           "update_time": "2024-06-10T06:25:01Z"},
                     previous={"done": False})
    assert on_commit(post_pipedrive, client, done).status_code == 200
    handoff = Handoff.objects.get()
    assert (handoff.lead.crm, handoff.lead.external_id, handoff.rep) == ("pipedrive", "1042", cast.rep)
    assert handoff.handed_off_at.isoformat() == "2024-06-10T06:15:00+00:00"
    assert handoff.first_touched_at.isoformat() == "2024-06-10T06:25:00+00:00"
    assert handoff.status == "met"


def test_pipedrive_edit_without_owner_change_is_no_assignment(client, cast, on_commit):
    edit = pipedrive(data={"id": 1042, "owner_id": 18487521, "name": "Ana R."},
                     previous={"name": "Ana"})
    assert on_commit(post_pipedrive, client, edit).status_code == 200
    assert CrmEvent.objects.get().domain_events == 0


@pytest.mark.parametrize("auth", [None, (PD_USER, "wrong"), ("other", PD_PASSWORD)])
def test_pipedrive_wrong_credentials_are_401(client, db, auth):
    response = post_pipedrive(client, pipedrive(data={"id": 1}), auth=auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert not CrmEvent.objects.exists()


def test_pipedrive_without_meta_is_400(client, db):
    response = post_pipedrive(client, {"current": {}})
    assert response.status_code == 400 and "meta" in response.json()["error"]


# --- Salesforce ---------------------------------------------------------------

ORG = "00DRO000000AbCdE2A"


def outbound(*notes, org=ORG):
    body = "".join(f"""
   <Notification>
    <Id>{note_id}</Id>
    <sObject xsi:type="sf:Lead" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     {''.join(f'<sf:{k}>{v}</sf:{k}>' for k, v in fields.items())}
    </sObject>
   </Notification>""" for note_id, fields in notes)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{org}</OrganizationId>
   <ActionId>04kRO0000000001YAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://acme.my.salesforce.com/services/Soap/c/59.0/00DRO000000AbCd</EnterpriseUrl>
   <PartnerUrl>https://acme.my.salesforce.com/services/Soap/u/59.0/00DRO000000AbCd</PartnerUrl>{body}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


LEAD = {"Id": "00QRO00000AbCdE2AQ", "OwnerId": "005RO000001XyZaYAK", "Rating": "Hot",
        "Status": "Open - Not Contacted", "IsConverted": "false", "FirstName": "Ana",
        "LastName": "Ruiz", "Company": "Example Co",
        "CreatedDate": "2024-06-10T06:13:20.000Z", "LastModifiedDate": "2024-06-10T06:13:21.000Z"}


def post_salesforce(client, xml, token=SF_TOKEN):
    url = "/webhooks/salesforce/" + (f"?token={token}" if token else "")
    return client.post(url, data=xml, content_type="text/xml; charset=utf-8",
                       HTTP_SOAPACTION='""')


@pytest.fixture
def sf_rep(cast):
    CrmIdentity.objects.create(person=cast.rep, crm="salesforce", owner_id="005RO000001XyZaYAK")
    CrmIdentity.objects.create(person=cast.rep2, crm="salesforce", owner_id="005RO000002XyZaYAK")
    return cast


def test_salesforce_outbound_message_is_acked_and_opens_a_handoff(client, sf_rep, on_commit):
    PolicyFactory(heat="hot", first_touch_minutes=5)
    response = on_commit(post_salesforce, client, outbound(("04lRO0000000001", LEAD)))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Ack>true</Ack>" in response.content
    assert b"notificationsResponse" in response.content
    handoff = Handoff.objects.get()
    assert (handoff.lead.crm, handoff.rep, handoff.heat) == ("salesforce", sf_rep.rep, "hot")
    assert handoff.handed_off_at.isoformat() == "2024-06-10T06:13:20+00:00"  # CreatedDate


def test_salesforce_reassignment_uses_last_modified_and_conversion_closes(client, sf_rep,
                                                                          on_commit):
    PolicyFactory(heat="hot", first_touch_minutes=5)
    on_commit(post_salesforce, client, outbound(("04l1", LEAD)))
    moved = {**LEAD, "OwnerId": "005RO000002XyZaYAK", "LastModifiedDate": "2024-06-10T08:00:00.000Z"}
    on_commit(post_salesforce, client, outbound(("04l2", moved)))
    converted = {**moved, "IsConverted": "true", "Status": "Closed - Converted",
                 "LastModifiedDate": "2024-06-10T09:00:00.000Z"}
    on_commit(post_salesforce, client, outbound(("04l3", converted)))
    first, second = Handoff.objects.order_by("handed_off_at")
    assert (first.rep, first.close_reason) == (sf_rep.rep, "reassigned")
    assert second.rep == sf_rep.rep2
    assert second.handed_off_at.isoformat() == "2024-06-10T08:00:00+00:00"
    assert second.closed_at.isoformat() == "2024-06-10T09:00:00+00:00"
    assert Lead.objects.get().status == "converted"


def test_salesforce_disqualified_status(client, sf_rep, on_commit):
    dq = {**LEAD, "Status": "Closed - Not Converted"}
    on_commit(post_salesforce, client, outbound(("04l1", dq)))
    assert Lead.objects.get().status == "disqualified"


def test_salesforce_duplicate_notification_is_acked_and_ignored(client, sf_rep, on_commit):
    xml = outbound(("04lRO0000000001", LEAD))
    on_commit(post_salesforce, client, xml)
    response = on_commit(post_salesforce, client, xml)
    assert response.status_code == 200 and b"<Ack>true</Ack>" in response.content
    assert CrmEvent.objects.count() == 1


def test_salesforce_xxe_and_entity_bombs_are_refused(client, db):
    xxe = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
           '<soapenv:Body>&e;</soapenv:Body></soapenv:Envelope>')
    bomb = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            '<l>&c;</l>')
    for xml in (xxe, bomb):
        response = post_salesforce(client, xml)
        assert response.status_code == 400
        assert "SOAP" in response.json()["error"]
    assert not CrmEvent.objects.exists()


def test_salesforce_needs_the_url_token(client, db):
    assert post_salesforce(client, outbound(("04l1", LEAD)), token=None).status_code == 401
    assert post_salesforce(client, outbound(("04l1", LEAD)), token="guess").status_code == 401
    assert not CrmEvent.objects.exists()


def test_salesforce_other_organization_is_refused(client, db, settings):
    settings.SALESFORCE_ORGANIZATION_ID = ORG[:15]  # the 15-character form matches too
    assert post_salesforce(client, outbound(("04l1", LEAD))).status_code == 200
    response = post_salesforce(client, outbound(("04l2", LEAD), org="00DXX000000ZzZzZ2A"))
    assert response.status_code == 403 and "OrganizationId" in response.json()["error"]
    assert CrmEvent.objects.count() == 1


def test_salesforce_not_an_outbound_message_is_400(client, db):
    response = post_salesforce(client, "<a><b/></a>")
    assert response.status_code == 400 and "notifications" in response.json()["error"]


def test_nul_characters_are_400_on_every_json_endpoint(client, db):
    nul = generic("evt-\u0000")
    assert post_generic(client, nul).status_code == 400
    batch = json.dumps([{**SAMPLE[0], "propertyValue": "a\u0000"}])
    assert "NUL" in post_hubspot(client, batch).json()["error"]
    response = post_pipedrive(client, pipedrive(data={"id": 1, "name": "\u0000"}))
    assert response.status_code == 400
    assert not CrmEvent.objects.exists()


def test_a_body_longer_than_its_declared_length_is_still_413(db, settings):
    settings.SLAWATCH_MAX_BODY_BYTES = 50
    request = RequestFactory().post("/webhooks/events/", data=b"x" * 500,
                                    content_type="application/json")
    request.META["CONTENT_LENGTH"] = "10"  # a lying (or absent, chunked) length
    response = generic_webhook(request)
    assert response.status_code == 413
    assert not CrmEvent.objects.exists()


def test_the_contract_example_is_accepted_as_is(client, cast, on_commit):
    example = {"event_id": "evt-0001", "type": "lead.assigned",
               "occurred_at": "2026-11-23T09:00:00Z", "crm": "acme-crm",
               "lead": {"external_id": "L-42", "email": "ana@example.com", "name": "Ana Ruiz",
                        "company": "Example Co", "source": "demo_request",
                        "campaign": "Q4-webinar", "heat": "hot", "owner": "rep-7", "score": 81}}
    assert on_commit(post_generic, client, example).status_code == 200
    lead = Lead.objects.get()
    assert (lead.crm, lead.campaign, lead.score, lead.owner_crm_id) == (
        "acme-crm", "Q4-webinar", 81, "rep-7")


def test_hubspot_v2_signature_covers_method_and_uri(client, db):
    uri = "http://testserver/webhooks/hubspot/"
    good = sha256((HS_SECRET + "POST" + uri + SAMPLE_BODY).encode()).hexdigest()
    wrong_uri = sha256((HS_SECRET + "POST" + uri + "x" + SAMPLE_BODY).encode()).hexdigest()
    for signature, status in ((wrong_uri, 401), (good, 200)):
        response = client.post(HS_URL, data=SAMPLE_BODY, content_type="application/json",
                               HTTP_X_HUBSPOT_SIGNATURE_VERSION="v2",
                               HTTP_X_HUBSPOT_SIGNATURE=signature)
        assert response.status_code == status
    assert CrmEvent.objects.count() == 2


def test_pipedrive_lead_created_with_an_owner_is_an_assignment(client, cast, on_commit):
    CrmIdentity.objects.create(person=cast.rep2, crm="pipedrive", owner_id="777")
    created = pipedrive(action="create", entity="lead", meta_id="c1",
                        data={"id": "adf21080-0e10-11eb-879b-05d71fb426ec", "title": "Acme deal",
                              "owner_id": 777, "add_time": "2024-06-10T07:00:00Z",
                              "update_time": "2024-06-10T07:00:00Z"})
    assert on_commit(post_pipedrive, client, created).status_code == 200
    lead = Lead.objects.get(crm="pipedrive")
    assert (lead.external_id, lead.owner, lead.name) == (
        "adf21080-0e10-11eb-879b-05d71fb426ec", cast.rep2, "Acme deal")
