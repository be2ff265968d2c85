"""Digest authentication of requests (RFC 3261 §22) against a `UserDirectory` of users.

The realm is the server's `--domain`, else the host of the request's Request-URI: whatever name
the server is reached by (the From host for a `tel:` Request-URI). That is why the directory
must give plaintext passwords: the HA1 digest depends on the realm, so it cannot be stored
ahead of time.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from webphone.sip import ParseError, Request, Response, SipUri
from webphone.sip.builders import make_response
from webphone.sip.digest import parse_credentials
from webphone.sip.digest_server import DigestServer, Verdict

#: Realms served at once without `--domain`; the least recently used one is dropped beyond.
MAX_REALMS = 64
#: Passwords remembered at once by the cache in front of the directory.
MAX_CACHED_USERS = 4096


@runtime_checkable
class UserDirectory(Protocol):
    """Where the SIP users live: `webphone.store.UserStore`, or a dict-backed one in tests."""

    def get_password(self, name: str) -> str | None:
        """The user's plaintext password, or None when there is no such user."""
        ...


class DictDirectory:
    """A `UserDirectory` over a mapping of names to passwords (tests, demos)."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = dict(users or {})

    def get_password(self, name: str) -> str | None:
        return self.users.get(name)


class CachedDirectory:
    """Remembers answers of a slower directory (a database) for `ttl` seconds."""

    def __init__(self, directory: UserDirectory, ttl: float) -> None:
        self.directory = directory
        self.ttl = ttl
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    def get_password(self, name: str, now: float) -> str | None:
        if self.ttl <= 0:
            return self.directory.get_password(name)
        entry = self._cache.get(name)
        if entry is not None and entry[0] > now:
            return entry[1]
        password = self.directory.get_password(name)
        self._cache[name] = (now + self.ttl, password)
        self._cache.move_to_end(name)
        if len(self._cache) > MAX_CACHED_USERS:
            self._cache.popitem(last=False)
        return password

    def forget(self) -> None:
        self._cache.clear()


@dataclass(frozen=True, slots=True)
class AuthResult:
    """Who sent the request (None: not authenticated), and whether to challenge with stale."""

    user: str | None
    stale: bool = False
    reason: str = ""


class Authenticator:
    """Checks credentials and issues challenges, one `DigestServer` per realm."""

    def __init__(
        self,
        users: CachedDirectory,
        *,
        domain: str | None = None,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
        secret: bytes | None = None,
    ) -> None:
        self.users = users
        self.domain = domain
        self.algorithms = algorithms
        self._secret = secret or secrets.token_bytes(32)
        self._realms: OrderedDict[str, DigestServer] = OrderedDict()

    def realm(self, request: Request) -> str:
        if self.domain is not None:
            return self.domain
        for uri in (request.uri, request.from_.uri):  # a tel: Request-URI: the caller's domain
            if isinstance(uri, SipUri):
                return uri.host.lower()
        return "webphone"

    def _server(self, realm: str) -> DigestServer:
        server = self._realms.get(realm)
        if server is None:
            server = DigestServer(realm, self._secret, algorithms=self.algorithms)
            self._realms[realm] = server
            if len(self._realms) > MAX_REALMS:
                self._realms.popitem(last=False)
        else:
            self._realms.move_to_end(realm)
        return server

    def check(self, request: Request, now: float, *, proxy: bool) -> AuthResult:
        """Verify the request's Authorization (or, for a proxy, Proxy-Authorization) (§22.3)."""
        realm = self.realm(request)
        name = "proxy-authorization" if proxy else "authorization"
        values = request.headers.get_all(name)
        if not values:
            return AuthResult(None, reason="no credentials")
        credentials = None
        for value in values:  # one per realm at most is ours (§22.3)
            try:
                parsed = parse_credentials(value)
            except ParseError:
                continue
            if parsed.realm == realm:
                credentials = parsed
                break
        if credentials is None:
            return AuthResult(None, reason=f"no credentials for realm {realm!r}")
        result = self._server(realm).verify(
            credentials,
            request.method,
            lambda user: self.users.get_password(user, now),
            now,
            body=request.body,
        )
        if result.verdict is Verdict.OK:
            return AuthResult(credentials.username)
        return AuthResult(None, result.verdict is Verdict.STALE, result.reason)

    def challenge(
        self, request: Request, now: float, *, proxy: bool, stale: bool, to_tag: str
    ) -> Response:
        """401 with WWW-Authenticate, or 407 with Proxy-Authenticate: one per algorithm."""
        status, name = (407, "Proxy-Authenticate") if proxy else (401, "WWW-Authenticate")
        challenges = self._server(self.realm(request)).challenges(now, stale=stale)
        return make_response(
            request, status, to_tag=to_tag, headers=[(name, str(c)) for c in challenges]
        )
