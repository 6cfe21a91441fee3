"""Two worker processes applying events of one lead at the same time lose nothing.

Real processes against a real database: the test's own PostgreSQL database, or a SQLite
file in WAL mode (the in-memory test database cannot be shared between processes).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

WORKER = r"""
import json, sys, time
import django
django.setup()
import time_machine
from slawatch.leads.models import Handoff, LeadEvent
from slawatch.leads.services import apply_events
from tests.factories import PolicyFactory, event, make_cast

BATCHES = [
    [event("a1", "lead.assigned", "2026-11-23T09:00:00Z", owner="rep-7", heat="hot"),
     event("a2", "lead.touched", "2026-11-23T09:05:00Z", touch={"kind": "call", "by": "rep-7"})],
    [event("b1", "lead.assigned", "2026-11-23T09:30:00Z", owner="rep-8"),
     event("b2", "lead.touched", "2026-11-23T09:40:00Z", touch={"kind": "call", "by": "rep-8"})],
]
mode = sys.argv[1]
if mode == "setup":
    make_cast()
    PolicyFactory(heat="hot", first_touch_minutes=15)
elif mode == "apply":
    while time.time() < float(sys.argv[3]):  # both workers start together
        time.sleep(0.005)
    with time_machine.travel("2026-11-23 12:00:00Z", tick=False):
        apply_events(BATCHES[int(sys.argv[2])])
else:
    print(json.dumps({
        "events": LeadEvent.objects.count(),
        "handoffs": [[h.rep.name, h.status, h.close_reason]
                     for h in Handoff.objects.order_by("handed_off_at").select_related("rep")],
    }))
"""


def database_url(tmp_path):
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return (f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
                f"{settings['PORT']}/{settings['NAME']}")
    return f"sqlite:///{tmp_path / 'race.sqlite3'}"


def run(url, *args, wait=True):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.test_settings",
           "PYTHONPATH": str(ROOT)}
    env.pop("SLAWATCH_TEST_DB_NAME", None)
    process = subprocess.Popen([sys.executable, "-c", WORKER, *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    return out


@pytest.mark.django_db(transaction=True)
def test_concurrent_appliers_of_one_lead_lose_no_event(tmp_path):
    url = database_url(tmp_path)
    if connection.vendor == "sqlite":
        env = {**os.environ, "DATABASE_URL": url}
        env.pop("SLAWATCH_TEST_DB_NAME", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                       check=True, timeout=120)
    run(url, "setup")
    go = str(time.time() + 1.5)  # after both interpreters have imported Django
    workers = [run(url, "apply", str(n), go, wait=False) for n in (0, 1)]
    for worker in workers:
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err[-2000:]
    state = json.loads(run(url, "state"))
    assert state == {"events": 4, "handoffs": [["Rita Rep", "met", "reassigned"],
                                               ["Ravi Rep", "met", ""]]}
