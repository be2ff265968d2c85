"""The failover policy, sans-IO: which server next and how long to wait, with a fixed rng."""

from __future__ import annotations

from typing import Any

import pytest

from webphone.transport import Attempt, FailoverPolicy, parse_servers

A, B, C = "wss://a.example/ws", "wss://b.example/ws", "ws://127.0.0.1:8080"


def policy(rng: float = 1.0, **kwargs: float) -> FailoverPolicy:
    return FailoverPolicy([A, B, C], rng=lambda: rng, **kwargs)


def test_rounds_go_through_the_list_in_order_waiting_only_before_each_round() -> None:
    p = policy(initial=0.5, maximum=30.0)
    assert [p.attempt(n) for n in range(7)] == [
        Attempt(A, 0.5, 0),
        Attempt(B, 0.0, 0),
        Attempt(C, 0.0, 0),
        Attempt(A, 1.0, 1),
        Attempt(B, 0.0, 1),
        Attempt(C, 0.0, 1),
        Attempt(A, 2.0, 2),
    ]


def test_the_delay_doubles_up_to_the_maximum() -> None:
    p = policy(initial=0.5, maximum=30.0)
    assert [p.cap(r) for r in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert p.cap(10_000) == 30.0  # no overflow however long the outage


def test_full_jitter_scales_the_cap_by_the_rng() -> None:
    assert policy(rng=0.0).delay(5) == 0.0
    assert policy(rng=0.25, initial=1.0).delay(3) == 2.0
    draws = iter([0.1, 0.9])
    p = FailoverPolicy([A], initial=1.0, maximum=8.0, rng=lambda: next(draws))
    assert [p.attempt(0).delay, p.attempt(1).delay] == [0.1, 1.8]


def test_after_a_healthy_connection_start_over_at_the_first_server() -> None:
    p = policy(stable_after=30.0)
    assert p.first_attempt_after_drop(last_round=4, lifetime=31.0) == 0
    assert p.attempt(0).url == A


def test_after_a_short_lived_connection_the_backoff_keeps_growing() -> None:
    p = policy(stable_after=30.0, initial=0.5)
    n = p.first_attempt_after_drop(last_round=2, lifetime=0.1)
    assert p.attempt(n) == Attempt(A, 4.0, 3)  # the first server again, one round further


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial": 0.0}, "backoff_initial"),
        ({"initial": 2.0, "maximum": 1.0}, "backoff_max"),
        ({"multiplier": 0.5}, "multiplier"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        FailoverPolicy([A], **kwargs)


def test_parse_servers_takes_a_comma_separated_string_or_a_list() -> None:
    assert parse_servers(f" {A}, {B} ,,") == (A, B)
    assert parse_servers([A, C]) == (A, C)


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ("", "empty"),
        ([], "empty"),
        ("https://a.example/", "not a ws:// or wss://"),
        ("wss:///path", "no host"),
        ("ws://a.example:99999/", "bad URL"),
    ],
)
def test_parse_servers_names_a_bad_value(servers: str | list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_servers(servers)
