"""Events the transport layer reports: connections made, lost and refused, bad input dropped.

A client reports them through its `on_event` callback, a `FlowTable` through its own. They are
facts in the past tense; none of them asks the receiver to do anything, but a Phone registers
again on `Connected(reconnect=True)` (its old registration was bound to the lost flow,
RFC 5626 §4.4.1), and a server forgets the bindings of a `FlowClosed` flow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TransportEvent:
    """Base class of every transport event."""


@dataclass(frozen=True, slots=True)
class Connected(TransportEvent):
    """A WebSocket connection to a SIP server is open, subprotocol `sip` agreed (RFC 7118 §4)."""

    #: The server's URL, as given in the server list.
    url: str
    #: False for the connection made by `start()`; True when the client reconnected by itself
    #: after a drop, so anything bound to the old connection (a registration) must be renewed.
    reconnect: bool = False


@dataclass(frozen=True, slots=True)
class ConnectFailed(TransportEvent):
    """One attempt to connect to one server failed; the client moves on to the next server."""

    #: The server's URL, as given in the server list.
    url: str
    #: Why, for people: "connection refused", "timed out after 5s", "certificate error: ...".
    reason: str


@dataclass(frozen=True, slots=True)
class Disconnected(TransportEvent):
    """The connection to a server was lost or closed."""

    #: The server's URL, as given in the server list.
    url: str
    #: Why, for people: the WebSocket close code and reason, or "closed by us".
    reason: str
    #: True when the client will reconnect by itself (a drop); False after `close()`.
    will_reconnect: bool


@dataclass(frozen=True, slots=True)
class BadMessageReceived(TransportEvent):
    """Bytes that are not a valid SIP message arrived and were dropped (or answered)."""

    #: Where they came from: the server URL on a client, the flow id on a listener.
    origin: str
    #: The `ParseError` text.
    reason: str
    #: The status a server would answer with (400, 505, 513, ...), from `ParseError.status`.
    status: int
    #: How many bytes the dropped message had.
    size: int
    #: True when the start line looked like a request (it does not start with "SIP/").
    looked_like_request: bool


@dataclass(frozen=True, slots=True)
class FlowOpened(TransportEvent):
    """A connection-oriented flow (TCP, WS, WSS) was added to a `FlowTable`."""

    #: The flow's stable id, for `FlowTable.get`.
    flow_id: str
    #: "TCP", "WS" or "WSS".
    transport: str
    #: The peer's (host, port) as seen by this server.
    remote: tuple[str, int]


@dataclass(frozen=True, slots=True)
class FlowClosed(TransportEvent):
    """A flow left its `FlowTable`: its connection is gone and nothing can be sent over it."""

    #: The flow's stable id.
    flow_id: str
    #: "TCP", "WS" or "WSS".
    transport: str
    #: The peer's (host, port) as seen by this server.
    remote: tuple[str, int]
    #: Why, for people: "closed by peer", "idle for 900s", "framing error: ...".
    reason: str
