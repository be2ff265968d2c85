"""Calls through the proxy between WebSocket users: auth, Record-Route, dialogs, CANCEL, forks."""

from __future__ import annotations

from webphone.sip import Request, Response, SipUri
from webphone.sip.builders import cancel, invite, make_response, options
from webphone.sip.dialog import Dialog
from webphone.sip.transaction import make_ack
from webphone.sipserver import SipServer

from .helpers import SDP, WsPhone, authorized


def callee(user: str) -> SipUri:
    return SipUri("127.0.0.1", user=user)


def reply(phone: WsPhone, request: Request, status: int, tag: str, body: bytes = b"") -> Response:
    headers = [("Contact", f"<{phone.config.dialog_contact}>")] if 100 < status < 300 else []
    return make_response(request, status, to_tag=tag, headers=headers, body=body)


async def place_call(alice: WsPhone, user: str) -> tuple[Request, Response | None]:
    """INVITE, 407, ACK, INVITE with credentials: the INVITE sent last, and a final response
    if one came instead of the request reaching a callee."""
    request = invite(alice.config, alice.ids, callee(user), sdp=SDP)
    await alice.send(request)
    challenge = await alice.response()
    assert challenge.status == 407, challenge
    assert challenge.to.tag
    await alice.send(make_ack(request, challenge))
    request = authorized(challenge, request, alice.ids, alice.user, alice.password)
    await alice.send(request)
    return request, None


