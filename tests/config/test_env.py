"""Strict environment parsing: a bad value stops start-up and names the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), ("Yes", True), ("no", False),
    (" on ", True), ("Off", False),
])
def test_booleans_accept_the_documented_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SLAWATCH_FLAG", raw)
    assert env.env_bool("SLAWATCH_FLAG", default=not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "y es", "truthy"])
def test_a_bad_boolean_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SLAWATCH_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=r"^SLAWATCH_FLAG=.* is not a boolean"):
        env.env_bool("SLAWATCH_FLAG")


def test_unset_or_empty_means_the_default(monkeypatch):
    monkeypatch.delenv("SLAWATCH_FLAG", raising=False)
    assert env.env_bool("SLAWATCH_FLAG", default=True) is True
    monkeypatch.setenv("SLAWATCH_FLAG", "  ")
    assert env.env_bool("SLAWATCH_FLAG", default=True) is True
    assert env.env_int("SLAWATCH_FLAG", 7) == 7
    assert env.env_str("SLAWATCH_FLAG", "d") == "d"


def test_integers(monkeypatch):
    monkeypatch.setenv("SLAWATCH_N", "42")
    assert env.env_int("SLAWATCH_N", 1) == 42
    monkeypatch.setenv("SLAWATCH_N", "4.5")
    with pytest.raises(ImproperlyConfigured, match="^SLAWATCH_N='4.5' is not an integer"):
        env.env_int("SLAWATCH_N", 1)
    monkeypatch.setenv("SLAWATCH_N", "0")
    with pytest.raises(ImproperlyConfigured, match="^SLAWATCH_N=0 must be at least 1"):
        env.env_int("SLAWATCH_N", 5, minimum=1)


def test_floats(monkeypatch):
    monkeypatch.setenv("SLAWATCH_X", "2.5")
    assert env.env_float("SLAWATCH_X", 1.0) == 2.5
    for bad in ("fast", "nan", "inf"):
        monkeypatch.setenv("SLAWATCH_X", bad)
        with pytest.raises(ImproperlyConfigured, match="^SLAWATCH_X="):
            env.env_float("SLAWATCH_X", 1.0, minimum=0.5)


@pytest.mark.parametrize("raw", ["ftp://example.com", "example.com", "http://", "https:// x.com",
                                 "javascript:alert(1)"])
def test_a_bad_url_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SLACK_API_BASE", raw)
    with pytest.raises(ImproperlyConfigured, match="^SLACK_API_BASE=.* is not an http"):
        env.env_url("SLACK_API_BASE")


def test_urls_lose_their_trailing_slash(monkeypatch):
    monkeypatch.setenv("SLACK_API_BASE", "http://127.0.0.1:8025/api/")
    assert env.env_url("SLACK_API_BASE") == "http://127.0.0.1:8025/api"


def test_time_zones(monkeypatch):
    monkeypatch.setenv("TIME_ZONE", "Asia/Kolkata")
    assert env.env_timezone("TIME_ZONE", "UTC") == "Asia/Kolkata"
    monkeypatch.setenv("TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ImproperlyConfigured, match="^TIME_ZONE='Mars/Olympus' is not a known"):
        env.env_timezone("TIME_ZONE", "UTC")


def test_choices_and_lists(monkeypatch):
    monkeypatch.setenv("SLAWATCH_DEFAULT_HEAT", "tepid")
    with pytest.raises(ImproperlyConfigured, match="^SLAWATCH_DEFAULT_HEAT='tepid' is not one of"):
        env.env_choice("SLAWATCH_DEFAULT_HEAT", "warm", {"hot", "warm", "cold"})
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example.com, b.example.com,,")
    assert env.env_list("ALLOWED_HOSTS") == ["a.example.com", "b.example.com"]


# --- start-up in a fresh process ------------------------------------------------------------

def run(code_or_args, **environ):
    """Run Python (a -c snippet or manage.py arguments) with only the given environment."""
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"),
            "DJANGO_SETTINGS_MODULE": "config.settings", "SLAWATCH_VAR_DIR": "/tmp/slawatch-cfg",
            "SECRET_KEY": "config-test-" + "k" * 40}
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else ["manage.py", *code_or_args]
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **environ},
                          capture_output=True, text=True, timeout=60)


SHOW_DB = "import django; from django.conf import settings; django.setup(); " \
          "print(settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'])"


def test_start_up_with_debug_maybe_fails_naming_the_variable():
    result = run(SHOW_DB, DEBUG="maybe")
    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='maybe' is not a boolean" in result.stderr


def test_database_url_switches_engine():
    default = run(SHOW_DB)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split()[0] == "django.db.backends.sqlite3"
    assert default.stdout.split()[1].endswith("db.sqlite3")
    postgres = run(SHOW_DB, DATABASE_URL="postgres://u:p@127.0.0.1:5432/slawatch_x")
    assert postgres.returncode == 0, postgres.stderr
    assert postgres.stdout.split() == ["django.db.backends.postgresql", "slawatch_x"]


def test_unknown_database_scheme_names_the_variable():
    result = run(SHOW_DB, DATABASE_URL="oracle-ish://x/y")
    assert result.returncode != 0
    assert "DATABASE_URL is not a valid database URL" in result.stderr


def test_check_deploy_with_a_production_environment_reports_no_errors():
    result = run(["check", "--deploy"], DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
                 ALLOWED_HOSTS="slawatch.example.com",
                 DATABASE_URL="postgres://u:p@127.0.0.1:5432/slawatch_x")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "ERRORS" not in output
    assert "security." not in output, output


@pytest.mark.parametrize("command", [SHOW_DB, ["check"], ["migrate", "--plan"],
                                     ["slawatch_drain"]])
def test_production_without_secret_key_refuses_to_start(command):
    """No built-in key with DEBUG=0 (the default): any command stops, naming SECRET_KEY."""
    result = run(command, SECRET_KEY="")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr


def test_debug_mode_runs_with_a_throw_away_key_that_check_deploy_flags():
    result = run(["check", "--deploy"], SECRET_KEY="", DEBUG="1")
    assert "security.W009" in result.stdout + result.stderr  # Django's "insecure key" warning


@pytest.mark.parametrize("name, value, message", [
    ("SLAWATCH_OUTBOUND_ALLOWED_HOSTS", "https://chat.internal",
     "'https://chat.internal' is not a host name or IP address"),
    ("SLAWATCH_TRUSTED_PROXIES", "10.0.0.0/33", "'10.0.0.0/33' is not an IP address or network"),
    ("SLAWATCH_API_THROTTLE_USER", "lots", "'lots' is not a rate like 100/minute"),
    ("SLAWATCH_LOGIN_FAILURE_LIMIT", "50", "SLAWATCH_LOGIN_FAILURE_LIMIT=50 must be at most 10"),
])
def test_security_settings_are_parsed_strictly(name, value, message):
    result = run(SHOW_DB, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr and message in result.stderr


def test_a_bad_log_level_names_the_variable():
    result = run(SHOW_DB, LOG_LEVEL="LOUD")
    assert result.returncode != 0
    assert "LOG_LEVEL='LOUD' is not one of" in result.stderr
