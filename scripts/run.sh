#!/usr/bin/env bash
# make run: the whole system on the embedded default, with live demo traffic.
#
#   migrations, collectstatic, demo data (idempotent), then web (gunicorn), a Celery
#   worker, Celery beat, the sweeper and the demo CRM simulator, all on SQLite and kombu's
#   filesystem broker (no server to install). REDIS_URL / DATABASE_URL, when set,
#   are used instead. Slack goes to a local sink page and email to files under var/
#   unless real credentials are set. Ctrl-C stops everything this script started.
#
# Knobs (environment): SLAWATCH_PORT (8000), SLAWATCH_VAR_DIR (var/),
#   SLAWATCH_DEMO_HOT_MINUTES (2), SLAWATCH_DEMO_FAST=1 (1-minute hot SLA, a lead every
#   5 s, a short history: what the headless check uses), SLAWATCH_SIMULATOR=0 (no traffic).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "no virtualenv: run 'make run' (it creates .venv first)" >&2; exit 1; }

HOST=127.0.0.1
PORT=${SLAWATCH_PORT:-8000}
BASE="http://$HOST:$PORT"
export SLAWATCH_VAR_DIR=${SLAWATCH_VAR_DIR:-$ROOT/var}
VAR=$SLAWATCH_VAR_DIR
LOGS="$VAR/logs"
mkdir -p "$VAR" "$LOGS"

HOT_MINUTES=${SLAWATCH_DEMO_HOT_MINUTES:-2}
LEAD_EVERY=20
HISTORY=(--days 21 --per-day 6)
if [ "${SLAWATCH_DEMO_FAST:-0}" = 1 ]; then
  HOT_MINUTES=1; LEAD_EVERY=5; HISTORY=(--days 7 --per-day 2)
fi

