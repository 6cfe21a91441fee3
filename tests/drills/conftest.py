"""Fault drills small enough for CI. The long ones are scripts in bench/ (docs/RELIABILITY.md).

Each drill ends by counting: events received = stored = processed; escalations
expected = delivered, no duplicates."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from bench.sink import SlackSink

EVENTS_SECRET = "drill-events-secret"
HS_SECRET = "drill-hubspot-secret"
SF_TOKEN = "drill-salesforce-token"
PD_USER, PD_PASSWORD = "drill", "drill-pipedrive-password"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def drill_settings(settings):
    settings.SLAWATCH_EVENTS_SECRET = EVENTS_SECRET
    settings.HUBSPOT_CLIENT_SECRET = HS_SECRET
    settings.HUBSPOT_ACCESS_TOKEN = None
    settings.SLAWATCH_PUBLIC_URL = None
    settings.SALESFORCE_OUTBOUND_TOKEN = SF_TOKEN
    settings.SALESFORCE_ORGANIZATION_ID = None
    settings.PIPEDRIVE_WEBHOOK_USER, settings.PIPEDRIVE_WEBHOOK_PASSWORD = PD_USER, PD_PASSWORD
    return settings


@pytest.fixture
def slack(settings):
    """The loopback Slack (bench/sink.py); tests queue faults on `sink.faults`."""
    with SlackSink() as sink:
        settings.SLACK_BOT_TOKEN = "xoxb-drill-token"
        settings.SLACK_API_BASE = sink.api_base
        yield sink


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server on a free loopback port that a drill may stop and restart."""

    def __init__(self):
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="drill-redis-")
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def llen(self, key: str) -> int:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "LLEN", key],
                             capture_output=True, text=True, check=True).stdout
        return int(out.strip())


@pytest.fixture
def redis_server():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (make test installs it)")
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


class AppServer:
    """slawatch under gunicorn (2 sync workers, like production) on a database of its own:
    a fresh SQLite file, or a fresh PostgreSQL database next to the test database.
    Celery runs eagerly inside the web processes, so processing is part of each request."""

    def __init__(self, tmp_path, database_url):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings",
                    "DATABASE_URL": database_url, "CELERY_TASK_ALWAYS_EAGER": "1",
                    "SLAWATCH_EVENTS_SECRET": EVENTS_SECRET, "HUBSPOT_CLIENT_SECRET": HS_SECRET,
                    "SLAWATCH_PUBLIC_URL": self.url, "SLAWATCH_VAR_DIR": str(tmp_path),
                    "SECRET_KEY": "drill-" + "k" * 50, "LOG_LEVEL": "WARNING"}
        self.env.pop("REDIS_URL", None)
        self.env.pop("HUBSPOT_ACCESS_TOKEN", None)
        self.proc = None

    def manage(self, *args) -> str:
        return subprocess.run([sys.executable, *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True, timeout=120).stdout

    def probe(self, command: str) -> dict:
        return json.loads(self.manage("-m", "tests.drills.probe", command).splitlines()[-1])

    def start(self) -> None:
        self.manage("manage.py", "migrate", "--noinput", "-v0")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "-w", "2",
             "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


@pytest.fixture
def app_server(tmp_path, django_db_setup, django_db_blocker):
    if connection.vendor == "postgresql":
        params = connection.settings_dict
        name = f"{params['NAME']}_drill"[:63]
        with django_db_blocker.unblock(), connection._nodb_cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        url = (f"postgres://{params['USER']}:{params.get('PASSWORD') or ''}@"
               f"{params['HOST']}:{params['PORT']}/{name}")
    else:
        name, url = None, f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    server = AppServer(tmp_path, url)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if name:
            with django_db_blocker.unblock(), connection._nodb_cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
