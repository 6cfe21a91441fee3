"""Drill: the same webhook batch delivered 10 times at once (CRMs retry; proxies
duplicate), to real gunicorn processes. Every copy is answered 2xx; each notification
is stored once, processed once, and makes one lead with one handoff."""

import http.client
import threading

from bench import signing
from tests.drills.conftest import HS_SECRET

COPIES, SIZE = 10, 20


def owner_changes(size):
    """Owner-assignment notifications for `size` contacts (no API call needed)."""
    return [{"eventId": 7000 + i, "subscriptionId": 2451240, "portalId": 44556677,
             "appId": 1234567, "occurredAt": 1795424400000 + i, "attemptNumber": 0,
             "objectId": 51234560000 + i, "subscriptionType": "contact.propertyChange",
             "propertyName": "hubspot_owner_id", "propertyValue": "81234567",
             "changeSource": "CRM_UI"} for i in range(size)]


def deliver(port, body, headers, statuses, barrier):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    barrier.wait(20)  # all copies leave together
    conn.request("POST", "/webhooks/hubspot/", body.encode(), headers)
    response = conn.getresponse()
    response.read()
    statuses.append(response.status)
    conn.close()


def test_same_batch_ten_times_concurrently_is_stored_and_processed_once(app_server):
    app_server.probe("cast")  # the rep whose HubSpot owner id is 81234567
    body = signing.dumps(owner_changes(SIZE))
    headers = signing.hubspot_headers(HS_SECRET, f"{app_server.url}/webhooks/hubspot/", body)
    statuses, barrier = [], threading.Barrier(COPIES)
    threads = [threading.Thread(target=deliver, args=(app_server.port, body, headers,
                                                      statuses, barrier))
               for _ in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200] * COPIES                                     # received 10 × 20
    assert app_server.probe("counts") == {
        "crm_events": SIZE,                                               # stored once
        "processed": SIZE,                                                # processed once
        "leads": SIZE, "lead_events": SIZE, "handoffs": SIZE}
