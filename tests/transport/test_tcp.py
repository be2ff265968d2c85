"""TCP: stream framing by Content-Length (sans-IO) and the listener over a real socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from webphone.sip import Request, Response, parse
from webphone.transport import Flow, FlowTable, StreamFramer, TcpListener, serve_tcp
from webphone.transport.tcp import FramingError, KeepalivePing

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sip"
REGISTER = (FIXTURES / "03-alice-to-kamailio-register.sip").read_bytes()
INVITE = (FIXTURES / "07-alice-to-kamailio-invite.sip").read_bytes()  # with an SDP body
NO_LENGTH = REGISTER.replace(b"Content-Length: 0\r\n", b"")

# The wire cases: a stream and what the framer must make of it.
CASES: list[tuple[bytes, list[bytes | KeepalivePing]]] = [
    (REGISTER, [REGISTER]),
    (REGISTER + INVITE, [REGISTER, INVITE]),
    (b"\r\n\r\n" + INVITE + b"\r\n\r\n", [KeepalivePing(), INVITE, KeepalivePing()]),
    (b"\r\n" + REGISTER, [REGISTER]),  # a stray CRLF before a start line (RFC 3261 §7.5)
    (
        REGISTER.replace(b"Content-Length: 0", b"l: 0"),
        [REGISTER.replace(b"Content-Length: 0", b"l: 0")],
    ),
]


def feed_all(
    framer: StreamFramer, chunks: list[bytes]
) -> list[bytes | KeepalivePing | FramingError]:
    return [item for chunk in chunks for item in framer.feed(chunk)]


@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_framing_whole_byte_by_byte_and_with_trailing_data(
    stream: bytes, expected: list[bytes | KeepalivePing]
) -> None:
    assert feed_all(StreamFramer(), [stream]) == expected
    assert feed_all(StreamFramer(), [stream[i : i + 1] for i in range(len(stream))]) == expected
    # Trailing bytes of the next message stay buffered until the rest arrives.
    framer = StreamFramer()
    assert framer.feed(stream + REGISTER[:50]) == expected
    assert framer.feed(REGISTER[50:]) == [REGISTER]


def test_missing_content_length_stops_the_stream() -> None:
    framer = StreamFramer()
    (error,) = framer.feed(NO_LENGTH + REGISTER)
    assert isinstance(error, FramingError) and error.status == 400
    assert "Content-Length" in error.reason and error.head.startswith(b"REGISTER ")
    assert framer.failed and framer.feed(REGISTER) == []


@pytest.mark.parametrize(
    ("stream", "status"),
    [
        (REGISTER.replace(b"Content-Length: 0", b"Content-Length: x"), 400),
        (REGISTER.replace(b"Content-Length: 0", b"Content-Length: 0\r\nl: 5"), 400),
        (REGISTER.replace(b"Content-Length: 0", b"Content-Length: 999999"), 513),
        (b"REGISTER sip:x SIP/2.0\r\n" + b"X: y\r\n" * 20_000, 513),  # no end of headers
    ],
)
def test_unframeable_streams(stream: bytes, status: int) -> None:
    items = StreamFramer(max_size=65_536).feed(stream)
    assert len(items) == 1 and isinstance(items[0], FramingError) and items[0].status == status


class Peer:
    """One TCP client connection to the listener."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def read_message(self) -> Response:
        head = await self.reader.readuntil(b"\r\n\r\n")
        message = parse(head)
        assert isinstance(message, Response)
        return message


@contextlib.asynccontextmanager
async def listening() -> AsyncIterator[
    tuple[TcpListener, FlowTable, asyncio.Queue[tuple[Request | Response, Flow]]]
]:
    flows = FlowTable()
    queue: asyncio.Queue[tuple[Request | Response, Flow]] = asyncio.Queue()
    listener = await serve_tcp("127.0.0.1", 0, lambda m, f: queue.put_nowait((m, f)), flows)
    try:
        yield listener, flows, queue
    finally:
        await listener.close()


@contextlib.asynccontextmanager
async def connect(listener: TcpListener) -> AsyncIterator[Peer]:
    reader, writer = await asyncio.open_connection(*listener.local)
    try:
        yield Peer(reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@pytest.mark.asyncio
async def test_two_messages_in_one_write_and_one_split_over_several() -> None:
    async with (
        asyncio.timeout(5),
        listening() as (listener, flows, queue),
        connect(listener) as peer,
    ):
        peer.writer.write(REGISTER + INVITE)
        first, flow = await queue.get()
        second, same = await queue.get()
        assert (bytes(first), bytes(second)) == (bytes(parse(REGISTER)), bytes(parse(INVITE)))
        assert flow is same and flow.transport == "TCP" and flows.get(flow.id) is flow
        assert flow.remote == peer.writer.get_extra_info("sockname")[:2]
        for i in range(0, len(INVITE), 100):
            peer.writer.write(INVITE[i : i + 100])
            await peer.writer.drain()
            await asyncio.sleep(0.001)
        assert bytes((await queue.get())[0]) == bytes(parse(INVITE))
        await flow.send(
            parse((FIXTURES / "11-kamailio-to-alice-100-trying-invite.sip").read_bytes())
        )
        assert (await peer.read_message()).status == 100


@pytest.mark.asyncio
async def test_crlf_ping_gets_a_crlf_pong() -> None:
    async with asyncio.timeout(5), listening() as (listener, _, queue), connect(listener) as peer:
        peer.writer.write(b"\r\n\r\n")
        assert await peer.reader.readexactly(2) == b"\r\n"
        peer.writer.write(REGISTER)  # the connection goes on
        assert (await queue.get())[0].method == "REGISTER"  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_missing_content_length_is_answered_400_and_closed() -> None:
    async with (
        asyncio.timeout(5),
        listening() as (listener, flows, queue),
        connect(listener) as peer,
    ):
        peer.writer.write(NO_LENGTH)
        response = await peer.read_message()
        assert response.status == 400 and "Content-Length" in response.reason
        assert response.call_id == parse(REGISTER).call_id
        assert await peer.reader.read() == b""  # closed by the server
        assert queue.empty()
        async with asyncio.timeout(2):
            while len(flows):
                await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_a_bad_message_is_answered_and_the_connection_lives_on() -> None:
    async with (
        asyncio.timeout(5),
        listening() as (listener, flows, queue),
        connect(listener) as peer,
    ):
        peer.writer.write(REGISTER.replace(b"Max-Forwards: 69", b"Max-Forwards: x"))
        assert (await peer.read_message()).status == 400
        peer.writer.write(REGISTER)  # Content-Length still framed it: the stream goes on
        assert (await queue.get())[0].method == "REGISTER"  # type: ignore[union-attr]
        assert len(flows) == 1


@pytest.mark.asyncio
async def test_closing_the_listener_closes_its_connections() -> None:
    async with asyncio.timeout(5):
        flows = FlowTable()
        listener = await serve_tcp("127.0.0.1", 0, lambda m, f: None, flows)
        async with connect(listener) as peer:
            peer.writer.write(b"\r\n\r\n")
            await peer.reader.readexactly(2)
            assert len(flows) == 1
            await listener.close()
            assert await peer.reader.read() == b"" and len(flows) == 0


@pytest.mark.asyncio
async def test_an_idle_connection_is_closed() -> None:
    async with asyncio.timeout(5):
        flows = FlowTable()
        listener = await serve_tcp("127.0.0.1", 0, lambda m, f: None, flows, idle_timeout=0.05)
        try:
            async with connect(listener) as peer:
                assert await peer.reader.read() == b""
        finally:
            await listener.close()
