"""Identifiers a user agent makes up: branches, tags, Call-IDs (RFC 3261 §8.1.1, §17.2.3).

The randomness comes from an injected `random.Random`-like source, so tests can be deterministic;
the default draws from the operating system.
"""

from __future__ import annotations

import random
from typing import Protocol

#: RFC 3261 §8.1.1.7: a branch starting with the magic cookie marks an RFC 3261 transaction.
MAGIC_COOKIE = "z9hG4bK"

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


class RandomSource(Protocol):
    def getrandbits(self, k: int, /) -> int: ...


class Ids:
    """Makes unique branches, tags, Call-IDs and nonces from one random source."""

    def __init__(self, rng: RandomSource | None = None) -> None:
        self._rng: RandomSource = rng if rng is not None else random.SystemRandom()

    def token(self, length: int = 16) -> str:
        """`length` characters from [a-z0-9], about 5.2 bits of entropy each."""
        # 6 random bits per character leave room for an unbiased base-36 expansion.
        bits = self._rng.getrandbits(6 * length)
        out = []
        for _ in range(length):
            bits, digit = divmod(bits, 36)
            out.append(_ALPHABET[digit])
        return "".join(out)

    def branch(self) -> str:
        return MAGIC_COOKIE + self.token(16)

    def tag(self) -> str:
        return self.token(10)

    def call_id(self) -> str:
        return self.token(22)

    def hex(self, nbytes: int = 8) -> str:
        return f"{self._rng.getrandbits(8 * nbytes):0{2 * nbytes}x}"


def seeded(seed: int) -> Ids:
    """Deterministic identifiers for tests."""
    return Ids(random.Random(seed))


def system() -> Ids:
    return Ids(random.SystemRandom())


__all__ = ["MAGIC_COOKIE", "Ids", "RandomSource", "seeded", "system"]
