"""The Phone's configuration: the seed's setConfig fields plus what a user agent needs."""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..sip import ParseError, SipUri, parse_uri


class ConfigError(ValueError):
    """A configuration value that cannot work; the message names the field and the value."""

    def __init__(self, field_name: str, value: object, why: str) -> None:
        super().__init__(f"{field_name}={value!r}: {why}")
        self.field = field_name


_HOST_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9])?)$")
DTMF_MODES = ("auto", "rfc4733", "info")


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    """Everything a Phone needs to register and call; validate with `validated()`."""

    #: SIP-over-WebSocket servers, tried in order: `wss://host[:port][/path]` or `ws://...`.
    ws_servers: tuple[str, ...] = ()
    #: The SIP user name, used in the address of record and for digest authentication.
    username: str = ""
    #: The digest password.
    password: str = ""
    #: Shown to the called party (From display name).
    display_name: str | None = None
    #: Calling line identity: the user part of From on outgoing calls (defaults to `username`).
    cli: str | None = None
    #: The SIP domain of the address of record; defaults to the first server's host.
    realm: str | None = None
    #: Digest user name when it differs from `username`.
    auth_username: str | None = None
    #: Registration lifetime asked for, in seconds (the registrar may shorten it).
    register_expires: int = 600
    #: How digits are sent in a call: RFC 4733 when negotiated, else SIP INFO ("auto").
    dtmf_mode: str = "auto"
    #: A PEM file of extra CA certificates trusted for wss:// (a private CA).
    ca_file: str | None = None
    #: RFC 5626 instance id, stable for this phone; made up when not given.
    instance_id: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")
    #: Offer video on outgoing calls and accept it on incoming ones.
    video: bool = False
    user_agent: str = "webphone"

    @property
    def domain(self) -> str:
        if self.realm:
            return self.realm
        return urlsplit(self.ws_servers[0]).hostname or "" if self.ws_servers else ""

    @property
    def aor(self) -> SipUri:
        return SipUri(host=self.domain, user=self.username)

    def target_uri(self, address: str) -> SipUri:
        """`bob`, `+15551234`, `bob@example.com` or a full `sip:` URI, as a SIP URI."""
        address = address.strip()
        if not address:
            raise ConfigError("address", address, "empty destination")
        if address.lower().startswith(("sip:", "sips:")):
            try:
                uri = parse_uri(address)
            except ParseError as e:
                raise ConfigError("address", address, str(e)) from None
            assert isinstance(uri, SipUri)
            return uri
        user, at, host = address.partition("@")
        try:
            uri = parse_uri(f"sip:{user}@{host if at else self.domain}")
        except ParseError as e:
            raise ConfigError("address", address, str(e)) from None
        assert isinstance(uri, SipUri)
        return uri

    def replace(self, **changes: object) -> PhoneConfig:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def validated(self) -> PhoneConfig:
        """Check every field once, at the boundary; raise ConfigError naming the first bad one."""
        if not self.ws_servers:
            raise ConfigError("ws_servers", self.ws_servers, "at least one server is needed")
        for url in self.ws_servers:
            parts = urlsplit(url)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise ConfigError("ws_servers", url, "expected ws://host[:port] or wss://host")
            try:
                parts.port  # noqa: B018  (raises ValueError on a bad port)
            except ValueError:
                raise ConfigError("ws_servers", url, "bad port") from None
        if not self.username or any(c in self.username for c in " @:<>\"'"):
            raise ConfigError(
                "username", self.username, "a SIP user name is needed (no @, :, spaces)"
            )
        if not _HOST_RE.match(self.domain):
            raise ConfigError("realm", self.realm, "expected a host name or IP address")
        if self.cli is not None and any(c in self.cli for c in " @:<>\"'"):
            raise ConfigError("cli", self.cli, "expected a number or SIP user name")
        if not 30 <= self.register_expires <= 86_400:
            raise ConfigError("register_expires", self.register_expires, "expected 30..86400 s")
        if self.dtmf_mode not in DTMF_MODES:
            raise ConfigError("dtmf_mode", self.dtmf_mode, f"expected one of {DTMF_MODES}")
        return self


def parse_servers(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """`"wss://a, wss://b"` or a list -> a tuple of URLs (the seed's comma-separated failover)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if s.strip())
