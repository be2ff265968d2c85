"""The browser gateway: a Phone per page session, its media made by the page (DESIGN.md, layer 4).

    sessions = SessionRegistry(
        GatewayConfig(default_servers=("ws://127.0.0.1:8080/sip",)),
        components=lookup,                  # saved components: ComponentRequest -> SavedComponent
        hooks=[CdrRecorder(db.cdrs)],       # every call as a CDR row
    )
    app = Starlette(routes=[WebSocketRoute("/gateway", GatewayEndpoint(sessions))])
    ...
    await sessions.close()  # at shutdown: calls hang up, registrations go, CDRs are written

The protocol is docs/protocol.md.
"""

from .access import (
    ComponentLookup,
    ComponentRefusedError,
    ComponentRequest,
    DialPolicy,
    SavedComponent,
    is_own_origin,
    normal_origin,
    page_origin,
)
from .browser_media import BrowserMedia
from .config import GatewayConfig
from .endpoint import GatewayEndpoint
from .hooks import GatewayHooks, HookList
from .media_requests import MediaRequests
from .policy import (
    FORBIDDEN_DESTINATION,
    RATE_LIMITED,
    TOO_MANY_CALLS,
    CallLimits,
    CallRefusedError,
)
from .protocol import VERSION, Operation, ProtocolError, RateLimiter, decode, parse_operation
from .records import CdrRecorder, CdrStore
from .session import Session
from .sessions import SessionRegistry

__all__ = [
    "FORBIDDEN_DESTINATION",
    "RATE_LIMITED",
    "TOO_MANY_CALLS",
    "VERSION",
    "BrowserMedia",
    "CallLimits",
    "CallRefusedError",
    "CdrRecorder",
    "CdrStore",
    "ComponentLookup",
    "ComponentRefusedError",
    "ComponentRequest",
    "DialPolicy",
    "GatewayConfig",
    "GatewayEndpoint",
    "GatewayHooks",
    "HookList",
    "MediaRequests",
    "Operation",
    "ProtocolError",
    "RateLimiter",
    "SavedComponent",
    "Session",
    "SessionRegistry",
    "decode",
    "is_own_origin",
    "normal_origin",
    "page_origin",
    "parse_operation",
]
