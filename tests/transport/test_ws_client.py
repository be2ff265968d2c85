"""SipWebSocketClient against real servers on loopback: exchange, failover, reconnect, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from webphone.sip import Request, Response, parse
from webphone.transport import (
    BadMessageReceived,
    Connected,
    ConnectFailed,
    Disconnected,
    Flow,
    FlowTable,
    SipWebSocketClient,
    TransportError,
    TransportEvent,
    WsServer,
    serve_ws,
    sip_websocket_endpoint,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sip"
E = TypeVar("E", bound=TransportEvent)


def fixture(name: str) -> Request | Response:
    return parse((FIXTURES / name).read_bytes())


class Recorder:
    """Collects what a client reports, to await it in order."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[Request | Response] = asyncio.Queue()
        self.events: list[TransportEvent] = []
        self._events: asyncio.Queue[TransportEvent] = asyncio.Queue()

    def on_message(self, message: Request | Response) -> None:
        self.messages.put_nowait(message)

    def on_event(self, event: TransportEvent) -> None:
        self.events.append(event)
        self._events.put_nowait(event)

    async def next(self, kind: type[E]) -> E:
        while True:
            event = await self._events.get()
            if isinstance(event, kind):
                return event

    def client(self, *servers: str, **kwargs: object) -> SipWebSocketClient:
        return SipWebSocketClient(
            servers,
            on_message=self.on_message,
            on_event=self.on_event,
            **kwargs,  # type: ignore[arg-type]
        )


class SipServer:
    """The real listener (ASGI endpoint under uvicorn) with what it received."""

    def __init__(self) -> None:
        self.flows = FlowTable()
        self.received: asyncio.Queue[tuple[Request | Response, Flow]] = asyncio.Queue()
        self.app = sip_websocket_endpoint(lambda m, f: self.received.put_nowait((m, f)), self.flows)
        self.server: WsServer

    @property
    def url(self) -> str:
        return self.server.url


