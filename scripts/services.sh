#!/usr/bin/env bash
# Install (when missing), start and stop the servers the test suite uses:
# PostgreSQL and Redis on 127.0.0.1, private data dirs under var/, odd ports so a
# system-wide server is never touched. Also installs Debian's chromium for the
# browser tests. Usage: scripts/services.sh start|stop|env
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR="$ROOT/var/services"
PG_PORT=${SLAWATCH_PG_PORT:-54329}
REDIS_PORT=${SLAWATCH_REDIS_PORT:-63799}
PG_DATA="$VAR/pg"

apt_install() {
  local missing=("$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  echo "$dir"
}

install_missing() {
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || need+=(postgresql)
  command -v chromium >/dev/null || need+=(chromium)
  apt_install "${need[@]}"
}

start_pg() {
  local bin; bin=$(pg_bin)
  mkdir -p "$VAR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    rm -rf "$PG_DATA"; mkdir -p "$PG_DATA"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$VAR"; fi
    as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$VAR/pg.log" -w -t 60 start \
      -o "-p $PG_PORT -k $VAR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  fi
  as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname='slawatch'" | grep -q 1 || \
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres slawatch
}

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd /tmp && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

start_redis() {
  mkdir -p "$VAR"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" \
      --appendonly no --dir "$VAR" --pidfile "$VAR/redis.pid" --logfile "$VAR/redis.log"
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
}

stop_all() {
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) install_missing; start_pg; start_redis ;;
  stop) stop_all ;;
  env)
    echo "export SLAWATCH_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/slawatch"
    echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
