"""Hostile webhook bodies shared by the CI drill (tests/drills/test_webhook_fuzz.py) and
the long fuzz run (bench/fuzz_bench.py): each one must be refused with a 4xx."""

import json

EVENT = {"event_id": "e1", "type": "lead.assigned", "occurred_at": "2026-11-23T09:00:00Z",
         "crm": "acme", "lead": {"external_id": "L-1", "owner": "rep-7", "heat": "hot"}}
DEEP = b"[" * 100_000 + b"]" * 100_000
JSON_BODIES = [
    b"", b"{", b"not json", b"null", b"42", b'"text"', b"[]", b"{}", b"[1, 2]",
    b'{"a": NaN}', b"\xff\xfe\xfa", '{"event_id": "é"}'.encode("latin-1"), DEEP,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    json.dumps({**EVENT, "event_id": {"nested": True}}).encode(),
    json.dumps({**EVENT, "occurred_at": 1234}).encode(),
    json.dumps({**EVENT, "occurred_at": "yesterday"}).encode(),
    json.dumps({**EVENT, "type": "lead.exploded"}).encode(),
    json.dumps({**EVENT, "lead": ["L-1"]}).encode(),
    json.dumps({**EVENT, "lead": {"external_id": "x" * 100_000}}).encode(),
    json.dumps({**EVENT, "type": "lead.touched", "touch": {"kind": "telepathy", "at": None}}).encode(),
    json.dumps([{"eventId": "x", "subscriptionType": 7, "objectId": {"a": 1}}]).encode(),
    json.dumps([{"eventId": 1, "subscriptionType": "contact.propertyChange",
                 "objectId": 1, "occurredAt": "soon"}]).encode(),
    json.dumps({"meta": "wrong", "data": [1, 2, 3]}).encode(),
    b"x" * (2 * 1024 * 1024),
]
SOAP = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
        '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>{}</soapenv:Body>'
        '</soapenv:Envelope>')
XML_BODIES = [
    b"", b"<", b"not xml", b"<a><b></a>", SOAP.format("").encode(), b"\xff\xfe<a/>",
    # billion laughs
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>',
    # external entity (XXE) and external DTD
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>',
    SOAP.format('<notifications xmlns="http://soap.sforce.com/2005/09/outbound">'
                '<OrganizationId>' + "0" * 100_000 + '</OrganizationId></notifications>').encode(),
    b"<a>" * 50_000 + b"</a>" * 50_000,
]
