#!/usr/bin/env bash
# Minimal embedded run: migrations and the development server on SQLite.
# (The full demo — worker, beat, demo data and CRM simulator — extends this.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-1}
$PY manage.py migrate --noinput
echo "slawatch admin: http://127.0.0.1:8000/admin/  (create a login: $PY manage.py createsuperuser)"
exec $PY manage.py runserver 127.0.0.1:8000
