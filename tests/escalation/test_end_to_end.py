"""End to end with a real Celery worker and beat (subprocesses, Redis broker): a milestone
falls due and the team's Slack webhook receives the message within 10 s, with a 5 s sweep.

The worker and beat run on their own SQLite file (so this test needs no shared test
database and behaves the same in the SQLite and PostgreSQL runs) and a Redis database
of their own, so no other test's worker can take their tasks."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from tests.escalation.fakes import SlackFake

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 11
LEAD_DUE_IN = 12  # seconds after seeding starts; worker and beat boot meanwhile

SEED = """
import sys
from datetime import UTC, datetime, timedelta
from slawatch.leads.events import DomainEvent
from slawatch.leads.models import SlaPolicy
from slawatch.leads.services import apply_events
from slawatch.people.models import CrmIdentity, Person, Team
team = Team.objects.create(name="East", slack_webhook_url=sys.argv[1])
rep = Person.objects.create(name="Rita Rep", team=team)
CrmIdentity.objects.create(person=rep, crm="acme", owner_id="rep-7")
SlaPolicy.objects.create(heat="hot", first_touch_minutes=1, steps=[
    {"at_percent": 100, "notify": "team_channel", "channel": "slack"}])
due = datetime.fromtimestamp(float(sys.argv[2]), UTC)
apply_events([DomainEvent.parse({"event_id": "e2e-1", "type": "lead.assigned",
    "occurred_at": (due - timedelta(minutes=1)).isoformat(), "crm": "acme",
    "lead": {"external_id": "L-1", "name": "Ana Ruiz", "heat": "hot", "owner": "rep-7"}})])
"""


def _redis_url():
    url = os.environ.get("REDIS_URL")
    assert url, "REDIS_URL must point at the test Redis (scripts/services.sh env)"
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


def _env(tmp_path, redis_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SLAWATCH_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        "REDIS_URL": redis_url,
        "SLAWATCH_VAR_DIR": str(tmp_path),
        "SLAWATCH_SWEEP_INTERVAL_SECONDS": "5",
        "SLAWATCH_OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",  # the Slack fake
        "SECRET_KEY": "e2e-" + "k" * 50,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LOG_LEVEL": "WARNING",
    })
    return env


def _manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   timeout=120, stdout=subprocess.DEVNULL)


def _start(env, tmp_path, *args):
    log = open(tmp_path / f"{args[0]}.log", "wb")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.slow
def test_due_milestone_reaches_slack_within_ten_seconds(tmp_path):
    redis_url = _redis_url()
    redis.Redis.from_url(redis_url).flushdb()
    env = _env(tmp_path, redis_url)
    _manage(env, "migrate", "--noinput")
    with SlackFake() as slack:
        webhook = slack.url + "/services/T1/B1/e2e"
        processes = [_start(env, tmp_path, "worker", "-P", "solo", "-l", "warning"),
                     _start(env, tmp_path, "beat", "-l", "warning",
                            "-s", str(tmp_path / "beat-schedule"))]
        try:
            due = time.time() + LEAD_DUE_IN
            _manage(env, "shell", "-c", SEED.replace("sys.argv[1]", repr(webhook))
                    .replace("sys.argv[2]", repr(str(due))))
            deadline = due + 20
            while not slack.to("/services/T1/B1/e2e") and time.time() < deadline:
                assert all(p.poll() is None for p in processes), "worker or beat died"
                time.sleep(0.2)  # polling for the fake's request, not waiting on a deadline
        finally:
            for process in processes:
                _stop(process)
    posts = slack.to("/services/T1/B1/e2e")
    logs = "\n".join(p.read_text(errors="replace")[-2000:] for p in tmp_path.glob("*.log"))
    assert posts, f"no Slack POST within 20 s of the due time\n{logs}"
    latency = posts[0].at - due
    print(f"due→Slack latency {latency:.2f} s")
    assert 0 <= latency < 10, f"due→Slack took {latency:.1f} s"
    assert posts[0].json()["text"].startswith("Lead SLA breached: Ana Ruiz (hot)")
    assert len(posts) == 1
