"""Incremental polls against fake HubSpot and Salesforce APIs on 127.0.0.1."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from slawatch.ingest import pollers, services, tasks
from slawatch.ingest.clients import CrmApiError, HubSpotClient, SalesforceClient
from slawatch.ingest.models import CrmEvent, PollCursor
from slawatch.leads.models import Handoff, Lead, Touch
from slawatch.people.models import CrmIdentity
from tests.factories import PolicyFactory
from tests.ingest.fakes import FakeHubSpot, FakeSalesforce
from tests.ingest.signing import hubspot_headers

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


class Sleeps(list):
    """Records the waits the client asks for instead of spending them (the clock edge)."""

    def __call__(self, seconds):
        self.append(seconds)


def iso(minutes):
    return (NOW - timedelta(hours=2) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def contact(n, owner="81234567", modified=None, **extra):
    return {"id": str(n), "properties": {
        "createdate": iso(0), "email": f"c{n}@example.com", "hubspot_owner_id": owner,
        "hubspot_owner_assigneddate": iso(1), "lastmodifieddate": modified or iso(n),
        "notes_last_contacted": None, **extra}, "createdAt": iso(0), "updatedAt": modified or iso(n)}


def hubspot(api, sleeps=None):
    return HubSpotClient(api.url, api.token, sleep=sleeps if sleeps is not None else Sleeps())


# --- HubSpot ------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_hubspot_poll_pages_stores_and_applies_contacts(cast, settings):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 231)]
        stored = pollers.poll_hubspot(hubspot(api))
    searches = [r for r in api.requests if r["path"] == "/crm/v3/objects/contacts/search"]
    assert len(searches) == 2  # 200 + 30
    first = json.loads(searches[0]["body"])
    assert first["limit"] == 200 and first["sorts"][0]["propertyName"] == "lastmodifieddate"
    assert json.loads(searches[1]["body"])["after"] == "200"
    assert stored == 230
    assert PollCursor.objects.get(stream="hubspot:contacts").position.isoformat() == \
        "2024-06-10T13:50:00+00:00"  # iso(230): the newest seen
    services.process_due_events()
    assert Lead.objects.filter(crm="hubspot").count() == 230
    assert Handoff.objects.filter(rep=cast.rep).count() == 230


@time_machine.travel(NOW, tick=False)
def test_hubspot_poll_honours_retry_after_and_caps_its_rate(db):
    sleeps = Sleeps()
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(1)]
        api.scripted = [(429, {"Retry-After": "3"},
                         {"status": "error", "message": "You have reached your secondly limit.",
                          "errorType": "RATE_LIMIT", "policyName": "SECONDLY"})]
        client = hubspot(api, sleeps)
        client.monotonic = lambda: 0.0  # every request "at the same instant": the cap must wait
        pollers._poll_hubspot_contacts(client, NOW)
    assert 3.0 in sleeps
    assert sleeps.count(0.21) >= 1  # fewer than 5 requests a second
    assert CrmEvent.objects.filter(source="hubspot-poll").count() == 1


@time_machine.travel(NOW, tick=False)
def test_hubspot_poll_rewindows_before_the_10000_cap(db, monkeypatch):
    monkeypatch.setattr(pollers, "HUBSPOT_PAGE", 2)
    monkeypatch.setattr(pollers, "HUBSPOT_RESULT_CAP", 6)  # same logic, small numbers
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 12)]
        assert pollers._poll_hubspot_contacts(hubspot(api), NOW) == 11 + 1  # the edge record is re-read once
    afters = [json.loads(r["body"]).get("after") for r in api.requests]
    assert None in afters[1:]  # a fresh query started from the newest seen time
    assert all(int(a or 0) + 2 <= 6 for a in afters)
    assert CrmEvent.objects.count() == 11  # re-read rows are the same inbox rows


@time_machine.travel(NOW, tick=False)
def test_hubspot_poll_failing_midway_resumes_from_the_committed_cursor(db):
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 451)]
        api.fail_search_after = 1  # the second page answers 502 until retries run out
        client = hubspot(api)
        with pytest.raises(CrmApiError):
            pollers._poll_hubspot_contacts(client, NOW)
        cursor = PollCursor.objects.get(stream="hubspot:contacts")
        assert cursor.position.isoformat() == "2024-06-10T13:20:00+00:00"  # iso(200)
        assert "CrmApiError" in cursor.last_error
        assert CrmEvent.objects.count() == 200
        api.fail_search_after, api.requests[:] = None, []
        pollers._poll_hubspot_contacts(client, NOW)
    resumed = json.loads(api.requests[0]["body"])["filterGroups"][0]["filters"][0]["value"]
    # from the cursor minus the 5-minute overlap, not from the beginning
    assert int(resumed) == int(datetime(2024, 6, 10, 13, 15, tzinfo=UTC).timestamp() * 1000)
    assert CrmEvent.objects.count() == 450
    assert PollCursor.objects.get(stream="hubspot:contacts").last_error == ""


@time_machine.travel(NOW, tick=False)
def test_hubspot_engagements_give_exact_touch_times_once_with_webhook_property(cast, settings):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    with FakeHubSpot() as api:
        touched = iso(30)
        api.search_data["contacts"] = [contact(7, notes_last_contacted=touched)]
        api.search_data["calls"] = [{"id": "901", "properties": {
            "hs_timestamp": touched, "hubspot_owner_id": "81234567",
            "hs_lastmodifieddate": iso(31)}}]
        api.search_data["emails"] = [{"id": "902", "properties": {
            "hs_timestamp": iso(45), "hubspot_owner_id": "81234567",
            "hs_lastmodifieddate": iso(46)}}]
        api.associations[("calls", "901")] = ["7"]
        api.associations[("emails", "902")] = ["7"]
        pollers.poll_hubspot(hubspot(api))
    services.process_due_events()
    touches = [at.isoformat() for at in Touch.objects.order_by("at").values_list("at", flat=True)]
    # the call and notes_last_contacted are the same activity: counted once
    assert touches == ["2024-06-10T10:30:00+00:00", "2024-06-10T10:45:00+00:00"]
    assert Touch.objects.get(at=NOW - timedelta(minutes=75)).kind == "email"
    assert Handoff.objects.get().first_touched_at.isoformat() == "2024-06-10T10:30:00+00:00"


# --- Salesforce ---------------------------------------------------------------

def sf_lead(n, owner="005RO000001XyZaYAK", **extra):
    stamp = (NOW - timedelta(hours=1) + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    return {"Id": f"00QRO00000Lead{n:04d}", "OwnerId": owner, "Status": "Open - Not Contacted",
            "Rating": "Hot", "IsConverted": False, "ConvertedOpportunityId": None,
            "CreatedDate": stamp, "LastModifiedDate": stamp, "SystemModstamp": stamp,
            "FirstName": "Lead", "LastName": str(n), "Email": None, "Company": "Co",
            "Phone": None, "LeadSource": "Web", **extra}


@time_machine.travel(NOW, tick=False)
def test_salesforce_poll_follows_pages_refreshes_the_session_and_applies(cast):
    CrmIdentity.objects.create(person=cast.rep, crm="salesforce", owner_id="005RO000001XyZaYAK")
    PolicyFactory(heat="hot", first_touch_minutes=30)
    with FakeSalesforce() as api:
        api.records["Lead"] = [sf_lead(n) for n in range(1, 6)]
        api.records["Task"] = [{"Id": "00TRO0000001", "WhoId": "00QRO00000Lead0001",
                                "OwnerId": "005RO000001XyZaYAK", "TaskSubtype": "Call",
                                "IsClosed": True, "CompletedDateTime": "2024-06-10T11:10:00.000+0000",
                                "CreatedDate": "2024-06-10T11:10:00.000+0000",
                                "SystemModstamp": "2024-06-10T11:10:00.000+0000"}]
        client = SalesforceClient(api.url, access_token="expired", client_id="cid",
                                  client_secret="secret", refresh_token="refresh-me",
                                  login_url=api.url, sleep=Sleeps())
        assert pollers.poll_salesforce(client, NOW) == 6
    assert api.refreshes == 1
    lead_queries = [r for r in api.requests if "/query" in r["path"]]
    assert any("/query/01gRO0000016PIAYA2-2" in r["path"] for r in lead_queries)
    soql = lead_queries[0]["query"]["q"][0]
    assert "SystemModstamp >= 2024-06-09T12:00:00Z" in soql  # first run: 24 h look-back
    assert PollCursor.objects.get(stream="salesforce:Lead").position.isoformat() == \
        "2024-06-10T11:05:00+00:00"
    services.process_due_events()
    assert Handoff.objects.filter(rep=cast.rep, heat="hot").count() == 5
    met = Handoff.objects.get(lead__external_id="00QRO00000Lead0001")
    assert met.first_touched_at.isoformat() == "2024-06-10T11:10:00+00:00"


@time_machine.travel(NOW, tick=False)
def test_salesforce_revoked_refresh_token_fails_the_poll_visibly(db):
    with FakeSalesforce() as api:
        client = SalesforceClient(api.url, access_token="expired", client_id="cid",
                                  client_secret="secret", refresh_token="revoked",
                                  login_url=api.url, sleep=Sleeps())
        with pytest.raises(CrmApiError, match="refresh answered 400"):
            pollers.poll_salesforce(client, NOW)
    assert "refresh" in PollCursor.objects.get(stream="salesforce:Lead").last_error


@time_machine.travel(NOW, tick=False)
def test_poll_command_polls_the_configured_crm(db, settings):
    with FakeSalesforce() as api:
        api.records["Lead"] = [sf_lead(1)]
        settings.SALESFORCE_INSTANCE_URL = api.url
        settings.SALESFORCE_ACCESS_TOKEN = api.valid_token
        out = StringIO()
        call_command("slawatch_poll", "--crm", "salesforce", stdout=out)
    assert out.getvalue().strip() == "poll: salesforce=1"
    assert CrmEvent.objects.get().source == "salesforce-poll"
    with pytest.raises(CommandError, match="hubspot is not configured"):
        call_command("slawatch_poll", "--crm", "hubspot", stdout=StringIO())


@time_machine.travel(NOW, tick=False)
def test_beat_poll_task_polls_every_configured_crm(db, settings):
    with FakeSalesforce() as sf, FakeHubSpot() as hs:
        sf.records["Lead"] = [sf_lead(1)]
        hs.search_data["contacts"] = [contact(1)]
        settings.SALESFORCE_INSTANCE_URL, settings.SALESFORCE_ACCESS_TOKEN = sf.url, sf.valid_token
        settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = hs.url, hs.token
        tasks.poll_crms()
    assert sorted(CrmEvent.objects.values_list("source", flat=True)) == [
        "hubspot-poll", "salesforce-poll"]


@time_machine.travel(NOW, tick=False)
def test_webhook_and_poll_of_the_same_changes_count_once(cast, settings, client):
    PolicyFactory(heat="warm", first_touch_minutes=60)
    touched_ms = int((NOW - timedelta(minutes=50)).timestamp() * 1000)
    with FakeHubSpot() as api:
        settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = api.url, api.token
        record = contact(8, notes_last_contacted=iso(70))
        api.contacts["8"] = record["properties"]
        api.search_data["contacts"] = [record]
        change = [{"eventId": 1, "occurredAt": touched_ms + 500, "objectId": 8,
                   "subscriptionType": "contact.propertyChange",
                   "propertyName": "notes_last_contacted", "propertyValue": str(touched_ms)}]
        body = json.dumps(change)
        headers = hubspot_headers("test-client-secret", "http://testserver/webhooks/hubspot/", body)
        assert client.post("/webhooks/hubspot/", data=body, content_type="application/json",
                           **headers).status_code == 200
        services.process_due_events()
        # an unknown contact: its property change read the contact first
        assert [r["path"] for r in api.requests] == ["/crm/v3/objects/contacts/8"]
        pollers._poll_hubspot_contacts(hubspot(api), NOW)
        services.process_due_events()
    lead = Lead.objects.get(crm="hubspot", external_id="8")
    assert lead.handoffs.count() == 1
    assert lead.touches.count() == 1
    assert lead.handoffs.get().first_touched_at == NOW - timedelta(minutes=50)


# --- a first sync's progress --------------------------------------------------

class Terminal(StringIO):
    def isatty(self):
        return True


def hubspot_configured(settings, api):
    settings.HUBSPOT_API_BASE, settings.HUBSPOT_ACCESS_TOKEN = api.url, api.token


@time_machine.travel(NOW, tick=False)
def test_poll_command_shows_a_progress_bar_on_a_terminal_and_counts_in_the_log(
        db, settings, caplog):
    caplog.set_level("INFO", logger="slawatch.ingest.pollers")
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 451)]
        hubspot_configured(settings, api)
        out = Terminal()
        call_command("slawatch_poll", "--crm", "hubspot", stdout=out)
    screen = out.getvalue()
    assert "hubspot:contacts" in screen and "450/450" in screen and "100%" in screen
    assert "\r" in screen  # redrawn in place
    assert screen.rstrip().endswith("poll: hubspot=450")
    counts = [r.getMessage() for r in caplog.records if "hubspot:contacts" in r.getMessage()]
    assert counts == ["poll hubspot:contacts: 200 of 450 records stored",
                      "poll hubspot:contacts: 400 of 450 records stored",
                      "poll hubspot:contacts: 450 of 450 records stored"]


@time_machine.travel(NOW, tick=False)
def test_poll_command_draws_no_bar_when_not_on_a_terminal(db, settings):
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 251)]
        hubspot_configured(settings, api)
        out = StringIO()
        call_command("slawatch_poll", "--crm", "hubspot", stdout=out)
    assert out.getvalue() == "poll: hubspot=250\n"


@time_machine.travel(NOW, tick=False)
def test_the_admin_shows_how_far_the_first_sync_is(db, settings, admin_client):
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 451)]
        api.fail_search_after = 1  # the first sync stops after its first page
        with pytest.raises(CrmApiError):
            pollers._poll_hubspot_contacts(hubspot(api), NOW)
        page = admin_client.get("/admin/ingest/pollcursor/").content.decode()
        assert "200 of 450 records (44 %)" in page
        assert "Polled records waiting to be processed: hubspot 200" in page
        api.fail_search_after = None
        pollers._poll_hubspot_contacts(hubspot(api), NOW)
    cursor = PollCursor.objects.get(stream="hubspot:contacts")
    assert cursor.first_synced_at == NOW
    services.process_due_events()
    page = admin_client.get("/admin/ingest/pollcursor/").content.decode()
    assert "done 2024-06-10" in page and "waiting to be processed" not in page
    # a later poll keeps the first sync's completion time
    with FakeHubSpot() as api:
        api.search_data["contacts"] = [contact(n) for n in range(1, 451)]
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            pollers._poll_hubspot_contacts(hubspot(api), NOW + timedelta(hours=1))
    assert PollCursor.objects.get(stream="hubspot:contacts").first_synced_at == NOW
