"""Built-in services as user agents inside the server: answer, ACK, BYE both ways, CANCEL."""

from __future__ import annotations

import asyncio

import pytest

from webphone.sip import Request, Response, SipUri
from webphone.sip.builders import UserAgentConfig, cancel, invite, make_response
from webphone.sip.dialog import Dialog
from webphone.sip.ids import seeded
from webphone.sip.transaction import make_ack
from webphone.sipserver import (
    BusyService,
    CallState,
    Reply,
    Service,
    ServiceCall,
    ServiceRegistry,
    SipServer,
)
from webphone.sipserver import service_call as service_call_module

from .helpers import SDP, UdpPeer, WsPhone, authorized
from .test_calls_ws import place_call


class Answering(Service):
    """Rings, answers with SDP, then waits for the end; records what happened."""

    name = "answer"

    def __init__(self) -> None:
        self.calls: list[ServiceCall] = []
        self.confirmed: list[bool] = []
        self.ended: asyncio.Queue[str] = asyncio.Queue()
        self.requests: list[str] = []

    async def handle_invite(self, call: ServiceCall) -> None:
        self.calls.append(call)
        call.ring()
        call.answer(SDP)
        self.confirmed.append(await call.confirmed())
        self.ended.put_nowait(await call.ended())

    async def handle_request(self, call: ServiceCall, request: Request) -> Reply:
        self.requests.append(request.method)
        return await super().handle_request(call, request)


class HangingUp(Service):
    """Answers, and hangs up as soon as the ACK came."""

    name = "hangup"

    def __init__(self) -> None:
        self.done: asyncio.Queue[CallState] = asyncio.Queue()

    async def handle_invite(self, call: ServiceCall) -> None:
        call.answer(SDP)
        if await call.confirmed():
            await call.hangup()
        self.done.put_nowait(call.state)


class Ringing(Service):
    name = "ring"

    def __init__(self) -> None:
        self.ended: asyncio.Queue[str] = asyncio.Queue()

    async def handle_invite(self, call: ServiceCall) -> None:
        call.ring()
        self.ended.put_nowait(await call.ended())


class Broken(Service):
    name = "broken"

    async def handle_invite(self, call: ServiceCall) -> None:
        raise RuntimeError("a bug in a service")


class Silent(Service):
    name = "silent"

    async def handle_invite(self, call: ServiceCall) -> None:
        return  # forgets to answer


@pytest.fixture
def services() -> ServiceRegistry:
    return ServiceRegistry([BusyService(), Answering(), HangingUp(), Ringing(), Broken(), Silent()])


def service(server: SipServer, name: str) -> Service:
    found = server.services.get(name)
    assert found is not None
    return found


async def test_answer_ack_in_dialog_requests_and_bye_from_the_caller(
    server: SipServer, ws_url: str
) -> None:
    answering = service(server, "answer")
    assert isinstance(answering, Answering)
    async with WsPhone(ws_url, "alice") as alice:
        sent, _ = await place_call(alice, "answer")
        ringing = await alice.response()
        assert ringing.status == 180 and ringing.to.tag
        ok = await alice.response()
        assert ok.status == 200 and ok.body == SDP and ok.to.tag == ringing.to.tag
        (contact,) = ok.contacts
        assert isinstance(contact.uri, SipUri) and contact.uri.user == "answer"
        assert contact.uri.transport == "ws" and not ok.record_routes
        dialog = Dialog.uac(sent, ok, alice.config, alice.ids)
        await alice.send(dialog.ack(sent))
        await alice.send(dialog.create_request("INFO", b"Signal=1", "application/dtmf-relay"))
        assert (await alice.response()).status == 200
        reinvite = dialog.create_request("INVITE", SDP, "application/sdp")
        await alice.send(reinvite)
        refused = await alice.response()
        assert refused.status == 488
        await alice.send(make_ack(reinvite, refused))
        await alice.send(dialog.create_request("BYE"))
        bye_ok = await alice.response()
        assert (bye_ok.status, bye_ok.cseq.method) == (200, "BYE")
        assert await asyncio.wait_for(answering.ended.get(), 5) == "remote hung up"
        assert answering.confirmed == [True] and answering.requests == ["INFO", "INVITE"]
        await alice.send(dialog.create_request("INFO"))  # the dialog is over
        assert (await alice.response()).status == 481


