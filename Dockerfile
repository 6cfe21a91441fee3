# slawatch production image: one image for web (gunicorn), Celery worker, beat and
# the one-shot migrate job (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SLAWATCH_VAR_DIR=/app/var

WORKDIR /app

RUN groupadd --system --gid 10001 slawatch \
 && useradd --system --uid 10001 --gid slawatch --home-dir /app --shell /usr/sbin/nologin slawatch

# Runtime requirements only: everything above the "# Tests" line of requirements.txt
# (the test tools, Playwright included, stay out of the image).
COPY requirements.txt /tmp/requirements.txt
RUN sed '/^# Tests/,$d' /tmp/requirements.txt > /tmp/runtime.txt \
 && pip install -r /tmp/runtime.txt \
 && rm /tmp/requirements.txt /tmp/runtime.txt

COPY --chown=root:root . /app

# Static files are collected at build time (served by WhiteNoise with DEBUG=0).
# The key and database here exist only for this build step.
RUN SECRET_KEY=collectstatic-build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --noinput -v 0 \
 && rm -f /tmp/build.sqlite3 \
 && mkdir -p /app/var \
 && chown slawatch:slawatch /app/var

USER slawatch
EXPOSE 8000

# Liveness of the web process; compose overrides it for worker and beat.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# WEB_CONCURRENCY sets the number of web worker processes (slawatch/ops/gunicorn_conf.py).
CMD ["gunicorn", "--config", "python:slawatch.ops.gunicorn_conf", "config.wsgi:application"]
