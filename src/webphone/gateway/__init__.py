"""The browser gateway: a Phone per page session, its media made by the page (DESIGN.md, layer 4).

    sessions = SessionRegistry(GatewayConfig(default_servers=("ws://127.0.0.1:8080/sip",)))
    app = Starlette(routes=[WebSocketRoute("/gateway", GatewayEndpoint(sessions))])
    ...
    await sessions.close()  # at shutdown: calls hang up, registrations go

The protocol is docs/protocol.md.
"""

from .browser_media import BrowserMedia
from .config import GatewayConfig
from .endpoint import GatewayEndpoint
from .media_requests import MediaRequests
from .protocol import VERSION, Operation, ProtocolError, RateLimiter, decode, parse_operation
from .session import Session
from .sessions import ComponentLookup, SessionRegistry

__all__ = [
    "VERSION",
    "BrowserMedia",
    "ComponentLookup",
    "GatewayConfig",
    "GatewayEndpoint",
    "MediaRequests",
    "Operation",
    "ProtocolError",
    "RateLimiter",
    "Session",
    "SessionRegistry",
    "decode",
    "parse_operation",
]
