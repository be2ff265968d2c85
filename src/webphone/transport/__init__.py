"""asyncio transports around the SIP core: a WebSocket client, and UDP, TCP, WS listeners."""

from .events import (
    BadMessageReceived,
    Connected,
    ConnectFailed,
    Disconnected,
    FlowClosed,
    FlowOpened,
    TransportEvent,
)
from .failover import Attempt, FailoverPolicy, parse_servers
from .flow import Address, Flow, FlowTable, OnMessage, TransportError
from .tcp import StreamFramer, TcpListener, serve_tcp
from .udp import UdpListener, serve_udp
from .ws_client import SipWebSocketClient
from .ws_server import SipWebSocketEndpoint, WsServer, serve_ws, sip_websocket_endpoint

__all__ = [
    "Address",
    "Attempt",
    "BadMessageReceived",
    "ConnectFailed",
    "Connected",
    "Disconnected",
    "FailoverPolicy",
    "Flow",
    "FlowClosed",
    "FlowOpened",
    "FlowTable",
    "OnMessage",
    "SipWebSocketClient",
    "SipWebSocketEndpoint",
    "StreamFramer",
    "TcpListener",
    "TransportError",
    "TransportEvent",
    "UdpListener",
    "WsServer",
    "parse_servers",
    "serve_tcp",
    "serve_udp",
    "serve_ws",
    "sip_websocket_endpoint",
]
