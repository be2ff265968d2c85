"""The TCP listener: SIP messages framed on a stream by Content-Length (RFC 3261 §18.3)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from webphone.sip import ParseError
from webphone.sip.message import MAX_MESSAGE_SIZE

from .flow import (
    Address,
    Flow,
    FlowTable,
    OnMessage,
    TransportError,
    deliver,
    format_address,
    reject,
)

logger = logging.getLogger(__name__)

_PING, _PONG = b"\r\n\r\n", b"\r\n"  # RFC 5626 §3.5.1 keepalive on a stream
READ_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class KeepalivePing:
    """A CRLFCRLF "ping" between messages; the answer is a CRLF "pong" (RFC 5626 §3.5.1)."""


@dataclass(frozen=True, slots=True)
class FramingError:
    """The stream cannot be split into messages any more: answer if possible, then close."""

    #: Why, for the log and the reason phrase.
    reason: str
    #: The status to answer with.
    status: int
    #: The message head read so far, to salvage Via, From, To, Call-ID and CSeq from.
    head: bytes


class StreamFramer:
    """Sans-IO: bytes of a stream in, whole messages (`bytes`), pings and errors out.

    The buffer holds at most one message plus one read; past a `FramingError` it takes no more.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self._buffer = bytearray()
        self._max_size = max_size
        self.failed = False

    def feed(self, data: bytes) -> list[bytes | KeepalivePing | FramingError]:
        if self.failed:
            return []
        buf = self._buffer
        buf += data
        out: list[bytes | KeepalivePing | FramingError] = []
        while buf:
            if buf.startswith(b"\r\n"):
                # Between messages only: CRLFCRLF is a ping, a lone CRLF a pong or padding,
                # ignored as §7.5 ignores CRLFs before a start line.
                if buf.startswith(_PING):
                    out.append(KeepalivePing())
                    del buf[:4]
                elif len(buf) < 4 and _PING.startswith(buf):
                    break  # maybe the first half of a ping: wait for the rest
                else:
                    del buf[:2]
                continue
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self._max_size:
                    out.append(self._fail(f"no end of headers in {len(buf)} bytes", 513))
                break
            head = bytes(buf[:end])
            try:
                length = content_length(head)
            except ParseError as e:
                out.append(self._fail(str(e), e.status, head))
                break
            total = end + 4 + length
            if total > self._max_size:
                out.append(self._fail(f"message of {total} bytes is too large", 513, head))
                break
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
        return out

    def _fail(self, reason: str, status: int, head: bytes = b"") -> FramingError:
        self.failed = True
        self._buffer.clear()
        return FramingError(reason, status, head)


def content_length(head: bytes) -> int:
    """The Content-Length of a message head; on a stream it is mandatory (RFC 3261 §18.3)."""
    values = set()
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() in (b"content-length", b"l"):  # `l`: compact form
            values.add(value.strip())
    if not values:
        raise ParseError("missing Content-Length on a stream transport (RFC 3261 §18.3)")
    if len(values) > 1:
        raise ParseError("conflicting Content-Length headers")
    value = values.pop()
    if not value.isdigit():
        raise ParseError(f"bad Content-Length {value[:20].decode('latin-1')!r}")
    return int(value)


class TcpListener:
    """A TCP server; each connection is a `Flow` in `flows` for as long as it lives."""

    def __init__(self, on_message: OnMessage, flows: FlowTable, idle_timeout: float | None) -> None:
        self._on_message = on_message
        self._flows = flows
        self._idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self.local: Address = ("", 0)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if self._closing:  # accepted just before close(): not ours to serve any more
            writer.close()
            return
        self._tasks.add(task)
        peer, own = writer.get_extra_info("peername"), writer.get_extra_info("sockname")

        async def send(data: bytes) -> None:
            writer.write(data)
            await writer.drain()

        async def close() -> None:
            writer.close()

        remote, local = (str(peer[0]), int(peer[1])), (str(own[0]), int(own[1]))
        flow = Flow("TCP", remote, local, send, close)
        self._flows.add(flow)
        reason = "closed by peer"
        try:
            reason = await self._receive(reader, flow)
        except asyncio.CancelledError:
            reason = "listener closed"
        except (OSError, TransportError) as e:
            reason = f"connection error: {e}"
        finally:
            self._flows.remove(flow, reason)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
        logger.debug("TCP flow %s from %s ended: %s", flow.id, format_address(remote), reason)

    async def _receive(self, reader: asyncio.StreamReader, flow: Flow) -> str:
        framer = StreamFramer()
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout):
                    data = await reader.read(READ_SIZE)
            except TimeoutError:
                return f"idle for {self._idle_timeout}s"
            if not data:
                return "closed by peer"
            for item in framer.feed(data):
                if isinstance(item, KeepalivePing):
                    await flow.send(_PONG)
                elif isinstance(item, FramingError):
                    # The next message's start is unknown: answer this one if we can, then close.
                    error = ParseError(item.reason, item.status)
                    response = reject(item.head + b"\r\n\r\n", error, flow.id)
                    if response is not None:
                        await flow.send(response)
                    return f"framing error: {item.reason}"
                else:
                    response = deliver(item, flow, self._on_message)
                    if response is not None:
                        await flow.send(response)


async def serve_tcp(
    host: str,
    port: int,
    on_message: OnMessage,
    flows: FlowTable,
    *,
    idle_timeout: float | None = 900.0,
) -> TcpListener:
    """Listen for SIP over TCP on (host, port); port 0 picks a free one (see `.local`).

    A connection with no bytes (not even a keepalive) for `idle_timeout` seconds is closed.
    """
    listener = TcpListener(on_message, flows, idle_timeout)
    server = await asyncio.start_server(listener._connection, host, port, limit=READ_SIZE)
    listener._server = server
    sockname = server.sockets[0].getsockname()
    listener.local = (str(sockname[0]), int(sockname[1]))
    return listener
