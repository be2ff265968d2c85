"""The gateway's settings: limits, time-outs and the SIP servers sessions use by default."""

from __future__ import annotations

from dataclasses import dataclass

from ..phone.config import ConfigError, parse_servers

__all__ = ["GatewayConfig"]


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """How the gateway treats pages; checked once when made (a `ConfigError` names the field)."""

    #: SIP-over-WebSocket servers a session uses until its page names its own with
    #: `set_config` (the embedded server of `webphone serve`, typically). Empty: the page must.
    default_servers: tuple[str, ...] = ()
    #: Seconds a session (its registration and call) outlives a dropped page connection.
    grace_period: float = 30.0
    #: Sessions alive at once, attached or waiting for a resume; more get `server_busy`.
    max_sessions: int = 1000
    #: Longest JSON frame accepted from a page, in bytes (UTF-8).
    max_message_bytes: int = 64 * 1024
    #: Messages a connection may send per second; more are answered `rate_limited`.
    rate_limit: int = 50
    #: Seconds the page has to produce an SDP offer or answer (ICE gathering included).
    sdp_timeout: float = 15.0
    #: Seconds the page has to report call statistics; late statistics are left out.
    stats_timeout: float = 2.0
    #: Events kept per session for a resuming page (the newest this many).
    replay_events: int = 512

    def __post_init__(self) -> None:
        servers = parse_servers(self.default_servers)
        if any(not s.startswith(("ws://", "wss://")) for s in servers):
            raise ConfigError("default_servers", self.default_servers, "expected ws:// or wss://")
        object.__setattr__(self, "default_servers", servers)
        for name in ("grace_period", "sdp_timeout", "stats_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ConfigError(name, value, "expected a number of seconds >= 0")
        for name in ("max_sessions", "max_message_bytes", "rate_limit", "replay_events"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(name, value, "expected a whole number >= 1")
