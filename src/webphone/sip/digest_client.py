"""SIP digest authentication, client side: answer a 401/407 and remember what was chosen.

RFC 3261 §22.2 and §22.3, RFC 7616 §3.4, RFC 8760. Nonce counts are counted here; cnonces come from
an injected callable, so that tests are deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum

from webphone.sip.digest import (
    ALGORITHMS,
    Challenge,
    Credentials,
    canonical_algorithm,
    compute_ha1,
    compute_response,
    hash_hex,
)

__all__ = ["AuthDecision", "DigestClient", "answer", "choose", "supports"]


def _qop_for(challenge: Challenge) -> str | None:
    """The qop to answer with, or None for the RFC 2069 form; ValueError if none is usable."""
    if not challenge.qop:
        return None
    offered = {qop.lower() for qop in challenge.qop}
    # "auth" first: it is what SIP servers expect, and a body rewritten on the way (an SBC
    # fixing up SDP) would break auth-int.
    for qop in ("auth", "auth-int"):
        if qop in offered:
            return qop
    raise ValueError(f"no supported qop in {challenge.qop}")


def _algorithm_of(challenge: Challenge) -> str:
    algorithm = canonical_algorithm(challenge.algorithm)
    if algorithm is None:
        raise ValueError(f"unsupported digest algorithm {challenge.algorithm!r}")
    return algorithm


def supports(challenge: Challenge) -> bool:
    """Whether `answer` can answer this challenge (scheme, algorithm and qop)."""
    algorithm = canonical_algorithm(challenge.algorithm)
    if not challenge.is_digest or algorithm is None:
        return False
    try:
        qop = _qop_for(challenge)
    except ValueError:
        return False
    # RFC 7616 §3.4.2: -sess hashes the cnonce, which is only sent along with qop.
    return qop is not None or not algorithm.endswith("-sess")


def answer(
    challenge: Challenge,
    method: str,
    uri: str,
    username: str,
    password: str,
    nc: int,
    cnonce: str,
    body: bytes = b"",
) -> Credentials:
    """Credentials answering `challenge` for one request.

    `nc` and `cnonce` are left out for a challenge without qop (the RFC 2069 form). Raises
    ValueError unless `supports(challenge)`.
    """
    if not supports(challenge):
        raise ValueError(f"cannot answer the challenge {challenge}")
    qop = _qop_for(challenge)
    algorithm = _algorithm_of(challenge)
    ha1 = compute_ha1(username, challenge.realm, password, algorithm)
    if qop is None:
        nc_sent: int | None = None
        cnonce_sent: str | None = None
    else:
        nc_sent, cnonce_sent = nc, cnonce
    response = compute_response(
        algorithm,
        ha1,
        challenge.nonce,
        method,
        uri,
        qop=qop,
        nc=nc_sent,
        cnonce=cnonce_sent,
        body=body,
    )
    params: tuple[tuple[str, str], ...] = ()
    if (challenge.param("userhash") or "").lower() == "true":
        # RFC 7616 §3.4.4: send H(username ":" realm); A1 above keeps the plain username.
        username = hash_hex(algorithm, f"{username}:{challenge.realm}")
        params = (("userhash", "true"),)
    return Credentials(
        username=username,
        realm=challenge.realm,
        nonce=challenge.nonce,
        uri=uri,
        response=response,
        algorithm=challenge.algorithm,
        qop=qop,
        nc=nc_sent,
        cnonce=cnonce_sent,
        opaque=challenge.opaque,
        params=params,
    )


def choose(challenges: Iterable[Challenge]) -> Challenge | None:
    """The challenge with the strongest algorithm we support, None if we support none.

    SHA-512-256 beats SHA-256 beats MD5 (RFC 8760 §2.4 lets the client's policy pick); between
    equals the server's order wins (RFC 7616 §3.7).
    """
    usable = [c for c in challenges if supports(c)]
    return min(usable, key=lambda c: ALGORITHMS.index(_algorithm_of(c)), default=None)


class AuthDecision(Enum):
    """What to do after a 401 or 407 (`DigestClient.challenged`)."""

    RETRY = "retry"  # send the request again with `DigestClient.authorization()`
    REJECTED = "rejected"  # the server refused these credentials: report it, do not retry
    UNSUPPORTED = "unsupported"  # no challenge we can answer


class DigestClient:
    """One account's digest state: the challenge chosen per realm and the nonce counts.

    Keep one instance for 401/Authorization and another for 407/Proxy-Authorization: a proxy and
    a registrar may share a realm (Kamailio uses its address for both) but not their nonces.
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        cnonce: Callable[[], str],
        realm: str | None = None,
    ) -> None:
        """`cnonce` makes a fresh client nonce; `realm`, if set, is the only realm answered."""
        self.username = username
        self.realm = realm
        self._password = password
        self._cnonce = cnonce
        self._chosen: dict[str, Challenge] = {}
        self._nc: dict[str, int] = {}  # nonce -> the last nc sent with it

    def challenged(
        self, challenges: Iterable[Challenge], *, sent: Iterable[Credentials]
    ) -> AuthDecision:
        """Take the challenges of a 401/407 to the request that carried the credentials `sent`."""
        sent_by_realm = {credentials.realm: credentials for credentials in sent}
        by_realm: dict[str, list[Challenge]] = {}
        for challenge in challenges:
            if challenge.is_digest and self.realm in (None, challenge.realm):
                by_realm.setdefault(challenge.realm, []).append(challenge)
        decision = AuthDecision.UNSUPPORTED
        for realm, offered in by_realm.items():
            chosen = choose(offered)
            if chosen is None:
                continue
            previous = sent_by_realm.get(realm)
            # RFC 7616 §3.3: a challenge without stale=true to credentials we sent means the
            # username or password is wrong. stale=true is believed only for a nonce we had
            # reused; a nonce that goes stale at its first use would have us loop forever.
            if previous is not None and not (chosen.stale and self._nc.get(previous.nonce, 0) > 1):
                self._forget(realm)
                return AuthDecision.REJECTED
            self._remember(realm, chosen)
            decision = AuthDecision.RETRY
        return decision

    def authorization(self, method: str, uri: str, body: bytes = b"") -> list[Credentials]:
        """Credentials for every remembered realm, counting each nonce's use (RFC 7616 §3.4)."""
        result = []
        for challenge in self._chosen.values():
            nc = self._nc.get(challenge.nonce, 0) + 1
            self._nc[challenge.nonce] = nc
            cnonce = self._cnonce()
            result.append(
                answer(challenge, method, uri, self.username, self._password, nc, cnonce, body)
            )
        return result

    def _remember(self, realm: str, challenge: Challenge) -> None:
        old = self._chosen.get(realm)
        if old is not None and old.nonce != challenge.nonce:
            self._nc.pop(old.nonce, None)  # keeps memory bounded by the number of realms
        self._chosen[realm] = challenge

    def _forget(self, realm: str) -> None:
        old = self._chosen.pop(realm, None)
        if old is not None:
            self._nc.pop(old.nonce, None)
