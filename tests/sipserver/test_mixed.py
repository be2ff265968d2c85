"""Calls across transports: a UDP caller and a WebSocket callee; a TCP user registering."""

from __future__ import annotations

import asyncio

from webphone.sip import Message, Request, Response, SipUri, parse
from webphone.sip.builders import UserAgentConfig, invite, make_response, register
from webphone.sip.dialog import Dialog
from webphone.sip.ids import seeded
from webphone.sip.transaction import make_ack
from webphone.sipserver import SipServer
from webphone.transport.tcp import StreamFramer

from .helpers import SDP, TIMEOUT, UdpPeer, WsPhone, authorized


def udp_config(user: str, port: int, transport: str = "UDP") -> UserAgentConfig:
    params = () if transport == "UDP" else (("transport", transport.lower()),)
    return UserAgentConfig(
        aor=SipUri("127.0.0.1", user=user),
        contact=SipUri("127.0.0.1", user=user, port=port, params=params),
        via_host="127.0.0.1",
        via_port=port,
        via_transport=transport,
    )


async def test_udp_caller_and_websocket_callee(server: SipServer, ws_url: str) -> None:
    assert server.udp is not None
    address = server.udp.local
    peer = UdpPeer()
    try:
        config, ids = udp_config("alice", peer.port), seeded(5)
        async with WsPhone(ws_url, "bob", seed=2) as bob:
            await bob.register()
            request = invite(config, ids, SipUri("127.0.0.1", user="bob"), sdp=SDP)
            peer.send(request, address)
            challenge = await peer.receive()
            assert isinstance(challenge, Response) and challenge.status == 407
            peer.send(make_ack(request, challenge), address)
            request = authorized(challenge, request, ids, "alice", "alice-secret")
            peer.send(request, address)
            incoming = await bob.request("INVITE")
            routes = [rr.uri for rr in incoming.record_routes]
            assert len(routes) == 2  # a connection on one side: one Record-Route per side
            assert isinstance(routes[0], SipUri) and routes[0].param("flow")
            assert isinstance(routes[1], SipUri) and routes[1].param("flow") is None
            assert routes[1].port == address[1]
            contact = [("Contact", f"<{bob.config.dialog_contact}>")]
            await bob.send(make_response(incoming, 200, to_tag="b", headers=contact, body=SDP))
            answered = await _final(peer)
            dialog = Dialog.uac(request, answered, config, ids)
            peer.send(dialog.ack(request), address)
            assert (await bob.request("ACK")).uri == bob.config.dialog_contact
            bobs = Dialog.uas(incoming, "b", bob.config, bob.ids, confirmed=True)
            await bob.send(bobs.create_request("BYE"))
            bye = await peer.receive()
            assert isinstance(bye, Request) and bye.method == "BYE"
            assert bye.uri == config.dialog_contact and "route" not in bye.headers
            peer.send(make_response(bye, 200), address)
            assert (await bob.response()).status == 200
    finally:
        peer.close()


async def _final(peer: UdpPeer) -> Response:
    while True:
        message = await peer.receive()
        if isinstance(message, Response) and message.status >= 200:
            return message


class TcpPhone:
    """A raw SIP-over-TCP client: whole messages out, framed messages in."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.framer = StreamFramer()
        self.queue: list[bytes] = []

    async def send(self, message: Message) -> None:
        self.writer.write(bytes(message))
        await self.writer.drain()

    async def receive(self) -> Message:
        async with asyncio.timeout(TIMEOUT):
            while not self.queue:
                data = await self.reader.read(65536)
                assert data, "connection closed"
                self.queue += [m for m in self.framer.feed(data) if isinstance(m, bytes)]
        return parse(self.queue.pop(0))


async def test_tcp_registration_is_bound_to_its_connection(server: SipServer) -> None:
    assert server.tcp is not None
    reader, writer = await asyncio.open_connection(*server.tcp.local)
    phone = TcpPhone(reader, writer)
    local_port = writer.get_extra_info("sockname")[1]
    config, ids = udp_config("carol", local_port, "TCP"), seeded(9)
    request = register(config, ids, call_id="tcp-reg", cseq=1)
    await phone.send(request)
    challenge = await phone.receive()
    assert isinstance(challenge, Response) and challenge.status == 401
    await phone.send(authorized(challenge, request, ids, "carol", "carol-secret"))
    ok = await phone.receive()
    assert isinstance(ok, Response) and ok.status == 200
    (binding,) = server.core.registrar.lookup("carol", 0)
    assert binding.origin.transport == "TCP" and binding.origin.flow_id is not None
    writer.close()
    await writer.wait_closed()
    async with asyncio.timeout(5):
        while server.core.registrar.lookup("carol", 0):
            await asyncio.sleep(0.01)
