"""DomainEvent.parse: the generic event format, validated with messages that name the field."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from slawatch.leads.events import DomainEvent, EventError
from slawatch.leads.models import LeadEvent
from slawatch.leads.services import apply_events


def body(**overrides):
    base = {"event_id": "evt-0001", "type": "lead.assigned", "occurred_at": "2026-11-23T09:00:00Z",
            "crm": "acme-crm",
            "lead": {"external_id": "L-42", "email": "ana@example.com", "name": "Ana Ruiz",
                     "company": "Example Co", "source": "demo_request", "campaign": "Q4-webinar",
                     "heat": "hot", "owner": "rep-7", "score": 81}}
    base.update(overrides)
    return base


def test_the_contract_example_parses():
    event = DomainEvent.parse(body())
    assert event.key == "generic:acme-crm:evt-0001"
    assert (event.type, event.crm, event.external_id) == ("lead.assigned", "acme-crm", "L-42")
    assert event.occurred_at == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert event.lead == {"email": "ana@example.com", "name": "Ana Ruiz", "company": "Example Co",
                          "source": "demo_request", "campaign": "Q4-webinar", "heat": "hot",
                          "owner": "rep-7", "score": 81}


def test_offsets_are_kept_and_numbers_become_strings():
    event = DomainEvent.parse(body(occurred_at="2026-11-23T10:00:00+01:00", event_id=17,
                                   lead={"external_id": 42, "owner": 81234567, "heat": "Warm"}))
    assert event.occurred_at.utcoffset() == timedelta(hours=1)
    assert event.occurred_at == datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert (event.key, event.external_id, event.lead["owner"], event.lead["heat"]) == (
        "generic:acme-crm:17", "42", "81234567", "warm")


def test_touch_and_opportunity_are_normalized():
    touch = DomainEvent.parse(body(type="lead.touched", touch={"kind": "call", "by": "rep-7"}))
    assert touch.touch == {"kind": "call", "at": "2026-11-23T09:00:00+00:00", "by": "rep-7"}
    converted = DomainEvent.parse(body(type="lead.converted", opportunity={
        "external_id": "OPP-1", "amount": 12000.5, "currency": "usd"}))
    assert converted.opportunity == {"external_id": "OPP-1", "amount": "12000.50",
                                     "currency": "USD", "status": "open"}


@pytest.mark.parametrize("overrides, message", [
    ({"event_id": None}, "event_id is required"),
    ({"event_id": "  "}, "event_id must not be empty"),
    ({"type": "lead.exploded"}, "type 'lead.exploded' is not one of lead.created"),
    ({"occurred_at": "yesterday"}, "occurred_at is not an ISO 8601 date-time"),
    ({"occurred_at": "2026-11-23T09:00:00"}, "occurred_at must include a time zone offset"),
    ({"occurred_at": 1763888400}, "occurred_at must be an ISO 8601 string"),
    ({"crm": None}, "crm is required"),
    ({"crm": "x" * 51}, "crm is longer than 50 characters"),
    ({"lead": "L-42"}, "lead must be an object"),
    ({"lead": {"owner": "rep-7"}}, "lead.external_id is required"),
    ({"lead": {"external_id": "L", "owner": "rep-7", "heat": "boiling"}},
     "lead.heat must be one of hot, warm, cold"),
    ({"lead": {"external_id": "L", "owner": "rep-7", "score": "high"}},
     "lead.score must be a number"),
    ({"lead": {"external_id": "L", "owner": "rep-7", "email": ["a"]}},
     "lead.email must be a string"),
    ({"lead": {"external_id": "L", "owner": "rep-7", "name": "n" * 201}},
     "lead.name is longer than 200 characters"),
    ({"lead": {"external_id": "L"}}, "lead.owner is required for lead.assigned"),
    ({"type": "lead.heat_changed", "lead": {"external_id": "L"}},
     "lead.heat is required for lead.heat_changed"),
    ({"type": "lead.touched"}, "touch is required for lead.touched"),
    ({"type": "lead.touched", "touch": {"kind": "telepathy"}}, "touch.kind must be one of"),
    ({"type": "lead.touched", "touch": {"at": "noon"}}, "touch.at is not an ISO 8601"),
    ({"type": "lead.converted", "opportunity": {"amount": 5}},
     "opportunity.external_id is required"),
    ({"type": "lead.converted", "opportunity": {"external_id": "O", "amount": "12,000"}},
     "opportunity.amount must be a number"),
    ({"type": "lead.converted", "opportunity": {"external_id": "O", "amount": "NaN"}},
     "opportunity.amount is out of range"),
    ({"type": "lead.converted", "opportunity": {"external_id": "O", "currency": "dollars"}},
     "opportunity.currency is longer than 3"),
    ({"type": "lead.converted", "opportunity": {"external_id": "O", "currency": "U$"}},
     "opportunity.currency must be a 3-letter ISO code"),
])
def test_malformed_events_say_which_field_is_wrong(overrides, message):
    with pytest.raises(EventError) as caught:
        DomainEvent.parse(body(**overrides))
    assert message in str(caught.value)


def test_the_stored_data_round_trips_through_json():
    event = DomainEvent.parse(body(type="lead.touched", touch={
        "kind": "email", "at": "2026-11-23T10:00:00+05:30", "id": "act-9"}))
    assert event.data() == {"lead": event.lead, "touch": {
        "kind": "email", "at": "2026-11-23T10:00:00+05:30", "id": "act-9"}}
    assert datetime.fromisoformat(event.data()["touch"]["at"]).utcoffset() == \
        timezone(timedelta(hours=5, minutes=30)).utcoffset(None)


def test_a_very_long_key_is_bounded_and_stays_unique(db):
    long_id = "e" * 190
    prefix = "admin:" + "x" * 60
    first = DomainEvent.parse(body(event_id=long_id + "1", crm="c" * 50), key_prefix=prefix)
    second = DomainEvent.parse(body(event_id=long_id + "2", crm="c" * 50), key_prefix=prefix)
    assert len(first.key) == 255 and len(second.key) == 255 and first.key != second.key
    apply_events([first, second])  # PostgreSQL refuses a key over 255 characters
    assert LeadEvent.objects.count() == 2
