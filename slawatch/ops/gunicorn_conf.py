"""gunicorn settings shared by `make run`, the image and docker-compose:
`gunicorn --config python:slawatch.ops.gunicorn_conf config.wsgi:application`."""

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
# TLS ends at the proxy in front; trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
