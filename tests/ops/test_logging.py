import copy
import io
import json
import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings

BUFFER = io.StringIO()
log = logging.getLogger("slawatch.tests.ops")


@shared_task
def task_that_logs(lead_id):
    log.info("working on lead %s", lead_id)


@pytest.fixture
def json_lines():
    """The settings' own LOGGING in JSON mode, writing into a buffer we can read."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    config["handlers"]["console"]["stream"] = "ext://tests.ops.test_logging.BUFFER"
    BUFFER.seek(0)
    BUFFER.truncate()
    logging.config.dictConfig(config)

    def read():
        return [json.loads(line) for line in BUFFER.getvalue().splitlines() if line.strip()]

    yield read
    logging.config.dictConfig(settings.LOGGING)


def test_each_response_carries_a_request_id_that_is_in_its_log_lines(client, db, json_lines):
    response = client.get("/no-such-page/?token=abc123")
    assert response.status_code == 404
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    lines = [line for line in json_lines() if line["name"] == "django.request"]
    assert lines and lines[0]["request_id"] == request_id
    assert lines[0]["task_id"] == "-"
    assert lines[0]["request"] == "GET /no-such-page/"  # no query string (tokens live there)
    assert client.get("/no-such-page/")["X-Request-ID"] != request_id


def test_a_proxy_request_id_is_kept_when_it_looks_like_an_id(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-4f2a9c01")
    assert response["X-Request-ID"] == "edge-4f2a9c01"


def test_a_hostile_request_id_is_replaced(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="x\" injected=1 <script>")
    assert response["X-Request-ID"] != "x\" injected=1 <script>"
    assert len(response["X-Request-ID"]) == 32


def test_celery_task_log_lines_carry_the_task_id(json_lines):
    result = task_that_logs.delay(42)
    lines = [line for line in json_lines() if line["message"] == "working on lead 42"]
    assert lines[0]["task_id"] == result.id
    log.info("after the task")
    assert json_lines()[-1]["task_id"] == "-"


def test_configured_secrets_and_email_addresses_never_reach_the_log(settings, json_lines):
    settings.SLACK_BOT_TOKEN = "xoxb-1111-2222-abcdefghijkl"
    settings.SLAWATCH_EVENTS_SECRET = "generic-events-secret-value"
    log.warning("slack said invalid_auth for token %s", settings.SLACK_BOT_TOKEN)
    try:
        raise RuntimeError(f"signing with {settings.SLAWATCH_EVENTS_SECRET} failed")
    except RuntimeError:
        log.exception("delivery to ana.ruiz@example.com failed")
    text = BUFFER.getvalue()
    assert "xoxb-1111-2222-abcdefghijkl" not in text
    assert "generic-events-secret-value" not in text
    assert "ana.ruiz@example.com" not in text
    first, second = json_lines()[-2:]
    assert first["message"] == "slack said invalid_auth for token [redacted]"
    assert second["message"] == "delivery to [email] failed"
    assert "signing with [redacted] failed" in second["exc_info"]


def test_text_format_lines_show_the_ids(settings):
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "text"
    config["handlers"]["console"]["stream"] = stream
    try:
        logging.config.dictConfig(config)
        log.info("plain line")
    finally:
        logging.config.dictConfig(settings.LOGGING)
    assert "[req=- task=-] plain line" in stream.getvalue()


def serve_with_gunicorn(tmp_path, log_format):
    """The real gunicorn with the shared config, serving the real app on loopback;
    returns the request id of one GET /healthz?token=... and everything it printed."""

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SLAWATCH_VAR_DIR=str(tmp_path),
               SECRET_KEY="logging-test-" + "k" * 40,
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               SLAWATCH_LOG_FORMAT=log_format, STATIC_ROOT=str(tmp_path))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:slawatch.ops.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "config.wsgi:application"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/healthz?token=very-secret-token", timeout=2) as r:
                    request_id = r.headers["X-Request-ID"]
                break
            except OSError:
                time.sleep(0.1)
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    return request_id, output


def test_gunicorn_access_log_has_the_request_id_and_no_query_string(tmp_path):
    request_id, output = serve_with_gunicorn(tmp_path, "text")
    # The line of the request that answered (a slow start may leave an earlier,
    # abandoned try in the log too).
    access = [line for line in output.splitlines() if f"req={request_id}" in line]
    assert access, output
    assert '"GET /healthz" 200' in access[0]
    assert "very-secret-token" not in output and "127.0.0.1 -" not in output


def test_gunicorn_writes_one_json_object_per_line_in_json_mode(tmp_path):
    request_id, output = serve_with_gunicorn(tmp_path, "json")
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    access = [line for line in lines if line["name"] == "gunicorn.access"]
    assert any(f"req={request_id}" in line["message"] for line in access), access
    assert any(line["name"] == "gunicorn.error" for line in lines)  # start-up lines too
    assert not any("Control socket" in line["message"] for line in lines)
