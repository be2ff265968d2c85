"""The UDP listener over a real loopback socket: datagrams in, flows with the right address."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from webphone.sip import Request, Response, parse
from webphone.transport import Flow, TransportError, UdpListener, serve_udp

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sip"
REGISTER = (FIXTURES / "03-alice-to-kamailio-register.sip").read_bytes()


class Phone(asyncio.DatagramProtocol):
    """A UDP peer that keeps what it receives."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.received.put_nowait(data)


@contextlib.asynccontextmanager
async def pair() -> AsyncIterator[
    tuple[
        UdpListener,
        asyncio.DatagramTransport,
        Phone,
        asyncio.Queue[tuple[Request | Response, Flow]],
    ]
]:
    queue: asyncio.Queue[tuple[Request | Response, Flow]] = asyncio.Queue()
    listener = await serve_udp("127.0.0.1", 0, lambda m, f: queue.put_nowait((m, f)))
    loop = asyncio.get_running_loop()
    transport, phone = await loop.create_datagram_endpoint(Phone, remote_addr=listener.local)
    try:
        yield listener, transport, phone, queue
    finally:
        transport.close()
        await listener.close()


@pytest.mark.asyncio
async def test_a_register_datagram_arrives_with_its_source() -> None:
    async with asyncio.timeout(5), pair() as (listener, phone_end, phone, queue):
        phone_end.sendto(REGISTER)
        message, flow = await queue.get()
        assert bytes(message) == bytes(parse(REGISTER))
        assert flow.transport == "UDP" and not flow.reliable
        assert flow.remote == phone_end.get_extra_info("sockname")[:2]
        assert flow.local == listener.local and listener.local[1] != 0
        challenge = (FIXTURES / "04-kamailio-to-alice-401-unauthorized-register.sip").read_bytes()
        await flow.send(parse(challenge))
        assert await phone.received.get() == bytes(parse(challenge))
        assert listener.flow_to(flow.remote).id == flow.id  # the same pair, the same id


@pytest.mark.asyncio
async def test_garbage_and_keepalives_do_not_stop_the_listener() -> None:
    async with asyncio.timeout(5), pair() as (_, phone_end, phone, queue):
        for junk in (b"\x00\x01\x02\xff" * 10, b"\r\n\r\n", b"\r\n", b"SIP/2.0 200 OK\r\n\r\n"):
            phone_end.sendto(junk)
        phone_end.sendto(REGISTER)
        message, _ = await queue.get()
        assert message.method == "REGISTER"  # type: ignore[union-attr]
        assert phone.received.empty()  # junk and keepalives got no answer


@pytest.mark.asyncio
async def test_a_malformed_request_with_readable_headers_gets_a_400() -> None:
    async with asyncio.timeout(5), pair() as (_, phone_end, phone, queue):
        phone_end.sendto(REGISTER.replace(b"Max-Forwards: 69", b"Max-Forwards: many"))
        response = parse(await phone.received.get())
        assert isinstance(response, Response) and response.status == 400
        assert "Max-Forwards" in response.reason
        assert response.call_id == parse(REGISTER).call_id
        assert queue.empty()


@pytest.mark.asyncio
async def test_a_closed_listener_refuses_to_send() -> None:
    listener = await serve_udp("127.0.0.1", 0, lambda m, f: None)
    flow = listener.flow_to(("127.0.0.1", 9))
    await listener.close()
    assert listener.closed
    with pytest.raises(TransportError, match="closed"):
        await flow.send(REGISTER)
