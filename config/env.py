"""Strict environment parsing.

Every setting comes from the environment (12-factor). A value that cannot be
parsed stops start-up with a message naming the variable, instead of silently
falling back to a default nobody asked for.
"""

import ipaddress
import math
import os
import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from django.core.exceptions import ImproperlyConfigured

from slawatch.outbound import parse_allowed_hosts  # pure module, no Django

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name, default=None):
    value = _raw(name)
    return default if value is None else value


def env_bool(name, default=False):
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of 1/0/true/false/yes/no"
    )


def env_int(name, default, minimum=None):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_float(name, default, minimum=None):
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if not math.isfinite(number):  # float() accepts "nan" and "inf"; no setting wants them
        raise ImproperlyConfigured(f"{name}={value!r} is not a finite number")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    return number


def env_list(name, default=()):
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_names(name, pattern, what):
    """A comma-separated list of field names, each matching `pattern` (they end up in CRM
    queries, so anything else stops start-up naming the variable)."""
    names = env_list(name)
    for item in names:
        if not re.fullmatch(pattern, item):
            raise ImproperlyConfigured(f"{name}: {item!r} is not {what}")
    return list(dict.fromkeys(names))


def env_choice(name, default, choices):
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not one of {', '.join(sorted(choices))}"
        )
    return value


def env_url(name, default=None):
    value = _raw(name)
    if value is None:
        return default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in value):
        raise ImproperlyConfigured(f"{name}={value!r} is not an http(s) URL")
    return value.rstrip("/")


def env_timezone(name, default):
    value = _raw(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not a known time zone") from None
    return value


def env_hosts(name):
    """A comma-separated list of host names or IP addresses (no scheme, port or path)."""
    try:
        return parse_allowed_hosts(env_list(name))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None


def env_networks(name):
    """A comma-separated list of IP addresses or networks (CIDR), e.g. `10.0.0.0/8,127.0.0.1`."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (CIDR)") from None
    return tuple(networks)


def env_rate(name, default):
    """A DRF throttle rate (`<count>/<second|minute|hour|day>`), or `off`."""
    value = _raw(name)
    if value is None:
        return default
    if value.lower() == "off":
        return None
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in (
            "s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"):
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a rate like 100/minute (or 'off')")
def env_decimal(name, default, minimum=None, maximum=None, above=None):
    """A finite Decimal (money and the inputs multiplied with it never go through float)."""
    value = _raw(name)
    if value is None:
        return Decimal(default)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None
    if not number.is_finite():
        raise ImproperlyConfigured(f"{name}={value!r} is not a finite number")
    if above is not None and number <= above:
        raise ImproperlyConfigured(f"{name}={number} must be greater than {above}")
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} must be at most {maximum}")
    return number


def env_currency(name, default):
    """An ISO 4217 code in upper case, e.g. USD."""
    value = _raw(name)
    if value is None:
        return default
    if len(value) != 3 or not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
        raise ImproperlyConfigured(f"{name}={value!r} is not an ISO 4217 currency code "
                                   "(three capital letters, e.g. USD or EUR)")
    return value
