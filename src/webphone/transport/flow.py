"""Flows: one path to a peer (RFC 5626 §3), the table that finds them, and the receive path.

A listener makes a `Flow` for each connection (or, on UDP, each datagram's source), hands every
parsed message to `on_message(message, flow)`, and answers what it cannot parse. A proxy
reaches a WebSocket or TCP client over that client's own connection by the flow's id, since
the address in its Contact (`*.invalid`, RFC 7118 §5) leads nowhere.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from collections.abc import Awaitable, Callable, Iterator

from webphone.sip import Headers, ParseError, Request, Response, parse, parse_uri
from webphone.sip.builders import REASONS, make_response

from . import trace
from .events import BadMessageReceived, FlowClosed, FlowOpened, TransportEvent

logger = logging.getLogger(__name__)

Address = tuple[str, int]
Message = Request | Response
#: Called with every message a listener parsed and the flow it came over.
OnMessage = Callable[[Message, "Flow"], None]
OnEvent = Callable[[TransportEvent], None]

#: The transports of RFC 3261 §18 and RFC 7118 §5, as written in a Via.
TRANSPORTS = frozenset({"UDP", "TCP", "WS", "WSS"})
#: A send that takes longer than this (a peer that stopped reading) closes the flow.
SEND_TIMEOUT = 10.0

_ids = itertools.count(1)


class TransportError(Exception):
    """A message could not be sent, or no server could be reached.

    `failures` lists each server tried and the error that stopped it, in order.
    """

    def __init__(self, message: str, failures: tuple[tuple[str, BaseException], ...] = ()) -> None:
        super().__init__(message)
        self.failures = failures


class Flow:
    """One path to a peer: a connection (TCP, WS, WSS) or a UDP (local, remote) pair."""

    __slots__ = ("_close", "_closed", "_lock", "_send", "id", "local", "remote", "transport")

    def __init__(
        self,
        transport: str,
        remote: Address,
        local: Address,
        send: Callable[[bytes], Awaitable[None]],
        close: Callable[[], Awaitable[None]] | None = None,
        *,
        flow_id: str | None = None,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {sorted(TRANSPORTS)}, not {transport!r}")
        self.transport = transport
        self.remote = remote
        self.local = local
        self.id = flow_id or f"{transport.lower()}-{next(_ids)}"
        self._send = send
        self._close = close
        self._closed = False
        self._lock = asyncio.Lock()  # one message at a time: frames must not interleave

    @property
    def reliable(self) -> bool:
        """True on stream transports, where the transaction layer arms no retransmit timer."""
        return self.transport != "UDP"

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(self, message: Message | bytes) -> None:
        """Send one message; raises `TransportError` when the flow is closed or the send fails."""
        data = message if isinstance(message, bytes) else bytes(message)
        if self._closed:
            raise TransportError(f"flow {self.id} to {format_address(self.remote)} is closed")
        if self.transport != "UDP":  # UDP is traced in UdpListener.send_to, its one way out
            trace.sent(data, self.transport, format_address(self.remote))
        async with self._lock:
            try:
                async with asyncio.timeout(SEND_TIMEOUT):
                    await self._send(data)
            except TransportError:
                raise
            except TimeoutError as e:
                # A peer that stopped reading: give the connection up rather than queue forever.
                await self._abort()
                raise TransportError(f"flow {self.id}: send timed out after {SEND_TIMEOUT}s") from e
            except Exception as e:  # any failure of the underlying I/O means "not sent"
                raise TransportError(
                    f"flow {self.id} to {format_address(self.remote)}: {e!r}"
                ) from e

    async def close(self) -> None:
        """Close the connection behind the flow (nothing to close on UDP)."""
        if not self._closed and self._close is not None:
            await self._close()
        self._closed = True

    async def _abort(self) -> None:
        try:
            async with asyncio.timeout(1.0):
                await self.close()
        except Exception:
            logger.debug("closing flow %s after a send timeout failed", self.id, exc_info=True)
        self._closed = True

    def mark_closed(self) -> None:
        """For listeners: the connection is gone."""
        self._closed = True

    def __repr__(self) -> str:
        ends = f"{format_address(self.local)} <-> {format_address(self.remote)}"
        return f"<Flow {self.id} {self.transport} {ends}{' closed' if self._closed else ''}>"


class FlowTable:
    """The live connection-oriented flows of a server, by id."""

    def __init__(self, on_event: OnEvent | None = None) -> None:
        self._flows: dict[str, Flow] = {}
        self._on_event = on_event

    def add(self, flow: Flow) -> None:
        self._flows[flow.id] = flow
        self._emit(FlowOpened(flow.id, flow.transport, flow.remote))

    def remove(self, flow: Flow, reason: str = "closed") -> None:
        flow.mark_closed()
        if self._flows.pop(flow.id, None) is not None:
            self._emit(FlowClosed(flow.id, flow.transport, flow.remote, reason))

    def get(self, flow_id: str) -> Flow | None:
        return self._flows.get(flow_id)

    def find(self, transport: str, remote: Address) -> Flow | None:
        """A live flow to `remote` over `transport`, to reuse its connection (RFC 3261 §18.2.2)."""
        for flow in self._flows.values():
            if flow.transport == transport and flow.remote == remote:
                return flow
        return None

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self._flows

    def __iter__(self) -> Iterator[Flow]:
        return iter(list(self._flows.values()))

    def __len__(self) -> int:
        return len(self._flows)

    def _emit(self, event: TransportEvent) -> None:
        if self._on_event is not None:
            call_safely(self._on_event, event)


def deliver(data: bytes, flow: Flow, on_message: OnMessage) -> Response | None:
    """The receive path of every listener: parse one message and hand it on.

    Returns the response to send back when a malformed request can still be answered
    (RFC 3261 §8.2: 400, 505, 513 ...); anything else bad is logged and dropped.
    """
    trace.received(data, flow.transport, format_address(flow.remote))
    try:
        message = parse(data)
    except ParseError as e:
        return reject(data, e, flow.id)
    call_safely(on_message, message, flow)
    return None


def reject(data: bytes, error: ParseError, origin: str) -> Response | None:
    """Log bad input and build the error response for it, if it is a request we can answer."""
    request = salvage_request(data)
    logger.info(
        "bad SIP message from %s (%d bytes, %s): %s",
        origin,
        len(data),
        "answered" if request else "dropped",
        error,
    )
    if request is None:
        return None
    # The reason phrase names the problem (RFC 3261 §21.4.1 "Missing Call-ID header field").
    detail = _unprintable_re.sub("?", str(error))[:100]
    return make_response(request, error.status, f"{REASONS.get(error.status, 'Error')} ({detail})")


def bad_message_event(data: bytes, error: ParseError, origin: str) -> BadMessageReceived:
    return BadMessageReceived(
        origin, str(error), error.status, len(data), _looks_like_request(data)
    )


_unprintable_re = re.compile(r"[^\x20-\x7e]")
_request_line_re = re.compile(r"([!%'*+\-.0-9A-Z_`a-z~]+)[ \t]+(\S+)[ \t]+\S+")


def salvage_request(data: bytes) -> Request | None:
    """What can be read of a request that did not parse, or None if it cannot be answered.

    A response needs Via, From, To, Call-ID and CSeq to be routed and matched (RFC 3261
    §8.2.6.2); an ACK is never answered (§17.2.3); a bad response is only dropped (§18.1.2).
    """
    head = data.lstrip(b"\r\n").split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    start = _request_line_re.fullmatch(lines[0].strip())
    if start is None or start[1] == "ACK":  # a response's "SIP/2.0" does not match the method
        return None
    items = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip() and " " not in name.strip():
            items.append((name.strip(), value.strip()))
    try:
        uri = parse_uri(start[2])
    except ParseError:
        uri = parse_uri("sip:invalid")  # only the headers matter to build the response
    request = Request(start[1], uri, Headers(items))
    try:
        request.vias  # noqa: B018  (each property parses, raising on bad input)
        request.from_  # noqa: B018
        request.to  # noqa: B018
        if not request.call_id or request.cseq.method == "ACK":
            return None
    except (ParseError, ValueError, IndexError):
        return None
    return request


def _looks_like_request(data: bytes) -> bool:
    return not data.lstrip(b"\r\n")[:4].upper().startswith(b"SIP/")


def call_safely(callback: Callable[..., object], *args: object) -> None:
    """Run an application callback; its bug must not kill a connection or a listener."""
    try:
        callback(*args)
    except Exception:
        logger.exception("transport callback %r failed", callback)


def format_address(address: Address) -> str:
    """host:port, with brackets around an IPv6 host."""
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
