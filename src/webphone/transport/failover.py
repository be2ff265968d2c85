"""An ordered list of servers and the backoff between tries, sans-IO: no clock, no sockets.

A round tries every server in list order, back to back; before each round after a drop the
client waits a random delay, "full jitter" (AWS Architecture Blog, "Exponential Backoff And
Jitter"): uniform in [0, min(maximum, initial * 2**round)]. Jitter keeps a thousand phones
from reconnecting in the same millisecond when a server restarts (RFC 5626 §4.5 asks for the
same of flow recovery).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

#: A connection that lived at least this long was healthy: the next drop starts over at round 0.
#: A shorter one (a server that accepts and drops at once) keeps the backoff growing.
STABLE_AFTER = 30.0
#: Rounds past this no longer change the delay; it keeps the power finite.
_MAX_EXPONENT = 64


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: wait `delay` seconds, then connect to `url`."""

    #: The server to try.
    url: str
    #: Seconds to wait first: a jittered backoff before the first server of a round, else 0.
    delay: float
    #: Which round of the list this try belongs to (0 for the first).
    round: int


class FailoverPolicy:
    """Which server to try next and how long to wait; `rng()` gives floats in [0, 1)."""

    def __init__(
        self,
        servers: Sequence[str],
        *,
        initial: float = 0.5,
        maximum: float = 30.0,
        multiplier: float = 2.0,
        stable_after: float = STABLE_AFTER,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.servers = parse_servers(servers)
        if not initial > 0:
            raise ValueError(f"backoff_initial must be > 0, not {initial!r}")
        if not maximum >= initial:
            raise ValueError(f"backoff_max must be >= backoff_initial ({initial}), not {maximum!r}")
        if not multiplier >= 1:
            raise ValueError(f"backoff multiplier must be >= 1, not {multiplier!r}")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.stable_after = stable_after
        self._rng = rng

    def cap(self, round_: int) -> float:
        """The largest delay before round `round_`: exponential, capped at `maximum`."""
        return min(self.maximum, self.initial * self.multiplier ** min(round_, _MAX_EXPONENT))

    def delay(self, round_: int) -> float:
        """The wait before round `round_`, with full jitter."""
        return self._rng() * self.cap(round_)

    def attempt(self, n: int) -> Attempt:
        """The `n`-th try (from 0) of a reconnection: a delay only before each round's first."""
        round_, index = divmod(n, len(self.servers))
        delay = self.delay(round_) if index == 0 else 0.0
        return Attempt(self.servers[index], delay, round_)

    def first_attempt_after_drop(self, last_round: int, lifetime: float) -> int:
        """Where a reconnection starts, after a connection made in `last_round` lived `lifetime`.

        Always at the first server (the list is in order of preference); at round 0 after a
        healthy connection, at the next round after a short-lived one.
        """
        round_ = 0 if lifetime >= self.stable_after else last_round + 1
        return round_ * len(self.servers)


def parse_servers(servers: str | Sequence[str]) -> tuple[str, ...]:
    """Check a server list ("wss://a/ws, wss://b/ws" or a sequence of URLs), naming a bad value."""
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    urls = tuple(url.strip() for url in items if url.strip())
    if not urls:
        raise ValueError("servers: the list of WebSocket server URLs is empty")
    for url in urls:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError for a bad port)
        except ValueError as e:
            raise ValueError(f"servers: bad URL {url!r}: {e}") from None
        if parts.scheme not in ("ws", "wss"):
            raise ValueError(f"servers: {url!r} is not a ws:// or wss:// URL")
        if not parts.hostname:
            raise ValueError(f"servers: {url!r} has no host")
    return urls
