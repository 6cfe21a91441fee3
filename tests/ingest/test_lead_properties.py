"""Lead properties from every CRM, by webhook and by poll against the loopback fakes:
stored on the lead as last seen (an older change never overwrites a newer one), and
read by the active lead definition's rules."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from config import env
from slawatch.definitions import services as definitions
from slawatch.ingest import pollers, services
from slawatch.ingest.clients import HubSpotClient, SalesforceClient
from slawatch.leads.models import Handoff, Lead
from slawatch.people.models import CrmIdentity
from tests.factories import PolicyFactory
from tests.ingest.fakes import FakeHubSpot, FakeSalesforce
from tests.ingest.test_polling import Sleeps, contact, sf_lead
from tests.ingest.test_webhooks import (
    LEAD,
    outbound,
    pipedrive,
    post_hubspot,
    post_pipedrive,
    post_salesforce,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def capture(settings):
    settings.HUBSPOT_LEAD_PROPERTIES = ["hubspotscore", "form_name"]
    settings.SALESFORCE_LEAD_FIELDS = ["Country", "Score__c"]
    return settings


@pytest.fixture
def tiers(db):
    PolicyFactory(heat="hot", first_touch_minutes=5)
    PolicyFactory(heat="warm", first_touch_minutes=60)


def _score_rule(field, minimum=80):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    with time_machine.travel(datetime(2024, 6, 1, tzinfo=UTC), tick=False):
        draft = definitions.definition_create(
            name="score", default_heat="warm", crm_heat="ignore",
            rules=[{"heat": "hot", "when": [{"field": field, "op": "gte", "value": minimum}]}])
        definitions.definition_activate(definition=draft, user=superuser)


# --- HubSpot ------------------------------------------------------------------

HS_BASE = {"subscriptionId": 1, "portalId": 1, "appId": 1, "attemptNumber": 0, "objectId": 77,
           "subscriptionType": "contact.propertyChange", "changeSource": "CRM"}


def test_hubspot_property_changes_are_captured_last_seen_and_re_tier(client, cast, capture,
                                                                     tiers, on_commit):
    _score_rule("hubspotscore")
    batch = [
        {**HS_BASE, "eventId": 1, "occurredAt": 1718000000000, "propertyName": "hubspot_owner_id",
         "propertyValue": "81234567"},
        # newer first: the later, older change must not overwrite it
        {**HS_BASE, "eventId": 3, "occurredAt": 1718000120000, "propertyName": "hubspotscore",
         "propertyValue": "91"},
        {**HS_BASE, "eventId": 2, "occurredAt": 1718000060000, "propertyName": "hubspotscore",
         "propertyValue": "40"},
        {**HS_BASE, "eventId": 4, "occurredAt": 1718000060000, "propertyName": "not_captured",
         "propertyValue": "x"},
    ]
    assert on_commit(post_hubspot, client, json.dumps(batch[:1])).status_code == 200
    assert on_commit(post_hubspot, client, json.dumps(batch[1:])).status_code == 200
    lead = Lead.objects.get(crm="hubspot", external_id="77")
    assert lead.properties == {"hubspotscore": "91"}
    handoff = Handoff.objects.get()
    # warm at assignment (no score yet); the score reaching 91 two minutes later, before
    # any touch, re-tiers it: due = min(00:00 + 60, 02:00 + 5)
    assert (handoff.heat, handoff.definition_version) == ("hot", 1)
    assert handoff.first_touch_due_at.isoformat() == "2024-06-10T06:20:20+00:00"


@time_machine.travel("2024-06-10T06:14:25Z", tick=False)
def test_hubspot_creation_reads_the_captured_properties_from_the_contact(client, cast, capture,
                                                                         tiers, on_commit):
    _score_rule("hubspotscore")
    with FakeHubSpot() as api:
        api.contacts["51234567890"] = {
            "createdate": "2024-06-10T06:13:20.123Z", "hubspot_owner_id": "81234567",
            "hubspot_owner_assigneddate": "2024-06-10T06:14:00.000Z", "hubspotscore": "88",
            "form_name": "Demo request", "lastmodifieddate": "2024-06-10T06:14:21.002Z"}
        capture.HUBSPOT_API_BASE, capture.HUBSPOT_ACCESS_TOKEN = api.url, api.token
        created = [{**HS_BASE, "eventId": 9, "occurredAt": 1718000000123, "objectId": 51234567890,
                    "subscriptionType": "contact.creation"}]
        assert on_commit(post_hubspot, client, json.dumps(created)).status_code == 200
    asked = api.requests[0]["query"]["properties"][0].split(",")
    assert {"hubspotscore", "form_name"} <= set(asked)
    lead = Lead.objects.get()
    assert lead.properties == {"hubspotscore": "88", "form_name": "Demo request"}
    assert Handoff.objects.get().heat == "hot"


@time_machine.travel(NOW, tick=False)
def test_hubspot_poll_requests_and_captures_properties(cast, capture, tiers):
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(1, hubspotscore="12", form_name="Webinar"),
                                       contact(2, hubspotscore=None)]
        pollers.poll_hubspot(HubSpotClient(api.url, api.token, sleep=Sleeps()))
    body = json.loads(next(r["body"] for r in api.requests if r["path"].endswith("/search")))
    assert {"hubspotscore", "form_name"} <= set(body["properties"])
    services.process_due_events()
    leads = {lead.external_id: lead.properties for lead in Lead.objects.all()}
    assert leads == {"1": {"hubspotscore": "12", "form_name": "Webinar"}, "2": {}}
    # a later poll of a newer modification replaces the value; nulls clear it
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(1, modified="2024-06-10T11:59:00Z",
                                               hubspotscore="95", form_name=None)]
        pollers.poll_hubspot(HubSpotClient(api.url, api.token, sleep=Sleeps()))
    services.process_due_events()
    assert Lead.objects.get(external_id="1").properties == {"hubspotscore": "95"}


# --- Salesforce ---------------------------------------------------------------

@pytest.fixture
def sf_rep(cast):
    CrmIdentity.objects.create(person=cast.rep, crm="salesforce", owner_id="005RO000001XyZaYAK")
    return cast


def test_salesforce_outbound_message_fields_are_captured(client, sf_rep, capture, tiers,
                                                         on_commit):
    _score_rule("Score__c")
    lead = {**LEAD, "Rating": "Cold", "Country": "DE", "Score__c": "85.0", "Industry": "Retail"}
    assert on_commit(post_salesforce, client, outbound(("04lRO0000000001", lead))).status_code \
        == 200
    stored = Lead.objects.get(crm="salesforce")
    assert stored.properties == {"Country": "DE", "Score__c": "85.0"}
    assert (stored.crm_heat, stored.heat) == ("cold", "hot")  # the rules ignore Rating
    assert Handoff.objects.get().heat == "hot"
    older = {**lead, "Score__c": "10", "LastModifiedDate": "2024-06-10T06:13:20.500Z"}
    on_commit(post_salesforce, client, outbound(("04lRO0000000002", older)))
    assert Lead.objects.get(crm="salesforce").properties["Score__c"] == "85.0"


@time_machine.travel(NOW, tick=False)
def test_salesforce_poll_selects_and_captures_the_fields(sf_rep, capture, tiers):
    with FakeSalesforce() as api:
        api.records["Lead"] = [sf_lead(1, Country="FR", Score__c=42.0)]
        client = SalesforceClient(api.url, access_token=api.valid_token, sleep=Sleeps())
        pollers.poll_salesforce(client, NOW)
    soql = next(r for r in api.requests if r["path"].endswith("/query"))["query"]["q"][0]
    assert soql.startswith("SELECT Id, OwnerId,") and ", Country, Score__c FROM Lead" in soql
    services.process_due_events()
    assert Lead.objects.get(crm="salesforce").properties == {"Country": "FR", "Score__c": 42.0}


def test_a_field_name_that_is_not_an_identifier_stops_start_up(monkeypatch):
    monkeypatch.setenv("SALESFORCE_LEAD_FIELDS", "Country, Id FROM User--")
    with pytest.raises(ImproperlyConfigured, match="SALESFORCE_LEAD_FIELDS"):
        env.env_names("SALESFORCE_LEAD_FIELDS", r"[A-Za-z][A-Za-z0-9_]{0,99}", "a field")


# --- Pipedrive ----------------------------------------------------------------

def test_pipedrive_custom_fields_are_captured_by_key(client, cast, tiers, on_commit):
    CrmIdentity.objects.create(person=cast.rep, crm="pipedrive", owner_id="18487521")
    _score_rule("9f2c_score")
    created = pipedrive(action="create", data={
        "id": 1042, "name": "Ana Ruiz", "owner_id": 18487521,
        "update_time": "2024-06-10T06:15:00Z",
        "custom_fields": {"9f2c_score": {"type": "double", "value": 30},
                          "a1b2_country": {"type": "enum", "value": {"id": 4, "label": "DE"}},
                          "c3d4_note": "from the fair"}}, previous=None)
    assert on_commit(post_pipedrive, client, created).status_code == 200
    lead = Lead.objects.get(crm="pipedrive")
    assert lead.properties == {"9f2c_score": 30, "a1b2_country": "DE",
                               "c3d4_note": "from the fair"}
    assert Handoff.objects.get().heat == "warm"
    edit = pipedrive(meta_id="7f1d", data={
        "id": 1042, "name": "Ana Ruiz", "owner_id": 18487521,
        "update_time": "2024-06-10T06:20:00Z",
        "custom_fields": {"9f2c_score": {"type": "double", "value": 90},
                          "a1b2_country": {"type": "enum", "value": {"id": 4, "label": "DE"}},
                          "c3d4_note": None}},
        previous={"custom_fields": {"9f2c_score": {"type": "double", "value": 30}}})
    assert on_commit(post_pipedrive, client, edit).status_code == 200
    lead.refresh_from_db()
    assert lead.properties == {"9f2c_score": 90, "a1b2_country": "DE"}
    handoff = Handoff.objects.get()  # the edit is no reassignment
    assert handoff.heat == "hot"
    assert handoff.first_touch_due_at.isoformat() == "2024-06-10T06:25:00+00:00"
