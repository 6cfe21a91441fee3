"""Readiness probes: can this process reach what it needs to do its work?"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from kombu import Connection

BROKER_TIMEOUT_SECONDS = 2


def database() -> str | None:
    """None when a trivial query works, else the error's class (never its text: it
    may quote a connection string)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return type(exc).__name__
    return None


def broker() -> str | None:
    """None when the Celery broker accepts a connection within a couple of seconds."""
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT_SECONDS,
                        transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            conn.default_channel  # the filesystem transport only fails here (bad folder)
    except Exception as exc:
        return type(exc).__name__
    return None
