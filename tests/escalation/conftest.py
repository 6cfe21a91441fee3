import hashlib
import hmac
import socket
import time

import pytest
import time_machine
from aiosmtpd.controller import Controller

from slawatch.leads.models import Handoff
from slawatch.leads.services import apply_events
from tests.escalation.fakes import MailSink, SlackFake
from tests.factories import event

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack(settings):
    with SlackFake() as fake:
        settings.SLACK_BOT_TOKEN = "xoxb-test-token"
        settings.SLACK_API_BASE = fake.url + "/api"
        settings.SLACK_SIGNING_SECRET = SIGNING_SECRET
        yield fake


@pytest.fixture
def smtp(settings):
    sink = MailSink(refuse={"nobody@example.com"})
    with socket.socket() as probe:  # aiosmtpd's readiness check cannot use port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


@pytest.fixture
def clock():
    """Frozen time that tests move forward explicitly (never sleep for a deadline)."""
    traveller = time_machine.travel("2026-11-23 09:00:00Z", tick=False)
    frozen = traveller.start()
    yield frozen
    traveller.stop()


def assign(external_id="L-42", at="2026-11-23T09:00:00Z", owner="rep-7", heat="hot", **lead):
    apply_events([event(f"assign-{external_id}-{at}", "lead.assigned", at,
                        external_id=external_id, owner=owner, heat=heat, **lead)])
    return Handoff.objects.filter(lead__external_id=external_id).order_by("-handed_off_at").first()


def slack_signature(secret, timestamp, body):
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slack_headers(body, secret=SIGNING_SECRET, now=None):
    ts = str(int(now if now is not None else time.time()))
    return {"HTTP_X_SLACK_REQUEST_TIMESTAMP": ts,
            "HTTP_X_SLACK_SIGNATURE": slack_signature(secret, ts, body)}
