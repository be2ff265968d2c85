"""Origins as the gateway compares them, and the dial policy's counts on a simulated clock."""

from __future__ import annotations

import pytest

from webphone.gateway import (
    CallLimits,
    CallRefusedError,
    DialPolicy,
    SavedComponent,
    is_own_origin,
    normal_origin,
    page_origin,
)
from webphone.phone import PhoneConfig
from webphone.sip import SipUri
from webphone.store import destination_allowed
from webphone.web.tickets import origin_allowed


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com:443/", "https://shop.example.com"),
        ("http://shop.example.com:80", "http://shop.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("null", "null"),
        ("https://shop.example.com/path", "https://shop.example.com/path"),  # not an origin
    ],
)
def test_origins_compare_in_one_spelling(given: str, normal: str) -> None:
    assert normal_origin(given) == normal


@pytest.mark.parametrize(
    ("origin", "host", "own"),
    [
        ("http://127.0.0.1:8080", "127.0.0.1:8080", True),
        ("https://phone.example.com", "phone.example.com", True),  # behind a TLS proxy
        ("https://phone.example.com", "phone.example.com:443", True),
        ("http://phone.example.com:8080", "phone.example.com", False),
        ("https://shop.example.com", "phone.example.com", False),
        ("null", "phone.example.com", False),
        ("https://phone.example.com", None, False),
    ],
)
def test_the_servers_own_origin_is_known_by_its_host(
    origin: str, host: str | None, own: bool
) -> None:
    assert is_own_origin(origin, host) is own


def test_a_request_without_origin_is_the_servers_own() -> None:
    assert page_origin(None, "phone.example.com", secure=True) == "https://phone.example.com"
    assert page_origin("HTTPS://Shop.example.com", "x", secure=False) == "https://shop.example.com"
    allowed = "https://shop.example.com:443\nhttps://other.example.org"
    assert origin_allowed(allowed, "https://shop.example.com", "phone.example.com")
    assert not origin_allowed(allowed, "https://evil.example.net", "phone.example.com")
    assert origin_allowed("*", "https://evil.example.net", "phone.example.com")
    assert origin_allowed("", "https://phone.example.com", "phone.example.com")


def test_calls_per_hour_come_back_as_the_hour_passes() -> None:
    now = [0.0]
    limits = CallLimits(clock=lambda: now[0])
    policy = DialPolicy(
        destinations=lambda d: destination_allowed("support\n+4420*", d),
        calls_per_hour_per_visitor=2,
    )
    component = SavedComponent("c", PhoneConfig(), policy)
    support = SipUri("example.com", "support")
    for at in (0.0, 600.0):
        now[0] = at
        limits.admit(component, support, "192.0.2.1", active_calls=0)
    with pytest.raises(CallRefusedError, match="try again in 50 min") as refused:
        limits.admit(component, support, "192.0.2.1", active_calls=0)
    assert refused.value.code == "rate_limited"
    limits.admit(component, support, "192.0.2.2", active_calls=0)  # another visitor
    now[0] = 3600.0  # the first call is an hour old
    limits.admit(component, support, "192.0.2.1", active_calls=0)
    with pytest.raises(CallRefusedError) as wrong:
        limits.admit(component, SipUri("example.com", "+4430"), "192.0.2.3", active_calls=0)
    assert wrong.value.code == "forbidden_destination"
