"""Drill 7 (long version): bad input over real HTTP to gunicorn, zero 5xx.

1. schemathesis CLI against /api/v1/schema/ with a superuser's token, all phases
   (examples, coverage, fuzzing, stateful), check `not_a_server_error`.
2. A fuzzer against the four webhook endpoints, correctly authenticated so input
   reaches the parsers: the fixed hostile bodies of tests/drills/test_webhook_fuzz.py
   (malformed JSON, deep nesting, invalid UTF-8, huge strings, XML entity attacks on
   the SOAP endpoint) plus N random JSON documents per JSON endpoint and N random
   XML documents for Salesforce, and lying Content-Length headers.

    .venv/bin/python -m bench.fuzz_bench [--examples 100] [--random 2000]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import subprocess
import sys
import time
from collections import Counter

from bench import scenario, signing, stack

BASE = f"http://127.0.0.1:{stack.WEB_PORT}"
KEYS = ["event_id", "type", "occurred_at", "crm", "lead", "touch", "eventId", "subscriptionType",
        "objectId", "occurredAt", "propertyName", "propertyValue", "meta", "data", "previous",
        "external_id", "owner", "heat", "opportunity", "x"]


def token(procs) -> str:
    procs.manage("shell", "-c", "from django.contrib.auth.models import User; "
                 "User.objects.filter(username='fuzz').exists() or "
                 "User.objects.create_superuser('fuzz', 'f@example.com', 'pw')")
    out = subprocess.run([stack.PY, "manage.py", "drf_create_token", "fuzz"], cwd=stack.ROOT,
                         env=procs.env, capture_output=True, text=True, check=True).stdout
    return out.split()[2]


def schemathesis_run(key: str, examples: int) -> dict:
    report = stack.VAR / "results" / "schemathesis.ndjson"
    args = [str(stack.ROOT / ".venv" / "bin" / "schemathesis"), "run", f"{BASE}/api/v1/schema/",
            "-H", f"Authorization: Token {key}", "--checks", "not_a_server_error",
            "--max-examples", str(examples), "--workers", "2", "--seed", "8",
            "--report", "ndjson", "--report-ndjson-path", str(report), "--no-color"]
    t0 = time.time()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=1800)
    (stack.VAR / "results" / "schemathesis.txt").write_text(proc.stdout + proc.stderr)
    tail = proc.stdout.strip().splitlines()[-12:]
    return {"exit_code": proc.returncode, "seconds": round(time.time() - t0, 1),
            "summary": tail}


def random_json(rng, depth=0):
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False, 0, -1, 2**63, 1e308, -0.0])
    if kind == 2:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x2FFF)]))
                       for _ in range(rng.randrange(0, 40)))
    if kind == 3:
        return rng.choice(["2026-11-23T09:00:00Z", "lead.assigned", "lead.touched", "hot",
                           "contact.propertyChange", "hubspot_owner_id", "1718000000123", ""])
    if kind == 4:
        return rng.randrange(-10**6, 10**13)
    if kind in (5, 6):
        return {rng.choice(KEYS): random_json(rng, depth + 1) for _ in range(rng.randrange(6))}
    return [random_json(rng, depth + 1) for _ in range(rng.randrange(4))]


def random_xml(rng) -> bytes:
    tags = ["notifications", "Notification", "sObject", "Id", "OwnerId", "OrganizationId",
            "soapenv:Envelope", "soapenv:Body", "x"]
    out = []
    for _ in range(rng.randrange(1, 12)):
        tag = rng.choice(tags)
        out.append(rng.choice([f"<{tag}>", f"</{tag}>", f"<{tag}/>", "&amp;", "&bogus;",
                               "<![CDATA[x]]>", str(random_json(rng)), "\x00", "<!DOCTYPE a>"]))
    return "".join(out).encode("utf-8", "surrogatepass")


def headers_for(endpoint: str, body: bytes) -> tuple[str, dict]:
    if endpoint == "generic":
        return "/webhooks/events/", signing.generic_headers(stack.EVENTS_SECRET, body)
    if endpoint == "hubspot":
        text = body.decode("utf-8", "replace")
        return "/webhooks/hubspot/", signing.hubspot_headers(
            stack.HUBSPOT_SECRET, f"{BASE}/webhooks/hubspot/", text)
    if endpoint == "pipedrive":
        auth = base64.b64encode(f"bench:{stack.PIPEDRIVE_PASSWORD}".encode()).decode()
        return "/webhooks/pipedrive/", {"Content-Type": "application/json",
                                        "Authorization": f"Basic {auth}"}
    return f"/webhooks/salesforce/?token={stack.SALESFORCE_TOKEN}", {
        "Content-Type": "text/xml; charset=utf-8"}


def post(conn, endpoint: str, body: bytes, extra: dict | None = None) -> int:
    path, headers = headers_for(endpoint, body)
    headers.update(extra or {})
    try:
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        conn.close()
        return -1  # the server closed the connection (lying Content-Length)


def webhook_fuzz(n_random: int) -> dict:
    from bench.hostile import JSON_BODIES, XML_BODIES

    rng = random.Random(8)
    statuses: dict[str, Counter] = {e: Counter() for e in ("generic", "hubspot", "pipedrive",
                                                           "salesforce")}
    conn = http.client.HTTPConnection("127.0.0.1", stack.WEB_PORT, timeout=60)
    for endpoint in ("generic", "hubspot", "pipedrive"):
        for body in JSON_BODIES:
            statuses[endpoint][post(conn, endpoint, body)] += 1
        for _ in range(n_random):
            body = json.dumps(random_json(rng)).encode()
            statuses[endpoint][post(conn, endpoint, body)] += 1
        statuses[endpoint][post(conn, endpoint, b"{}", {"Content-Length": "999999999"})] += 1
    for body in XML_BODIES:
        statuses["salesforce"][post(conn, "salesforce", body)] += 1
    for _ in range(n_random):
        statuses["salesforce"][post(conn, "salesforce", random_xml(rng))] += 1
    return {e: {str(k): v for k, v in sorted(c.items())} for e, c in statuses.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100, help="schemathesis per operation")
    parser.add_argument("--random", type=int, default=2000, help="random bodies per endpoint")
    args = parser.parse_args(argv)
    stack.servers_up()
    (stack.VAR / "results").mkdir(parents=True, exist_ok=True)
    log = stack.VAR / "logs" / "web.log"
    offset = log.stat().st_size if log.exists() else 0
    with stack.Procs() as procs:
        procs.manage("migrate", "--noinput")
        # Other benches leave SQL-made handoffs with no events behind; acknowledging one
        # re-derives it away. Fuzz a database slawatch itself wrote.
        scenario.clean()
        procs.web()
        key = token(procs)
        hooks = webhook_fuzz(args.random)
        api = schemathesis_run(key, args.examples)
        with open(log, "rb") as handle:  # this run's part of the log only
            handle.seek(offset)
            web_log = handle.read().decode(errors="replace")
    fives = {e: sum(v for k, v in c.items() if k.startswith("5")) for e, c in hooks.items()}
    summary = {"webhooks": hooks, "webhook_5xx": fives, "schemathesis": api,
               "tracebacks_in_web_log": web_log.count("Traceback")}
    print(json.dumps(summary, indent=2))
    (stack.VAR / "results" / "fuzz.json").write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
