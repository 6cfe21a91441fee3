#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL, with a real Redis. Starts the servers
# it needs and stops them again, whatever happens. Usage: scripts/test.sh [sqlite|postgres]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
WHICH=${1:-both}

# The import contracts first (.importlinter, docs/ARCHITECTURE.md): a module that imports
# across a layer fails the run before any test starts.
echo "=== import contracts ==="
"$ROOT/.venv/bin/lint-imports" --no-cache || { echo "import contracts broken" >&2; exit 1; }

bash scripts/services.sh start || { echo "could not start test services" >&2; exit 1; }
trap 'bash scripts/services.sh stop' EXIT
eval "$(bash scripts/services.sh env)"
export REDIS_URL
mkdir -p test-output

status=0
if [ "$WHICH" = both ] || [ "$WHICH" = sqlite ]; then
  echo "=== test suite on SQLite ==="
  env -u DATABASE_URL "$PY" -m pytest -p no:cacheprovider ${PYTEST_ARGS:-} || status=1
fi
if [ "$WHICH" = both ] || [ "$WHICH" = postgres ]; then
  echo "=== test suite on PostgreSQL ==="
  DATABASE_URL="$SLAWATCH_TEST_DATABASE_URL" "$PY" -m pytest -p no:cacheprovider ${PYTEST_ARGS:-} || status=1
fi
exit $status
