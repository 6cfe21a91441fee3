"""The outbound URL policy (slawatch/outbound.py): which URLs, and which addresses."""

import socket

import pytest

from slawatch.outbound import OutboundRefused, check_destination, parse_allowed_hosts, url_problem

HOOK = "https://hooks.slack.com/services/T1/B2/xyz"


def resolving_to(*addresses):
    """getaddrinfo at the process edge: the answer a DNS server would give."""
    def resolve(host, port, type=0):
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (a, port)) for a in addresses]
    return resolve


@pytest.mark.parametrize("url", [HOOK, "http://127.0.0.1:8080/hook", "https://chat.internal/x"])
def test_slack_hooks_and_allow_listed_hosts_pass(url):
    assert url_problem(url, ("127.0.0.1", "chat.internal")) is None


@pytest.mark.parametrize("url, problem", [
    ("http://hooks.slack.com/services/x", "must be https://hooks.slack.com/"),
    ("https://hooks.slack.com:8443/services/x", "must be https://hooks.slack.com/"),
    ("http://169.254.169.254/latest/meta-data/", "(169.254.169.254 is not)"),
    ("http://127.0.0.1:6379/", "(127.0.0.1 is not)"),
    ("https://hooks.slack.com.evil.example/x", "is not)"),
    ("ftp://hooks.slack.com/x", "must be an http(s) URL"),
    ("https://user:pw@hooks.slack.com/x", "user name or password"),
    ("http://[::1/", "not a valid URL"),
])
def test_anything_else_is_refused_with_a_reason(url, problem):
    assert problem in url_problem(url, ())


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.5", "172.16.0.1",
                                     "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
                                     "fe80::1", "fd00::1", "::ffff:127.0.0.1", "224.0.0.1"])
def test_slack_host_resolving_to_a_non_public_address_is_refused(address):
    with pytest.raises(OutboundRefused, match="not a public address"):
        check_destination(HOOK, (), resolve=resolving_to("34.1.2.3", address))


def test_public_addresses_pass_and_allow_listed_hosts_are_not_resolved():
    check_destination(HOOK, (), resolve=resolving_to("34.1.2.3", "2600:1f18::1"))

    def no_dns(*args, **kwargs):
        raise AssertionError("an allow-listed host needs no resolution")
    check_destination("http://127.0.0.1:9/x", ("127.0.0.1",), resolve=no_dns)


def test_allowed_hosts_parse_strictly():
    assert parse_allowed_hosts([" 127.0.0.1", "Chat.Internal", "[::1]"]) == (
        "127.0.0.1", "chat.internal", "::1")
    for bad in ("https://x.example", "x.example:8080", "x.example/path", "*.example", ""):
        with pytest.raises(ValueError, match="not a host name or IP address"):
            parse_allowed_hosts([bad])
