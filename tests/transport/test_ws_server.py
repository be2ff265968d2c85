"""The SIP WebSocket endpoint under uvicorn, alone and mounted in Starlette, with raw clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol

from webphone.sip import Request, Response, parse
from webphone.transport import (
    Flow,
    FlowClosed,
    FlowOpened,
    FlowTable,
    WsServer,
    serve_ws,
    sip_websocket_endpoint,
)
from webphone.transport.events import TransportEvent

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sip"
REGISTER = (FIXTURES / "03-alice-to-kamailio-register.sip").read_bytes()
SIP = [Subprotocol("sip")]


class Server:
    def __init__(self) -> None:
        self.events: list[TransportEvent] = []
        self.flows = FlowTable(self.events.append)
        self.received: asyncio.Queue[tuple[Request | Response, Flow]] = asyncio.Queue()
        self.endpoint = sip_websocket_endpoint(
            lambda m, f: self.received.put_nowait((m, f)), self.flows
        )


@contextlib.asynccontextmanager
async def serving(app: ASGIApp) -> AsyncIterator[WsServer]:
    server = await serve_ws("127.0.0.1", 0, app)
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def client(url: str) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=SIP, proxy=None) as ws:
        assert ws.subprotocol == "sip"
        yield ws


async def wait_until_empty(flows: FlowTable) -> None:
    async with asyncio.timeout(2):
        while len(flows):
            await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_flows_live_as_long_as_their_connection() -> None:
    sip = Server()
    async with asyncio.timeout(5), serving(sip.endpoint) as server:
        async with client(server.url) as ws:
            await ws.send(REGISTER)  # a binary frame is accepted too
            message, flow = await sip.received.get()
            assert bytes(message) == bytes(parse(REGISTER))
            assert flow.transport == "WS" and list(sip.flows) == [flow]
            assert flow.remote == ws.local_address[:2]
        await wait_until_empty(sip.flows)
        assert flow.closed
        opened, closed = sip.events
        assert opened == FlowOpened(flow.id, "WS", flow.remote)
        assert isinstance(closed, FlowClosed) and closed.flow_id == flow.id


@pytest.mark.asyncio
async def test_the_sip_subprotocol_is_required() -> None:
    sip = Server()
    async with asyncio.timeout(5), serving(sip.endpoint) as server:
        for offered in (None, [Subprotocol("chat")]):
            with pytest.raises(InvalidStatus) as info:
                async with connect(server.url, subprotocols=offered, proxy=None):
                    pass
            assert info.value.response.status_code == 403
        assert len(sip.flows) == 0 and sip.events == []


@pytest.mark.asyncio
async def test_plain_http_is_told_to_upgrade() -> None:
    async with asyncio.timeout(5), serving(Server().endpoint) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 426 ")
        writer.close()
        await writer.wait_closed()


@pytest.mark.asyncio
async def test_pings_junk_and_bad_requests_keep_the_connection() -> None:
    sip = Server()
    async with asyncio.timeout(5), serving(sip.endpoint) as server, client(server.url) as ws:
        await ws.send("\r\n\r\n")
        assert await ws.recv() == "\r\n"
        await ws.send("\r\n")  # a pong: nothing comes back
        await ws.send("hello")  # junk: dropped
        await ws.send(REGISTER.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1).decode())
        answer = parse((await ws.recv()).encode())  # type: ignore[union-attr]
        assert isinstance(answer, Response) and answer.status == 505
        await ws.send(REGISTER.decode())
        assert (await sip.received.get())[0].method == "REGISTER"  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_the_server_sends_text_or_binary_frames_and_can_close_a_flow() -> None:
    sip = Server()
    async with asyncio.timeout(5), serving(sip.endpoint) as server, client(server.url) as ws:
        await ws.send(REGISTER.decode())
        _, flow = await sip.received.get()
        await flow.send(parse((FIXTURES / "06-kamailio-to-alice-200-ok-register.sip").read_bytes()))
        assert isinstance(await ws.recv(), str)
        await flow.send(b"\xff binary")  # not UTF-8: only a binary frame can carry it
        assert await ws.recv() == b"\xff binary"
        await flow.close()
        await ws.wait_closed()
        assert ws.close_code == 1000
        await wait_until_empty(sip.flows)


@pytest.mark.asyncio
async def test_mounted_in_a_starlette_app() -> None:
    sip = Server()
    app = Starlette(routes=[WebSocketRoute("/sip", sip.endpoint)])
    async with asyncio.timeout(5), serving(app) as server:
        async with client(server.url + "/sip") as ws:
            await ws.send(REGISTER.decode())
            _, flow = await sip.received.get()
            assert flow.transport == "WS"
        with pytest.raises(InvalidStatus):
            async with connect(server.url + "/sip", proxy=None):
                pass
