"""The embedded SIP server's configuration, validated once, with errors that name the field."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

Address = tuple[str, int]

#: Where each listener binds unless told otherwise (the CLI defaults).
DEFAULT_UDP: Address = ("127.0.0.1", 5060)
DEFAULT_TCP: Address = ("127.0.0.1", 5060)
DEFAULT_WS: Address = ("127.0.0.1", 5066)

# A host name (RFC 1123 labels) or an IPv4 address; IPv6 comes in brackets.
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})*")


class ConfigError(ValueError):
    """A configuration value that cannot work; `field` names it (a CLI flag or a field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def parse_hostport(text: str, field: str) -> Address:
    """`127.0.0.1:5060`, `[::1]:5060` or `localhost:5060` -> (host, port); port 0 picks one."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ConfigError(field, f"expected HOST:PORT, got {text!r}")
    port = int(port_text)
    if port > 65535:
        raise ConfigError(field, f"port {port} is out of range (0-65535)")
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ConfigError(field, f"bad IPv6 address {host!r}") from None
        return host[1:-1], port
    if ":" in host or _HOSTNAME_RE.fullmatch(host) is None:
        raise ConfigError(field, f"bad host {host!r} (IPv6 goes in brackets: [::1]:5060)")
    return host, port


def format_hostport(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """What the embedded registrar and proxy listens on and how it treats registrations."""

    udp: Address | None = DEFAULT_UDP
    """UDP listener (for SIPp and classic phones), or None for none."""
    tcp: Address | None = DEFAULT_TCP
    """TCP listener, or None for none."""
    ws: Address | None = DEFAULT_WS
    """A WebSocket listener of its own (RFC 7118), or None when the WebSocket endpoint is
    mounted in another ASGI app instead (`SipServer.websocket_app`)."""
    domain: str | None = None
    """The digest realm and the host of our Record-Route on wildcard listeners. None: the realm
    is the host of each request's Request-URI, so any name the server is reached by works."""
    min_expires: int = 60
    """Shorter non-zero registrations are refused with 423 and Min-Expires (RFC 3261 §10.3)."""
    max_expires: int = 3600
    """Longer registrations are shortened to this."""
    default_expires: int = 3600
    """The registration interval when a REGISTER names none (RFC 3261 §10.3 step 7)."""
    algorithms: tuple[str, ...] = ("MD5", "SHA-256")
    """Digest algorithms challenged with, one header each, in this order. MD5 comes first
    because SIPp and JsSIP read only the first challenge and know only MD5; clients that know
    more (webphone's own) pick the strongest one offered, whatever the order (RFC 8760 §2.4)."""
    user_cache_ttl: float = 1.0
    """Seconds a password looked up in the user directory is reused (0: never cached)."""

    def __post_init__(self) -> None:
        for name in ("udp", "tcp", "ws"):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, tuple) or len(value) != 2 or not 0 <= value[1] <= 65535
            ):
                raise ConfigError(name, f"expected (host, port), got {value!r}")
        if self.domain is not None and _HOSTNAME_RE.fullmatch(self.domain) is None:
            raise ConfigError("domain", f"not a host name: {self.domain!r}")
        if not 0 < self.min_expires <= self.default_expires <= self.max_expires:
            raise ConfigError(
                "expires",
                "need 0 < min_expires <= default_expires <= max_expires, got "
                f"{self.min_expires}, {self.default_expires}, {self.max_expires}",
            )
        known = {"MD5", "SHA-256", "SHA-512-256"}
        if not self.algorithms or not set(self.algorithms) <= known:
            raise ConfigError(
                "algorithms", f"expected some of {sorted(known)}, got {self.algorithms}"
            )
        if self.user_cache_ttl < 0:
            raise ConfigError("user_cache_ttl", f"must be >= 0, got {self.user_cache_ttl}")
