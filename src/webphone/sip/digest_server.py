"""SIP digest authentication, server side: stateless signed nonces and replay-checked verification.

RFC 3261 §22.4, RFC 7616 §3.3 and §5.4 to §5.5, RFC 8760. A nonce carries the time it was issued
and an HMAC over it, so expiry and forgery are checked without state; only the highest nonce
count seen per nonce is remembered, in bounded memory. Time is the `now` argument.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import re
import secrets
import struct
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeAlias

from webphone.sip.digest import (
    ALGORITHMS,
    Challenge,
    Credentials,
    canonical_algorithm,
    compute_ha1,
    compute_response,
)

__all__ = ["DigestServer", "PasswordLookup", "Verdict", "VerifyResult"]

PasswordLookup: TypeAlias = Callable[[str], str | Mapping[str, str] | None]
"""Username -> the plaintext password, or HA1 hex digests keyed by base algorithm name ("MD5",
"SHA-256", "SHA-512-256", as `compute_ha1` makes them), or None for an unknown user."""


class Verdict(Enum):
    """The outcome of `DigestServer.verify`."""

    OK = "ok"  # the request is authenticated
    STALE = "stale"  # right password, unusable nonce: challenge again with stale=true
    BAD = "bad"  # not authenticated: challenge again without stale


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """A verdict and the reason for it."""

    verdict: Verdict
    reason: str  # why, for logs; never sent to the peer

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK


# nonce = base64url(issued | instance | serial | tag), unpadded, 43 characters:
#   issued   8 bytes, `now` at issue as an IEEE double (exact, so no rounding at the TTL edge)
#   instance 4 random bytes drawn once per DigestServer: a restarted server, which has forgotten
#            the nonce counts, treats earlier nonces as stale instead of replayable
#   serial   4 bytes, counting nonces, so two issued at the same `now` still differ
#   tag      HMAC-SHA256(secret, realm NUL issued|instance|serial), first 16 bytes
_PAYLOAD = struct.Struct(">d4sI")
_TAG_SIZE = 16
_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{43}")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class DigestServer:
    """Issues challenges for one realm and verifies the credentials that answer them."""

    def __init__(
        self,
        realm: str,
        secret: bytes,
        *,
        nonce_ttl: float = 300.0,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
        qop: tuple[str, ...] = ("auth",),
        max_nonces: int = 10_000,
        random: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        """Configure the realm and the signing secret.

        `algorithms` come in order of preference, one challenge each (RFC 8760 §2.3); `qop` is
        from "auth" and "auth-int"; `max_nonces` bounds the nonce-count memory; `random(n)` gives
        n random bytes.
        """
        for name in algorithms:
            if canonical_algorithm(name) != name:
                raise ValueError(f"algorithms: {name!r} is not one of {ALGORITHMS}")
        if not algorithms or not secret or nonce_ttl <= 0 or max_nonces < 1:
            raise ValueError("need algorithms, a secret, nonce_ttl > 0 and max_nonces >= 1")
        if not qop or not set(qop) <= {"auth", "auth-int"}:
            raise ValueError(f"qop: {qop!r} is not a choice of 'auth' and 'auth-int'")
        self.realm = realm
        self.nonce_ttl = nonce_ttl
        self.algorithms = algorithms
        self.qop = qop
        self._secret = secret
        self._max_nonces = max_nonces
        self._instance = random(4)
        self._serial = 0
        # nonce payload -> (highest nc seen, time issued), in order of first use
        self._seen: OrderedDict[bytes, tuple[int, float]] = OrderedDict()
        # Live entries evicted for room were issued at or before this: their counts are lost.
        self._forgotten_until = -math.inf

    def challenges(self, now: float, *, stale: bool = False) -> list[Challenge]:
        """One challenge per algorithm, sharing a fresh nonce (RFC 7616 §3.7)."""
        self._serial = (self._serial + 1) & 0xFFFFFFFF
        payload = _PAYLOAD.pack(now, self._instance, self._serial)
        nonce = _b64(payload + self._tag(payload))
        return [
            Challenge(self.realm, nonce, algorithm=name, qop=self.qop, stale=stale)
            for name in self.algorithms
        ]

    def challenge(self, now: float, stale: bool = False) -> Challenge:
        """The challenge for the preferred algorithm only."""
        return self.challenges(now, stale=stale)[0]

    def verify(
        self,
        credentials: Credentials,
        method: str,
        lookup: PasswordLookup,
        now: float,
        *,
        body: bytes = b"",
        request_uri: str | None = None,
    ) -> VerifyResult:
        """Check the credentials of a request.

        `request_uri`, if given, must equal the credentials' uri (RFC 7616 §3.4.6). A right
        digest on an expired nonce, or with a nonce count that does not rise, is STALE: the
        client knows the password and gets a fresh nonce; a replayed request can do no more.
        """
        algorithm = canonical_algorithm(credentials.algorithm)
        if credentials.realm != self.realm:
            return _bad(f"realm {credentials.realm!r} is not {self.realm!r}")
        if algorithm not in self.algorithms:
            return _bad(f"algorithm {credentials.algorithm!r} was not offered")
        if credentials.qop not in self.qop or credentials.nc is None:
            # Without qop there is no nonce count, so no replay protection (RFC 7616 §5.5).
            return _bad(f"qop {credentials.qop!r} was not offered")
        if request_uri is not None and credentials.uri != request_uri:
            return _bad(f"uri {credentials.uri!r} is not the Request-URI")
        payload = self._genuine(credentials.nonce)
        if payload is None:
            return _bad("nonce not issued here")
        secret = lookup(credentials.username)
        base = algorithm.removesuffix("-sess")
        if isinstance(secret, str):
            ha1: str | None = compute_ha1(credentials.username, self.realm, secret, base)
        else:
            ha1 = None if secret is None else secret.get(base)
        if ha1 is None:
            return _bad(f"no {base} secret for user {credentials.username!r}")
        expected = compute_response(
            algorithm,
            ha1,
            credentials.nonce,
            method,
            credentials.uri,
            qop=credentials.qop,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
            body=body,
        )
        # compare_digest refuses non-ASCII str, so compare bytes.
        given = credentials.response.lower().encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(expected.encode("ascii"), given):
            return _bad("wrong response (password)")
        # RFC 7616 §3.3: stale only once the client has shown it knows the password.
        issued, instance, _ = _PAYLOAD.unpack(payload)
        if instance != self._instance:
            return _stale("nonce from an earlier server instance")
        if self._expired(issued, now):
            return _stale("nonce expired")
        return self._count(payload, issued, credentials.nc, now)

    def _tag(self, payload: bytes) -> bytes:
        message = self.realm.encode("utf-8", "surrogatepass") + b"\0" + payload
        return hmac.digest(self._secret, message, "sha256")[:_TAG_SIZE]

    def _genuine(self, nonce: str) -> bytes | None:
        """The payload of a nonce this server signed, else None."""
        if not _NONCE_RE.fullmatch(nonce):
            return None
        try:
            raw = base64.urlsafe_b64decode(nonce + "=")
        except binascii.Error:
            return None
        # Only the canonical spelling: the last character's spare bits could otherwise spell one
        # nonce several ways, each with its own nonce count.
        if _b64(raw) != nonce:
            return None
        payload, tag = raw[:-_TAG_SIZE], raw[-_TAG_SIZE:]
        return payload if hmac.compare_digest(tag, self._tag(payload)) else None

    def _count(self, payload: bytes, issued: float, nc: int, now: float) -> VerifyResult:
        # RFC 7616 §3.4 and §5.5: each use of a nonce must carry a higher nc than the last.
        entry = self._seen.get(payload)
        if entry is not None:
            if nc <= entry[0]:
                return _stale(f"nonce count {nc} replayed (highest was {entry[0]})")
            self._seen[payload] = (nc, issued)
            return VerifyResult(Verdict.OK, "ok")
        if issued <= self._forgotten_until:
            return _stale("nonce count forgotten to make room")
        if len(self._seen) >= self._max_nonces:
            self._make_room(now)
        self._seen[payload] = (nc, issued)
        return VerifyResult(Verdict.OK, "ok")

    def _make_room(self, now: float) -> None:
        expired = [key for key, (_, issued) in self._seen.items() if self._expired(issued, now)]
        for key in expired:
            del self._seen[key]  # verify refuses these as stale before looking here
        while len(self._seen) >= self._max_nonces:
            _, (_, issued) = self._seen.popitem(last=False)
            self._forgotten_until = max(self._forgotten_until, issued)

    def _expired(self, issued: float, now: float) -> bool:
        return now - issued > self.nonce_ttl


def _bad(reason: str) -> VerifyResult:
    return VerifyResult(Verdict.BAD, reason)


def _stale(reason: str) -> VerifyResult:
    return VerifyResult(Verdict.STALE, reason)
