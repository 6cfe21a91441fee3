# slawatch — the two commands: `make run` (demo on the embedded default) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.requirements.stamp

.PHONY: run test test-sqlite test-postgres venv migrate services-start services-stop check lint clean

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $(STAMP)

migrate: venv
	$(PY) manage.py migrate --noinput

run: venv
	bash scripts/run.sh

# Fresh machine to a passing suite: installs and starts PostgreSQL and Redis when
# missing, runs everything on SQLite and on PostgreSQL, stops what it started.
test: venv
	bash scripts/test.sh

test-sqlite: venv
	bash scripts/test.sh sqlite

test-postgres: venv
	bash scripts/test.sh postgres

check: venv
	$(PY) manage.py check

# The import contracts alone (.importlinter, docs/ARCHITECTURE.md); make test runs them first.
lint: venv
	$(VENV)/bin/lint-imports --no-cache

clean:
	rm -rf $(VENV) var staticfiles test-output db.sqlite3