async def test_service_hangs_up_with_bye(server: SipServer, ws_url: str) -> None:
    hanging = service(server, "hangup")
    assert isinstance(hanging, HangingUp)
    async with WsPhone(ws_url, "alice") as alice:
        sent, _ = await place_call(alice, "hangup")
        ok = await alice.response()
        dialog = Dialog.uac(sent, ok, alice.config, alice.ids)
        await alice.send(dialog.ack(sent))
        bye = await alice.request("BYE")
        assert dialog.receive_request(bye) is None  # a BYE of this very dialog
        await alice.send(make_response(bye, 200))
        assert await asyncio.wait_for(hanging.done.get(), 5) is CallState.ENDED


async def test_cancel_to_a_ringing_service(server: SipServer, ws_url: str) -> None:
    ringing = service(server, "ring")
    assert isinstance(ringing, Ringing)
    async with WsPhone(ws_url, "alice") as alice:
        sent, _ = await place_call(alice, "ring")
        assert (await alice.response()).status == 180
        await alice.send(cancel(sent))
        statuses = {(r.status, r.cseq.method) for r in [await alice.response() for _ in "ab"]}
        assert statuses == {(200, "CANCEL"), (487, "INVITE")}
        assert await asyncio.wait_for(ringing.ended.get(), 5) == "cancelled"


async def test_a_failing_or_silent_service_gives_500(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        for name in ("broken", "silent"):
            sent, _ = await place_call(alice, name)
            failed = await alice.response()
            assert failed.status == 500, name
            await alice.send(make_ack(sent, failed))


async def test_caller_connection_lost_ends_the_call(server: SipServer, ws_url: str) -> None:
    answering = service(server, "answer")
    assert isinstance(answering, Answering)
    async with WsPhone(ws_url, "alice") as alice:
        sent, _ = await place_call(alice, "answer")
        await alice.response()
        ok = await alice.response()
        await alice.send(Dialog.uac(sent, ok, alice.config, alice.ids).ack(sent))
    reason = await asyncio.wait_for(answering.ended.get(), 5)
    assert reason.startswith("flow ") and reason.endswith("closed")


async def test_2xx_is_resent_over_udp_until_the_ack_then_bye(
    server: SipServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_call_module, "T1", 0.02)
    monkeypatch.setattr(service_call_module, "T2", 0.08)
    assert server.udp is not None
    address = server.udp.local
    peer = UdpPeer()
    try:
        ids = seeded(7)
        config = UserAgentConfig(
            aor=SipUri("127.0.0.1", user="alice"),
            contact=SipUri("127.0.0.1", user="alice", port=peer.port),
            via_host="127.0.0.1",
            via_port=peer.port,
            via_transport="UDP",
        )
        request = invite(config, ids, SipUri("127.0.0.1", user="answer"), sdp=SDP)
        peer.send(request, address)
        challenge = await peer.receive()
        assert isinstance(challenge, Response) and challenge.status == 407
        peer.send(make_ack(request, challenge), address)
        peer.send(authorized(challenge, request, ids, "alice", "alice-secret"), address)
        statuses = []
        while True:
            message = await peer.receive()
            if isinstance(message, Request):
                break
            statuses.append(message.status)
        assert message.method == "BYE"  # §13.3.1.4: no ACK within 64*T1
        assert statuses.count(200) >= 3 and statuses[0] in (100, 180)
        peer.send(make_response(message, 200), address)
    finally:
        peer.close()
