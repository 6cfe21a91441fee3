"""`make run` from nothing to live escalations, headless and time-bounded.

Runs scripts/run.sh (what `make run` calls once the virtualenv exists) against a
fresh SQLite file, var/ folder and port, in fast demo mode (1-minute hot SLA,
a lead every 5 s), polls the demo page until it shows escalations that were
delivered, then interrupts it like Ctrl-C and checks every process is gone.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
BUDGET_SECONDS = 300


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return None, ""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def drop_database(database_url, name):
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def backing_services(tmp_path, request):
    """The embedded default (SQLite, filesystem broker) — or, when the suite runs on
    PostgreSQL, a scratch PostgreSQL database and a private Redis database, which
    proves that DATABASE_URL and REDIS_URL switch `make run` to real servers."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        return {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}, "kombu filesystem"

    name = "slawatch_ops_make_run"
    drop_database(database_url, name)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    request.addfinalizer(lambda: drop_database(database_url, name))
    env = {"DATABASE_URL": database_url.rsplit("/", 1)[0] + f"/{name}"}
    redis_url = os.environ.get("REDIS_URL")
    assert redis_url, "the PostgreSQL run expects the test Redis (scripts/services.sh env)"
    env["REDIS_URL"] = redis_url.rsplit("/", 1)[0] + "/13"  # a database no other test uses
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    return env, "Redis"


@pytest.mark.slow
def test_make_run_reaches_live_escalations_and_ctrl_c_stops_everything(tmp_path, request):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("REDIS_URL", "DATABASE_URL", "SLAWATCH_TEST_DB_NAME", "SECRET_KEY",
                        "SLAWATCH_EVENTS_SECRET", "SLACK_BOT_TOKEN", "EMAIL_BACKEND",
                        "DJANGO_SETTINGS_MODULE")}
    services, broker = backing_services(tmp_path, request)
    env.update(services, SLAWATCH_PORT=str(port), SLAWATCH_VAR_DIR=str(tmp_path / "var"),
               STATIC_ROOT=str(tmp_path / "static"), SLAWATCH_DEMO_FAST="1")
    log = open(tmp_path / "run.log", "w")
    # As from a terminal: SIGINT at its default, even when this suite itself was started
    # in the background by a non-interactive shell (which ignores SIGINT for it, and bash
    # cannot trap a signal ignored on entry).
    proc = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + BUDGET_SECONDS
    page, children = "", []
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            status, page = get(f"{base}/demo/")
            if status == 200 and 'class="sent"' in page:
                break
            time.sleep(3)
        output = (tmp_path / "run.log").read_text()
        assert 'class="sent"' in page, f"no delivered escalation within budget:\n{output[-3000:]}"
        assert f"{base}/admin/" in output and "slawatch-demo" in output  # URL and logins printed
        assert f"broker: {broker}" in output  # the broker it says it uses
        assert "postgres://" not in output  # URLs (and their passwords) are not printed
        assert "Slack (local sink)" in page
        assert get(f"{base}/readyz")[0] == 200
        children = [int(pid) for pid in (tmp_path / "var" / "run.pids").read_text().split()]
        assert len(children) == 5  # web, worker, beat, sweeper, simulator
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()
    for _ in range(50):
        if not any(alive(pid) for pid in children):
            break
        time.sleep(0.2)
    assert not any(alive(pid) for pid in children)
    assert get(f"{base}/healthz")[0] is None  # nothing listens any more
