"""Where slawatch may send a request built from a stored or received URL (a team's Slack
webhook, Slack's `response_url`): the one policy, checked when a URL is set (API, admin)
and again right before each request. No Django here; callers pass the allow-list
(settings.SLAWATCH_OUTBOUND_ALLOWED_HOSTS).

- A URL must be `https://hooks.slack.com/…`, or http(s) to a host on the allow-list.
- Before sending, the host is resolved: an address that is not public (loopback,
  private, link-local such as 169.254.169.254, carrier-grade NAT, reserved, multicast)
  is refused unless the host itself is on the allow-list.
- Callers never follow redirects (a redirect would lead past both checks).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

SLACK_HOOKS_HOST = "hooks.slack.com"
ALLOWED_HOSTS_SETTING = "SLAWATCH_OUTBOUND_ALLOWED_HOSTS"


class OutboundRefused(ValueError):
    """The URL or the address it resolves to is not somewhere slawatch sends to."""


def url_problem(url: str, allowed_hosts: Iterable[str]) -> str | None:
    """None when `url` passes the policy; else a sentence saying what is wrong."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "must be an http(s) URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if host in {h.lower() for h in allowed_hosts}:
        return None
    if parts.scheme.lower() == "https" and host == SLACK_HOOKS_HOST and port in (None, 443):
        return None
    return (f"must be https://{SLACK_HOOKS_HOST}/… or point to a host listed in "
            f"{ALLOWED_HOSTS_SETTING} ({host} is not)")


def check_destination(url: str, allowed_hosts: Iterable[str],
                      resolve: Callable = socket.getaddrinfo) -> None:
    """Raise OutboundRefused unless `url` passes the policy and resolves to public addresses
    (or its host is allow-listed). DNS failures propagate as OSError (a transient problem)."""
    allowed = {h.lower() for h in allowed_hosts}
    problem = url_problem(url, allowed)
    if problem is not None:
        raise OutboundRefused(f"URL {problem}")
    parts = urlsplit(url)
    host = parts.hostname.lower()
    if host in allowed:
        return
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    for info in resolve(host, port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not is_public(address):
            raise OutboundRefused(f"{host} resolves to {address}, which is not a public address")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_global and not address.is_multicast


def parse_allowed_hosts(raw: Iterable[str]) -> tuple[str, ...]:
    """Host names or IP literals, lower-cased; raises ValueError naming a bad entry
    (a scheme, a path, a port or a wildcard is a mistake, not something to guess at)."""
    hosts = []
    for item in raw:
        host = item.strip().lower()
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not _is_ip(host) and not _is_hostname(host):
            raise ValueError(f"{item!r} is not a host name or IP address (no scheme, port "
                             "or path)")
        hosts.append(host)
    return tuple(hosts)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_hostname(text: str) -> bool:
    labels = text.rstrip(".").split(".")
    return 0 < len(text) <= 253 and all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        and not label.startswith("-") and not label.endswith("-") for label in labels)
