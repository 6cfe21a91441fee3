"""Request and task ids on every log record, and no secrets in any of them.

A contextvar holds the current request id (set by RequestIdMiddleware) and the
current Celery task id (set from Celery's task_prerun/task_postrun signals), so a
log line written anywhere below a view or a task can be tied back to it. The
filters are attached to the console handler in settings.LOGGING.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings

request_id_var: ContextVar[str] = ContextVar("slawatch_request_id", default="-")
task_id_var: ContextVar[str] = ContextVar("slawatch_task_id", default="-")

# An id we accept from a proxy: short and harmless in a log line or a header.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Settings whose values must never reach a log line, whatever code logs them.
SECRET_SETTINGS = (
    "SECRET_KEY", "SLAWATCH_EVENTS_SECRET", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_ACCESS_TOKEN",
    "SALESFORCE_ACCESS_TOKEN", "SALESFORCE_CLIENT_SECRET", "SALESFORCE_REFRESH_TOKEN",
    "SALESFORCE_OUTBOUND_TOKEN",
    "PIPEDRIVE_WEBHOOK_PASSWORD", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET",
    "EMAIL_HOST_PASSWORD",
)
MIN_SECRET_LENGTH = 6


def incoming_or_new_request_id(header_value: str | None) -> str:
    """Keep a proxy's X-Request-ID when it looks like an id, else mint one."""
    if header_value and _SAFE_ID.match(header_value):
        return header_value
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds request_id and task_id to every record (``-`` when there is none)."""

    def filter(self, record):
        # django.request logs 4xx/5xx after the middleware chain has returned (the
        # contextvar is reset by then) but passes the request along: use its id.
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "request_id", None) or request_id_var.get()
        record.task_id = task_id_var.get()
        return True


def _secret_values():
    values = []
    for name in SECRET_SETTINGS:
        value = getattr(settings, name, None)
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            values.append(value)
    return values


def _redact(text: str, secrets) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _EMAIL.sub("[email]", text)


class RedactFilter(logging.Filter):
    """Last line of defence: configured secrets and e-mail addresses never leave the process.

    Code should log ids only; this catches the slip (an exception message that
    quotes a token, a third-party library echoing a URL with credentials).
    """

    def filter(self, record):
        try:
            secrets = _secret_values()
        except Exception:  # settings not configured (e.g. very early start-up)
            secrets = []
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path"):
            # JSON output would print repr(request), query string included; keep the path.
            record.request = f"{request.method} {request.path}"
        message = record.getMessage()
        cleaned = _redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters fall back to exc_text when exc_info is gone, so the
            # redacted traceback is the only one that can be printed.
            record.exc_text = _redact(record.exc_text, secrets)
            record.exc_info = None
        return True


def on_task_prerun(task_id=None, **kwargs):
    task_id_var.set(task_id or "-")


def on_task_postrun(**kwargs):
    task_id_var.set("-")
