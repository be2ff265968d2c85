"""The UDP listener: one datagram is one SIP message (RFC 3261 §18.1.1, §18.2.1)."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from . import trace
from .flow import Address, Flow, OnMessage, TransportError, deliver, format_address

logger = logging.getLogger(__name__)

#: Bytes of UDP receive buffer asked for (the kernel caps it at net.core.rmem_max).
RECEIVE_BUFFER = 4 * 1024 * 1024


class UdpListener:
    """A bound UDP socket that hands every parsed datagram on with a `Flow` to its source.

    UDP has no connections, so nothing goes into a `FlowTable`: a flow is just the pair
    (this socket, the source address), and `flow_to(address)` makes one to send anywhere.
    """

    def __init__(self, on_message: OnMessage) -> None:
        self._on_message = on_message
        self._transport: asyncio.DatagramTransport | None = None
        self.local: Address = ("", 0)

    @property
    def closed(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def flow_to(self, remote: Address) -> Flow:
        """A flow that sends from this listener's socket to `remote`.

        Its id is the same for the same pair, so it can be stored and compared.
        """
        remote = (remote[0], remote[1])

        async def send(data: bytes) -> None:
            self.send_to(data, remote)

        flow_id = f"udp-{format_address(self.local)}-{format_address(remote)}"
        return Flow("UDP", remote, self.local, send, flow_id=flow_id)

    def send_to(self, data: bytes, remote: Address) -> None:
        if self._transport is None or self._transport.is_closing():
            raise TransportError(f"UDP listener on {format_address(self.local)} is closed")
        trace.sent(data, "UDP", format_address(remote))
        self._transport.sendto(data, remote)

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            await asyncio.sleep(0)  # let the loop run connection_lost, which closes the socket

    def _datagram(self, data: bytes, addr: Address) -> None:
        if not data.strip(b"\r\n\x00 "):
            # CRLF (or NUL) keepalives that UDP phones send to keep a NAT binding open; the
            # UDP keepalive of RFC 5626 §3.5.2 is STUN, but this is what phones actually send.
            return
        flow = self.flow_to(addr)
        response = deliver(data, flow, self._on_message)
        if response is not None:
            # To the source address: for a request we could not parse, the Via is not to be
            # trusted, and this is where rport (RFC 3581 §4) would send it anyway.
            self.send_to(bytes(response), flow.remote)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, listener: UdpListener) -> None:
        self._listener = listener

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        try:
            self._listener._datagram(data, (str(addr[0]), int(addr[1])))
        except Exception:  # a bug in the receive path must not stop the listener
            logger.exception("UDP datagram from %s:%s failed", addr[0], addr[1])

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable for an earlier send, say: nothing to recover.
        logger.info("UDP listener error: %s", exc)


async def serve_udp(host: str, port: int, on_message: OnMessage) -> UdpListener:
    """Listen for SIP over UDP on (host, port); port 0 picks a free one (see `.local`)."""
    listener = UdpListener(on_message)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Protocol(listener), local_addr=(host, port)
    )
    listener._transport = transport
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Room for bursts while the event loop is busy (a load of calls): the default buffer
        # of ~200 KB drops datagrams after a few tens of milliseconds of stall.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sockname = transport.get_extra_info("sockname")
    listener.local = (str(sockname[0]), int(sockname[1]))
    return listener