# A secret that survives restarts of the demo, kept private under var/.
persistent_secret() {
  local file="$VAR/$1"
  if [ ! -s "$file" ]; then
    (umask 077; "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))' > "$file")
  fi
  cat "$file"
}

export SLAWATCH_DEMO=1
export DEBUG=${DEBUG:-0}                      # the production code path, served by gunicorn
export SECRET_KEY=${SECRET_KEY:-$(persistent_secret demo-secret-key)}
export SLAWATCH_EVENTS_SECRET=${SLAWATCH_EVENTS_SECRET:-$(persistent_secret demo-events-secret)}
# Plain HTTP on loopback: cookies must not be Secure-only or the admin login loops.
export SESSION_COOKIE_SECURE=${SESSION_COOKIE_SECURE:-0}
export CSRF_COOKIE_SECURE=${CSRF_COOKIE_SECURE:-0}
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
# The demo teams' Slack webhooks point at the local sink on this host.
export SLAWATCH_OUTBOUND_ALLOWED_HOSTS=${SLAWATCH_OUTBOUND_ALLOWED_HOSTS:-$HOST,localhost}
if [ -z "${SLACK_BOT_TOKEN:-}" ]; then
  export SLACK_BOT_TOKEN=xoxb-demo-local-sink
  export SLACK_API_BASE="$BASE/demo/slack-sink"
  SLACK_NOTE="local sink, shown on $BASE/demo/"
else
  SLACK_NOTE="real Slack (SLACK_BOT_TOKEN is set)"
fi
if [ -z "${EMAIL_BACKEND:-}" ] && [ -z "${EMAIL_HOST:-}" ]; then
  export EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend
  export EMAIL_FILE_PATH="$VAR/mail"
  mkdir -p "$EMAIL_FILE_PATH"
  MAIL_NOTE="files in $EMAIL_FILE_PATH"
else
  MAIL_NOTE="${EMAIL_BACKEND:-SMTP via $EMAIL_HOST}"
fi
# Named, not printed: the URLs may carry passwords.
BROKER_NOTE=${REDIS_URL:+Redis (REDIS_URL)}
BROKER_NOTE=${BROKER_NOTE:-"kombu filesystem transport in $VAR/broker"}
DB_NOTE=${DATABASE_URL:+${DATABASE_URL%%:*} (DATABASE_URL)}
DB_NOTE=${DB_NOTE:-"SQLite db.sqlite3"}

PIDS=()
cleanup() {
  local status=$?
  trap - INT TERM EXIT
  [ ${#PIDS[@]} -eq 0 ] && exit "$status"
  echo; echo "stopping slawatch (web, worker, beat, sweeper, simulator)..."
  # TERM to each leader: gunicorn and Celery stop their own children gracefully
  # (signalling the children directly makes Celery replace them). KILL whatever
  # of a group is left after ten seconds.
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.2
  done
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  rm -f "$VAR/run.pids"
  echo "stopped."
  exit "$status"
}
trap cleanup INT TERM EXIT

# Each process gets its own process group (setsid), so stopping one stops its
# children too (gunicorn and Celery workers fork).
start() {
  local name=$1; shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 &
  PIDS+=($!)
  echo "$!" >> "$VAR/run.pids"
}

echo "== migrations"
"$PY" manage.py migrate --noinput -v 0
echo "== static files"
"$PY" manage.py collectstatic --noinput -v 0
echo "== demo data"
"$PY" manage.py slawatch_demo_data --base-url "$BASE" --hot-minutes "$HOT_MINUTES" "${HISTORY[@]}"

rm -f "$VAR/run.pids"
mkdir -p "$VAR/broker/queue" "$VAR/broker/processed"
start web "$ROOT/.venv/bin/gunicorn" --config python:slawatch.ops.gunicorn_conf \
  --bind "$HOST:$PORT" --workers 2 config.wsgi:application
start worker "$ROOT/.venv/bin/celery" -A config worker --loglevel INFO --concurrency 2
start beat "$ROOT/.venv/bin/celery" -A config beat --loglevel INFO \
  --schedule "$VAR/celerybeat-schedule"
# Sweeps each handoff at its due time and sends the escalations itself (sub-second);
# the beat's periodic sweep stays as the safety net.
start sweeper "$PY" manage.py slawatch_sweeper

for _ in $(seq 120); do
  if "$PY" -c "import urllib.request,sys; urllib.request.urlopen('$BASE/healthz', timeout=1)" 2>/dev/null; then
    break
  fi
  kill -0 "${PIDS[0]}" 2>/dev/null || { echo "web did not start; see $LOGS/web.log" >&2; exit 1; }
  sleep 0.5
done

if [ "${SLAWATCH_SIMULATOR:-1}" != 0 ]; then
  start simulator "$PY" manage.py slawatch_simulate --url "$BASE" \
    --hot-minutes "$HOT_MINUTES" --lead-every "$LEAD_EVERY"
fi

cat <<EOF

slawatch is running (database: $DB_NOTE, broker: $BROKER_NOTE)

  live demo (escalations, Slack sink, mail): $BASE/demo/
  admin:                                     $BASE/admin/
  API docs:                                  $BASE/api/v1/docs/
  health / readiness / metrics:              $BASE/healthz  $BASE/readyz  $BASE/metrics

  logins (password slawatch-demo): admin (superuser), maya (manager), rita (rep),
                                   mia (marketing), rob (revops)
  Slack: $SLACK_NOTE
  Email: $MAIL_NOTE
  Logs:  $LOGS/{web,worker,beat,sweeper,simulator}.log

A simulated CRM posts a new lead every ${LEAD_EVERY}s; hot leads have a ${HOT_MINUTES}-minute
SLA, so the first escalations appear on $BASE/demo/ within a few minutes.
Press Ctrl-C to stop everything.
EOF

# Stop everything as soon as any one of them dies (or on Ctrl-C, via the trap).
set +e
wait -n "${PIDS[@]}"
echo "a slawatch process exited; see $LOGS/" >&2
exit 1
