"""The economics settings are parsed as strictly as every other one."""

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.config.test_env import run


@pytest.mark.parametrize("raw", ["usd", "US", "XYZ", "DOLLAR"])
def test_a_reporting_currency_that_is_not_iso_4217_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SLAWATCH_REPORTING_CURRENCY", raw)
    with pytest.raises(ImproperlyConfigured,
                       match=r"^SLAWATCH_REPORTING_CURRENCY=.* is not an ISO 4217"):
        env.env_currency("SLAWATCH_REPORTING_CURRENCY", "USD")


def test_reporting_currency_default_and_value(monkeypatch):
    assert env.env_currency("SLAWATCH_REPORTING_CURRENCY", "USD") == "USD"
    monkeypatch.setenv("SLAWATCH_REPORTING_CURRENCY", "EUR")
    assert env.env_currency("SLAWATCH_REPORTING_CURRENCY", "USD") == "EUR"


@pytest.mark.parametrize("raw, message", [("abc", "is not a number"), ("NaN", "finite"),
                                          ("0", "greater than 0"), ("1.5", "at most 1")])
def test_clv_margin_must_be_a_fraction_above_zero(monkeypatch, raw, message):
    monkeypatch.setenv("SLAWATCH_CLV_GROSS_MARGIN", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env.env_decimal("SLAWATCH_CLV_GROSS_MARGIN", "1", above=0, maximum=1)


def test_clv_inputs_are_decimals(monkeypatch):
    monkeypatch.setenv("SLAWATCH_CLV_LIFETIME_YEARS", "3.5")
    assert env.env_decimal("SLAWATCH_CLV_LIFETIME_YEARS", "1", above=0) == Decimal("3.5")


def test_start_up_with_a_bad_reporting_currency_fails_naming_it():
    result = run("import django; django.setup()", SLAWATCH_REPORTING_CURRENCY="EURO")
    assert result.returncode != 0
    assert "SLAWATCH_REPORTING_CURRENCY='EURO' is not an ISO 4217" in result.stderr