@contextlib.asynccontextmanager
async def sip_server(port: int = 0, tls: ssl.SSLContext | None = None) -> AsyncIterator[SipServer]:
    sip = SipServer()
    sip.server = await serve_ws("127.0.0.1", port, sip.app, tls)
    try:
        yield sip
    finally:
        await sip.server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(condition: object, timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not callable(condition) or not condition():
            await asyncio.sleep(0.01)


@pytest.mark.asyncio
async def test_messages_flow_both_ways() -> None:
    async with asyncio.timeout(5), sip_server() as server:
        rec = Recorder()
        client = rec.client(server.url)
        await client.start()
        assert client.is_connected and client.connected_url == server.url
        assert client.via_transport == "WS" and client.via_host.endswith(".invalid")
        assert rec.events == [Connected(server.url, reconnect=False)]

        register = fixture("03-alice-to-kamailio-register.sip")
        await client.send(register)
        got, flow = await server.received.get()
        assert bytes(got) == bytes(register)
        assert flow.transport == "WS" and flow.reliable
        assert flow.remote[0] == "127.0.0.1" and flow.local[1] == server.server.port
        assert server.flows.get(flow.id) is flow

        challenge = fixture("04-kamailio-to-alice-401-unauthorized-register.sip")
        await flow.send(challenge)
        assert bytes(await rec.messages.get()) == bytes(challenge)

        invite = fixture("12-kamailio-to-bob-invite.sip")  # a request from the server, with SDP
        await server.flows.get(flow.id).send(invite)  # type: ignore[union-attr]
        assert bytes(await rec.messages.get()) == bytes(invite)
        await client.send(fixture("13-bob-to-kamailio-100-trying-invite.sip"))
        assert (await server.received.get())[0].status == 100  # type: ignore[union-attr]

        await client.close()
        assert rec.events[-1] == Disconnected(server.url, "closed by us", will_reconnect=False)
        await wait_until(lambda: len(server.flows) == 0)
        assert flow.closed
        with pytest.raises(TransportError):
            await client.send(register)


@pytest.mark.asyncio
async def test_send_before_start_raises() -> None:
    client = Recorder().client("ws://127.0.0.1:9/")
    with pytest.raises(TransportError, match="not connected"):
        await client.send(fixture("03-alice-to-kamailio-register.sip"))


async def _no_subprotocol(ws: ServerConnection) -> None:
    await ws.wait_closed()


@pytest.mark.asyncio
async def test_client_requires_the_sip_subprotocol() -> None:
    async with asyncio.timeout(5), serve(_no_subprotocol, "127.0.0.1", 0) as plain:
        url = f"ws://127.0.0.1:{plain.sockets[0].getsockname()[1]}"
        rec = Recorder()
        with pytest.raises(TransportError, match="subprotocol sip") as info:
            await rec.client(url).start()
        assert [u for u, _ in info.value.failures] == [url]
        assert isinstance(rec.events[0], ConnectFailed) and "subprotocol" in rec.events[0].reason


@pytest.mark.asyncio
async def test_failover_to_the_second_server() -> None:
    async with asyncio.timeout(5), sip_server() as server:
        dead = f"ws://127.0.0.1:{closed_port()}/sip"
        rec = Recorder()
        client = rec.client(dead, server.url)
        await client.start()
        assert client.connected_url == server.url
        assert rec.events == [
            ConnectFailed(dead, "connection refused"),
            Connected(server.url, reconnect=False),
        ]
        await client.close()


@pytest.mark.asyncio
async def test_all_servers_dead_names_each() -> None:
    refused = f"ws://127.0.0.1:{closed_port()}"
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts TCP, never answers
        mute = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        async with asyncio.timeout(5):
            client = Recorder().client(refused, mute, connect_timeout=0.3)
            with pytest.raises(TransportError) as info:
                await client.start()
    message = str(info.value)
    assert f"{refused}: connection refused" in message and f"{mute}: timed out" in message
    assert [url for url, _ in info.value.failures] == [refused, mute]
    assert not client.is_connected


@pytest.mark.asyncio
async def test_reconnects_by_itself_after_a_restart() -> None:
    async with asyncio.timeout(5):
        rec = Recorder()
        async with sip_server() as server:
            url, port = server.url, server.server.port
            client = rec.client(url, backoff_initial=0.05, backoff_max=0.2, rng=lambda: 1.0)
            await client.start()
        dropped = await rec.next(Disconnected)
        assert dropped.url == url and dropped.will_reconnect and "1012" in dropped.reason
        assert not client.is_connected
        with pytest.raises(TransportError):
            await client.send(fixture("03-alice-to-kamailio-register.sip"))
        await rec.next(ConnectFailed)  # the server is still down: tried, refused, waiting
        async with sip_server(port) as again:
            assert await rec.next(Connected) == Connected(url, reconnect=True)
            await client.send(fixture("03-alice-to-kamailio-register.sip"))
            assert (await again.received.get())[0].method == "REGISTER"  # type: ignore[union-attr]
            await client.close()


async def _scripted(ws: ServerConnection) -> None:
    """Says what some real servers say: a CRLF ping, a binary frame, junk, then a message."""
    await ws.send("\r\n\r\n")
    assert await ws.recv() == "\r\n"  # the pong, as text
    await ws.send(bytes(fixture("04-kamailio-to-alice-401-unauthorized-register.sip")))
    await ws.send("NOT SIP AT ALL\r\n\r\n")
    await ws.send("\r\n")  # a lone CRLF: ignored
    await ws.send(bytes(fixture("06-kamailio-to-alice-200-ok-register.sip")).decode())
    assert isinstance(await ws.recv(), str)  # the client sends text frames
    await ws.close()


@pytest.mark.asyncio
async def test_pings_binary_frames_and_junk_from_a_server() -> None:
    sip = [Subprotocol("sip")]
    async with asyncio.timeout(5), serve(_scripted, "127.0.0.1", 0, subprotocols=sip) as raw:
        url = f"ws://127.0.0.1:{raw.sockets[0].getsockname()[1]}"
        rec = Recorder()
        client = rec.client(url, backoff_initial=5.0, backoff_max=5.0)
        await client.start()
        assert (await rec.messages.get()).status == 401  # type: ignore[union-attr]
        bad = await rec.next(BadMessageReceived)
        assert bad.origin == url and bad.status == 400 and bad.size == 18
        assert bad.looked_like_request
        assert (await rec.messages.get()).status == 200  # type: ignore[union-attr]
        assert client.is_connected  # junk does not close the connection
        await client.send(fixture("05-alice-to-kamailio-register-with-authorization.sip"))
        await rec.next(Disconnected)
        await client.close()


def _certificates(tmp: Path) -> tuple[Path, ssl.SSLContext]:
    """A private CA and a server certificate for 127.0.0.1 and localhost signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webphone test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp / "server.pem").write_bytes(cert.public_bytes(pem))
    (tmp / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    return tmp / "ca.pem", context


@pytest.mark.asyncio
async def test_wss_with_a_private_ca(tmp_path: Path) -> None:
    ca_file, server_tls = _certificates(tmp_path)
    async with asyncio.timeout(5), sip_server(tls=server_tls) as server:
        assert server.url.startswith("wss://127.0.0.1:")
        rec = Recorder()
        client = rec.client(server.url, ca_file=str(ca_file))
        await client.start()
        assert client.via_transport == "WSS"
        await client.send(fixture("03-alice-to-kamailio-register.sip"))
        _, flow = await server.received.get()
        assert flow.transport == "WSS"
        await client.close()


@pytest.mark.asyncio
async def test_wss_without_the_ca_fails_on_the_certificate(tmp_path: Path) -> None:
    _, server_tls = _certificates(tmp_path)
    async with asyncio.timeout(5), sip_server(tls=server_tls) as server:
        rec = Recorder()
        with pytest.raises(TransportError, match="certificate error") as info:
            await rec.client(server.url).start()
        assert isinstance(info.value.failures[0][1], ssl.SSLCertVerificationError)
        assert isinstance(rec.events[0], ConnectFailed)
