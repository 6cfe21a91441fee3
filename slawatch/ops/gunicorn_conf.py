"""gunicorn settings shared by `make run`, the image and docker-compose:
`gunicorn --config python:slawatch.ops.gunicorn_conf config.wsgi:application`."""

import ipaddress
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = 30
accesslog = "-"
errorlog = "-"
# The path without its query string (%(U)s), since a query can carry a token (the
# Salesforce outbound URL does), and no client address or user agent: personal data.
# The request id ties the line to the application's own log lines.
access_log_format = '"%(m)s %(U)s" %(s)s %(b)sB %(M)sms req=%({x-request-id}o)s'
# No gunicornc control socket: it would live in the home directory, which the image's
# non-root user cannot write, and nothing here uses it.
control_socket_disable = True
# TLS ends at the proxy in front: trust X-Forwarded-* from the proxies listed in
# SLAWATCH_TRUSTED_PROXIES only, the same list the application uses (none by default).
# A bad entry is left out here; the settings stop start-up naming the variable.
def _networks(raw):
    for item in raw.split(","):
        try:
            yield str(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue


forwarded_allow_ips = ",".join(_networks(os.environ.get("SLAWATCH_TRUSTED_PROXIES", "")))

if os.environ.get("SLAWATCH_LOG_FORMAT", "").strip() == "json":
    # One JSON object per line for gunicorn's own lines too, like the application's.
    _json = {"()": "pythonjsonlogger.json.JsonFormatter",
             "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    _console = {"class": "logging.StreamHandler", "formatter": "json",
                "stream": "ext://sys.stdout"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": _json},
        "handlers": {"console": _console},
        "loggers": {name: {"handlers": ["console"], "level": "INFO", "propagate": False}
                    for name in ("gunicorn.error", "gunicorn.access")},
        "root": {"handlers": ["console"], "level": "INFO"},
    }
