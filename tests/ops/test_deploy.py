"""The production artefacts: compose file against the Compose specification, the
image recipe, and Django's deployment checks with a production-like environment."""

import copy
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat", "sweeper")
# Settings that are not deployment configuration: test-only, demo-only, or fixed by the image.
NOT_FOR_COMPOSE = {"SLAWATCH_TEST_DB_NAME", "CELERY_TASK_ALWAYS_EAGER", "SLAWATCH_DEMO",
                   "STATIC_ROOT"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((ROOT / "scripts" / "compose-spec.json").read_text())
    return jsonschema.Draft7Validator(schema)


def setting_names():
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', source))


def test_compose_file_is_valid_against_the_compose_specification(compose, validator):
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []


def test_the_schema_check_does_catch_a_broken_compose_file(compose, validator):
    broken = copy.deepcopy(compose)
    broken["services"]["web"]["depends_on"]["migrate"]["condition"] = "when_it_feels_like_it"
    broken["services"]["worker"]["healthcheck"]["retries"] = "three"
    assert len(list(validator.iter_errors(broken))) >= 2


def test_migrations_run_once_before_web_worker_and_beat(compose):
    services = compose["services"]
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    for name in APP_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy"
        assert "migrate" not in " ".join(map(str, services[name]["command"]))


def test_every_service_has_a_health_check_and_data_lives_in_volumes(compose):
    services = compose["services"]
    for name in ("db", "redis", "web", "worker", "beat", "sweeper"):
        assert services[name]["healthcheck"]["test"], name
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "redisdata:/data" in services["redis"]["volumes"]
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}


def test_beat_stays_single_while_web_and_worker_scale(compose):
    services = compose["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "deploy" not in services["web"] and "deploy" not in services["worker"]
    assert "celery" in services["worker"]["command"] and "worker" in services["worker"]["command"]


def test_every_setting_comes_from_the_environment(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        missing = setting_names() - NOT_FOR_COMPOSE - set(env)
        assert missing == set(), f"{name} lacks {sorted(missing)}"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("${REDIS_URL:-redis://redis:6379")
        # Secrets are required from the operator, never written into the file.
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
        assert "${POSTGRES_PASSWORD:?" in env["DATABASE_URL"]
        for key, value in env.items():
            if re.search(r"SECRET|TOKEN|PASSWORD", key):
                assert str(value).startswith("${"), key


def test_the_image_is_slim_non_root_gunicorn_with_static_files_collected():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "collectstatic" in dockerfile
    assert re.search(r'^CMD \["gunicorn", .*"config\.wsgi:application"\]', dockerfile, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "db.sqlite3", ".env"} <= set(ignored)


def test_manage_check_deploy_reports_no_errors_with_a_production_environment(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SLAWATCH_", "DATABASE_URL", "REDIS_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0",
               SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="slawatch.example.com",
               SLAWATCH_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS:" not in output
    assert "(security." not in output  # none of Django's deployment warnings either


def test_manage_check_deploy_does_flag_an_insecure_environment(tmp_path):
    """The check above is meaningful: a short, obvious key is reported."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "SLAWATCH_", "DATABASE_URL", "REDIS_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", SECRET_KEY="short",
               SLAWATCH_VAR_DIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert "security.W009" in output and "security.W018" in output
