"""The web server's settings: where it listens, where its data lives, which SIP servers it uses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..gateway import GatewayConfig
from ..phone.config import ConfigError, parse_servers

__all__ = ["ConfigError", "Settings"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `create_app` needs; checked once when made (a `ConfigError` names the field)."""

    #: The address to listen on. Browsers allow the microphone on http://localhost only; any
    #: other address needs TLS (`tls_cert`, `tls_key`).
    host: str = "127.0.0.1"
    #: The TCP port for HTTP, the gateway and the embedded SIP server's WebSocket (0: any).
    port: int = 8080
    #: Where the store keeps its files; None: $WEBPHONE_DATA_DIR or ~/.local/share/webphone.
    data_dir: Path | None = None
    #: External SIP-over-WebSocket servers (failover order) that sessions use instead of the
    #: embedded one; empty: the embedded SIP server, mounted at /sip.
    sip_servers: tuple[str, ...] = ()
    #: Create the demo SIP users (well-known passwords) in the embedded server. Development
    #: only: anyone who reaches the server can register as them.
    demo_users: bool = True
    #: Seconds a browser session (registration, call) survives a dropped page connection.
    grace_period: float = 30.0
    #: Browser sessions alive at once; more pages are refused (`server_busy`).
    max_sessions: int = 1000
    #: Where webphone.js, webphone.d.ts and index.html are; None: the package's `static/`.
    static_dir: Path | None = None
    #: A PEM certificate chain and its key, to serve HTTPS and WSS; both or neither.
    tls_cert: Path | None = None
    tls_key: Path | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip() or " " in self.host:
            raise ConfigError("host", self.host, "expected an address or host name")
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ConfigError("port", self.port, "expected a port number")
        if not 0 <= self.port <= 65535:
            raise ConfigError("port", self.port, "expected 0..65535")
        servers = parse_servers(self.sip_servers)
        for url in servers:
            if not url.startswith(("ws://", "wss://")):
                raise ConfigError("sip_servers", url, "expected ws://host[:port] or wss://host")
        object.__setattr__(self, "sip_servers", servers)
        for name in ("data_dir", "static_dir", "tls_cert", "tls_key"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value).expanduser())
        if self.static_dir is not None and not self.static_dir.is_dir():
            raise ConfigError("static_dir", str(self.static_dir), "not a directory")
        if (self.tls_cert is None) != (self.tls_key is None):
            name = "tls_key" if self.tls_key is None else "tls_cert"
            raise ConfigError(name, None, "a certificate and its key go together")
        for name in ("tls_cert", "tls_key"):
            value = getattr(self, name)
            if value is not None and not value.is_file():
                raise ConfigError(name, str(value), "no such file")
        # GatewayConfig checks grace_period and max_sessions, naming them as here.
        self.gateway_config()

    @property
    def embedded_sip_url(self) -> str:
        """How this server's sessions reach its own SIP endpoint: the /sip WebSocket."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        scheme = "wss" if self.tls_cert is not None else "ws"
        return f"{scheme}://{host}:{self.port}/sip"

    def gateway_config(self, default_servers: tuple[str, ...] = ()) -> GatewayConfig:
        """The gateway's settings; sessions use `sip_servers`, else `default_servers`."""
        return GatewayConfig(
            default_servers=self.sip_servers or default_servers,
            grace_period=self.grace_period,
            max_sessions=self.max_sessions,
        )

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