async def test_call_from_alice_to_bob_and_back(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice, WsPhone(ws_url, "bob", seed=2) as bob:
        assert (await alice.register()).status == 200
        assert (await bob.register()).status == 200
        sent, _ = await place_call(alice, "bob")
        incoming = await bob.request("INVITE")
        assert incoming.uri == bob.config.contact  # the registered Contact (§16.5)
        assert incoming.max_forwards == 69
        assert "proxy-authorization" not in incoming.headers  # consumed here (§22.3)
        assert len(incoming.vias) == 2
        assert incoming.vias[1].received == "127.0.0.1" and incoming.vias[1].rport
        routes = [rr.uri for rr in incoming.record_routes]
        assert len(routes) == 2  # one per side, each naming its flow
        assert all(isinstance(r, SipUri) and r.param("lr") is not None for r in routes)
        flows = [r.param("flow") for r in routes if isinstance(r, SipUri)]
        assert all(flows) and flows[0] != flows[1]
        await bob.send(reply(bob, incoming, 180, "bobtag"))
        ringing = await alice.response()
        assert ringing.status == 180 and len(ringing.vias) == 1
        await bob.send(reply(bob, incoming, 200, "bobtag", SDP))
        answered = await alice.response()
        assert answered.status == 200 and answered.body == SDP
        assert [rr.uri for rr in answered.record_routes] == routes
        # in-dialog from alice: ACK and BYE follow the Route set to bob's flow
        dialog = Dialog.uac(sent, answered, alice.config, alice.ids)
        await alice.send(dialog.ack(sent))
        ack = await bob.request("ACK")
        assert ack.uri == bob.config.dialog_contact and "route" not in ack.headers
        await alice.send(dialog.create_request("INFO", b"Signal=5", "application/dtmf-relay"))
        info = await bob.request("INFO")
        await bob.send(make_response(info, 200))
        assert (await alice.response()).status == 200
        # ... and from bob, the reverse Route set leads to alice's flow
        bobs = Dialog.uas(incoming, "bobtag", bob.config, bob.ids, confirmed=True)
        await bob.send(bobs.create_request("BYE"))
        bye = await alice.request("BYE")
        assert bye.uri == alice.config.dialog_contact
        await alice.send(make_response(bye, 200))
        done = await bob.response()
        assert done.status == 200 and done.cseq.method == "BYE"


async def test_unknown_user_404_and_unregistered_user_480(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        await place_call(alice, "nobody")
        assert (await alice.response()).status == 404
        await place_call(alice, "carol")
        assert (await alice.response()).status == 480


async def test_callee_busy_is_relayed_and_acks_are_hop_by_hop(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice, WsPhone(ws_url, "bob", seed=2) as bob:
        await bob.register()
        sent, _ = await place_call(alice, "bob")
        incoming = await bob.request("INVITE")
        await bob.send(reply(bob, incoming, 486, "bobtag"))
        ack = await bob.request("ACK")  # from the proxy's client transaction (§17.1.1.3)
        assert ack.via.branch == incoming.via.branch
        busy = await alice.response()
        assert busy.status == 486
        await alice.send(make_ack(sent, busy))  # absorbed by the proxy's server transaction
        await bob.nothing()


async def test_busy_service(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        sent, _ = await place_call(alice, "busy")
        busy = await alice.response()
        assert busy.status == 486 and busy.to.tag
        await alice.send(make_ack(sent, busy))
        await alice.nothing()


async def test_cancel_gets_200_then_487(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice, WsPhone(ws_url, "bob", seed=2) as bob:
        await bob.register()
        sent, _ = await place_call(alice, "bob")
        incoming = await bob.request("INVITE")
        await alice.send(cancel(sent))
        cancelled = await alice.response()
        assert (cancelled.status, cancelled.cseq.method) == (200, "CANCEL")
        # §9.1: no CANCEL goes to bob before he sent a provisional response
        await bob.nothing()
        await bob.send(reply(bob, incoming, 180, "bobtag"))
        assert (await alice.response()).status == 180
        downstream = await bob.request("CANCEL")
        assert downstream.via.branch == incoming.via.branch
        await bob.send(make_response(downstream, 200))
        await bob.send(reply(bob, incoming, 487, "bobtag"))
        assert (await bob.request("ACK")).cseq.method == "ACK"
        terminated = await alice.response()
        assert (terminated.status, terminated.cseq.method) == (487, "INVITE")
        await alice.send(make_ack(sent, terminated))


async def test_cancel_of_unknown_transaction_is_481(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        request = invite(alice.config, alice.ids, callee("bob"), sdp=SDP)
        await alice.send(cancel(request))
        assert (await alice.response()).status == 481


async def test_forking_first_200_wins_and_the_other_branch_is_cancelled(
    ws_url: str,
) -> None:
    async with (
        WsPhone(ws_url, "alice") as alice,
        WsPhone(ws_url, "bob", seed=2) as bob1,
        WsPhone(ws_url, "bob", seed=3) as bob2,
    ):
        await bob1.register()
        assert len((await bob2.register()).contacts) == 2
        sent, _ = await place_call(alice, "bob")
        in1, in2 = await bob1.request("INVITE"), await bob2.request("INVITE")
        assert in1.call_id == in2.call_id and in1.via.branch != in2.via.branch
        await bob1.send(reply(bob1, in1, 180, "b1"))
        await bob2.send(reply(bob2, in2, 180, "b2"))
        assert {(await alice.response()).to.tag for _ in range(2)} == {"b1", "b2"}
        await bob1.send(reply(bob1, in1, 200, "b1", SDP))
        answered = await alice.response()
        assert (answered.status, answered.to.tag) == (200, "b1")
        other = await bob2.request("CANCEL")
        assert "cause=200" in (other.headers.get("Reason") or "")  # RFC 3326
        await bob2.send(make_response(other, 200))
        await bob2.send(reply(bob2, in2, 487, "b2"))
        await bob2.request("ACK")
        dialog = Dialog.uac(sent, answered, alice.config, alice.ids)
        await alice.send(dialog.ack(sent))
        await bob1.request("ACK")
        await alice.nothing()  # the 487 of the cancelled branch is not relayed


async def test_callee_connection_lost_while_ringing_gives_480(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        async with WsPhone(ws_url, "bob", seed=2) as bob:
            await bob.register()
            await place_call(alice, "bob")
            incoming = await bob.request("INVITE")
            await bob.send(reply(bob, incoming, 180, "bobtag"))
            assert (await alice.response()).status == 180
        lost = await alice.response()
        assert lost.status == 480


async def test_max_forwards_zero_483_and_options_to_the_server(ws_url: str) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        request = invite(alice.config, alice.ids, callee("bob"), sdp=SDP)
        headers = request.headers.mutable()
        headers.set("Max-Forwards", "0")
        await alice.send(request.with_headers(headers))
        assert (await alice.response()).status == 483
        ping = options(alice.config, alice.ids, SipUri("127.0.0.1"))
        await alice.send(ping)
        pong = await alice.response()
        assert pong.status == 200 and "INVITE" in (pong.headers.get("Allow") or "")


async def test_caller_must_be_the_authenticated_user(ws_url: str, server: SipServer) -> None:
    async with WsPhone(ws_url, "alice") as alice:
        alice.user, alice.password = "carol", "carol-secret"  # From alice, credentials carol
        await place_call(alice, "bob")
        assert (await alice.response()).status == 403
