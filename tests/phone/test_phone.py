"""Two Phones call each other through Kamailio, a real SIP server, over WebSocket, with audio.

Runs inside the loopback-only network namespace (tests/support/netns.py) like every media test.
"""

from __future__ import annotations

import asyncio

import pytest

from support.phones import USERS, PhoneFactory, PhoneUnderTest
from support.services import Kamailio, free_port
from webphone.phone import (
    Answered,
    ConnectionChanged,
    DtmfReceived,
    Ended,
    Error,
    HoldChanged,
    PhoneError,
    Registered,
    RingingIn,
    RingingOut,
)
from webphone.sipserver import ServerConfig, SipServer
from webphone.sipserver.auth import DictDirectory

pytestmark = pytest.mark.asyncio


async def connect(
    make_phone: PhoneFactory, url: str, caller: str = "alice", callee: str = "bob"
) -> tuple[PhoneUnderTest, PhoneUnderTest]:
    """`caller` calls `callee`, who answers; both sides have heard each other's tone."""
    a = await make_phone(caller, url)
    b = await make_phone(callee, url)
    await a.phone.make_call(callee)
    ringing = await b.phone.wait_for(RingingIn)
    assert ringing.from_user == caller
    await b.phone.answer()
    await a.phone.wait_for(Answered)
    await b.phone.wait_for(Answered)
    return a, b


async def packets_received(phone: PhoneUnderTest, seconds: float) -> int:
    """How many RTP packets `phone` received over the next `seconds`."""
    before = (await phone.last_media.refresh_stats()).packets_received
    await asyncio.sleep(seconds)
    return (await phone.last_media.refresh_stats()).packets_received - before


async def test_call_carries_each_tone_and_ends_with_a_cdr(
    server_url: str, make_phone: PhoneFactory
) -> None:
    alice, bob = await connect(make_phone, server_url)
    ringing = await alice.phone.wait_for(RingingOut)
    assert ringing.status == 180
    await asyncio.sleep(1.5)
    assert alice.meter.dominant_hz == pytest.approx(880, abs=15)
    assert bob.meter.dominant_hz == pytest.approx(440, abs=15)
    assert alice.meter.level_dbfs > -30 and bob.meter.level_dbfs > -30
    await alice.phone.hangup()
    cdr = (await alice.phone.wait_for(Ended)).cdr
    far = (await bob.phone.wait_for(Ended)).cdr
    assert cdr["direction"] == "outgoing" and far["direction"] == "incoming"
    assert cdr["call_id"] == far["call_id"]
    assert (cdr["ended_by"], far["ended_by"]) == ("local", "remote")
    assert cdr["sip_status"] == 200 and cdr["talk_seconds"] >= 1.5
    assert cdr["answered_at"] is not None and cdr["ringing_at"] is not None
    media = cdr["media"]
    assert media["codec"] == "opus/48000/2"
    assert media["packets_received"] > 50 and media["bytes_received"] > 1000
    assert media["local_address"].startswith("127.0.0.1:")
    assert media["remote_address"].startswith("127.0.0.1:")
    assert media["mos"] > 4


async def test_hold_stops_the_flow_and_unhold_resumes_it(
    server_url: str, make_phone: PhoneFactory
) -> None:
    alice, bob = await connect(make_phone, server_url)
    await asyncio.sleep(0.5)
    await alice.phone.hold()
    assert await bob.phone.wait_for(HoldChanged) == HoldChanged(
        alice.phone.call.call_id if alice.phone.call else "", local=False, remote=True
    )
    assert (await alice.phone.wait_for(HoldChanged)).local is True
    assert bob.last_media.direction == "recvonly"
    await asyncio.sleep(0.3)  # packets in flight
    # The held party sends nothing; the holder sends silence (no music on hold).
    assert await packets_received(alice, 1.0) == 0
    assert bob.meter.level_dbfs < -60
    await alice.phone.unhold()
    assert (await bob.phone.wait_for(HoldChanged)).remote is False
    await asyncio.sleep(0.5)
    assert await packets_received(alice, 1.0) > 20
    assert alice.meter.dominant_hz == pytest.approx(880, abs=15)
    assert bob.meter.level_dbfs > -30


async def test_mute_sends_silence_and_packets_keep_flowing(
    server_url: str, make_phone: PhoneFactory
) -> None:
    alice, bob = await connect(make_phone, server_url)
    await asyncio.sleep(1.0)
    assert bob.meter.level_dbfs > -30
    alice.phone.mute()
    await asyncio.sleep(1.0)
    assert bob.meter.level_dbfs < -60
    assert await packets_received(bob, 0.5) > 10
    alice.phone.unmute()
    await asyncio.sleep(1.0)
    assert bob.meter.level_dbfs > -30


async def test_dtmf_by_info_reaches_the_far_end_in_order(
    server_url: str, make_phone: PhoneFactory
) -> None:
    alice, bob = await connect(make_phone, server_url)
    for digit in "19#*":
        await alice.phone.dialpad_press(digit)
    received = [await bob.phone.wait_for(DtmfReceived) for _ in range(4)]
    assert [(d.digit, d.method) for d in received] == [(d, "info") for d in "19#*"]
    await bob.phone.dialpad_press("7")
    assert (await alice.phone.wait_for(DtmfReceived)).digit == "7"


async def test_cancel_before_answer(server_url: str, make_phone: PhoneFactory) -> None:
    alice = await make_phone("alice", server_url)
    bob = await make_phone("bob", server_url)
    await alice.phone.make_call("bob")
    await bob.phone.wait_for(RingingIn)
    await alice.phone.wait_for(RingingOut)
    await alice.phone.hangup()
    cdr = (await alice.phone.wait_for(Ended)).cdr
    assert (cdr["ended_by"], cdr["sip_status"], cdr["answered_at"]) == ("local", 487, None)
    far = (await bob.phone.wait_for(Ended)).cdr
    assert (far["ended_by"], far["sip_status"]) == ("remote", 487)
    assert far["talk_seconds"] == 0


async def test_declined_call_reports_603(server_url: str, make_phone: PhoneFactory) -> None:
    alice = await make_phone("alice", server_url)
    bob = await make_phone("bob", server_url)
    await alice.phone.make_call("bob")
    await bob.phone.wait_for(RingingIn)
    await bob.phone.hangup()
    cdr = (await alice.phone.wait_for(Ended)).cdr
    assert (cdr["ended_by"], cdr["sip_status"], cdr["reason"]) == ("remote", 603, "Decline")


async def test_busy_callee_answers_486(server_url: str, make_phone: PhoneFactory) -> None:
    await connect(make_phone, server_url)  # bob is in a call with alice
    carol = await make_phone("carol", server_url)
    await carol.phone.make_call("bob")
    cdr = (await carol.phone.wait_for(Ended)).cdr
    assert (cdr["sip_status"], cdr["ended_by"]) == (486, "remote")


@pytest.mark.parametrize(("callee", "status"), [("nobody", 404), ("carol", 480)])
async def test_unknown_and_unregistered_callees(
    server_url: str, make_phone: PhoneFactory, callee: str, status: int
) -> None:
    alice = await make_phone("alice", server_url)
    await alice.phone.make_call(callee)
    cdr = (await alice.phone.wait_for(Ended)).cdr
    assert cdr["sip_status"] == status
    assert cdr["answered_at"] is None and cdr["talk_seconds"] == 0


async def test_wrong_password_is_an_error_not_a_loop(
    server_url: str, make_phone: PhoneFactory
) -> None:
    alice = await make_phone("alice", server_url, password="wrong", register=False)
    with pytest.raises(PhoneError) as raised:
        await alice.phone.register()
    assert raised.value.code == "auth_failed" and raised.value.sip_status == 401
    error = await alice.phone.wait_for(Error)
    assert (error.code, error.sip_status) == ("auth_failed", 401)
    assert "password" in error.message


async def test_failover_skips_a_dead_server(server_url: str, make_phone: PhoneFactory) -> None:
    dead = f"ws://127.0.0.1:{free_port('tcp')}"
    alice = await make_phone("alice", (dead, server_url), register=False)
    registered = await alice.phone.register()
    assert registered.server == server_url


async def test_no_server_reachable_is_an_error(make_phone: PhoneFactory) -> None:
    dead = [f"ws://127.0.0.1:{free_port('tcp')}" for _ in range(2)]
    alice = await make_phone("alice", tuple(dead), register=False)
    with pytest.raises(PhoneError) as raised:
        await alice.phone.register()
    assert raised.value.code == "unreachable"
    assert all(url in str(raised.value) for url in dead)


async def test_registers_again_after_kamailio_restarts(make_phone: PhoneFactory) -> None:
    server = Kamailio(USERS)
    server.start()
    try:
        alice = await make_phone("alice", server.ws_url)
        await alice.phone.wait_for(Registered)
        server.stop()
        assert (await alice.phone.wait_for(ConnectionChanged)).state == "connected"
        assert (await alice.phone.wait_for(ConnectionChanged)).state == "disconnected"
        server = Kamailio(USERS, ws_port=server.ws_port, udp_port=server.udp_port)
        server.start()
        assert (await alice.phone.wait_for(ConnectionChanged, 15)).state == "reconnected"
        assert (await alice.phone.wait_for(Registered, 10)).server == server.ws_url
    finally:
        server.stop()


async def test_registers_again_after_the_embedded_server_restarts(
    make_phone: PhoneFactory,
) -> None:
    users = DictDirectory(USERS)
    server = SipServer(ServerConfig(ws=("127.0.0.1", 0)), users=users)
    await server.start()
    assert server.ws is not None
    url, port = server.ws.url, server.ws.port
    alice = await make_phone("alice", url)
    await server.close()
    assert (await alice.phone.wait_for(ConnectionChanged)).state == "connected"
    assert (await alice.phone.wait_for(ConnectionChanged)).state == "disconnected"
    server = SipServer(ServerConfig(ws=("127.0.0.1", port)), users=users)
    await server.start()
    try:
        assert (await alice.phone.wait_for(ConnectionChanged, 15)).state == "reconnected"
        assert (await alice.phone.wait_for(Registered, 10)).server == url
        bob = await make_phone("bob", url, auto_answer=True)
        await alice.phone.make_call("bob")  # the new registration routes calls
        await alice.phone.wait_for(Answered)
        await bob.phone.wait_for(Answered)
    finally:
        await server.close()


async def test_echo_sends_the_callers_tone_back(
    embedded: SipServer, make_phone: PhoneFactory
) -> None:
    assert embedded.ws is not None
    alice = await make_phone("alice", embedded.ws.url)
    await alice.phone.make_call("echo")
    await alice.phone.wait_for(Answered)
    await asyncio.sleep(1.5)
    assert alice.meter.dominant_hz == pytest.approx(440, abs=15)
    assert alice.meter.level_dbfs > -30
    await alice.phone.hold()  # echo accepts re-INVITEs
    await alice.phone.unhold()
    await alice.phone.hangup()
    cdr = (await alice.phone.wait_for(Ended)).cdr
    assert cdr["sip_status"] == 200 and cdr["media"]["packets_received"] > 50


async def test_a_new_password_or_account_takes_effect_on_register(
    server_url: str, make_phone: PhoneFactory
) -> None:
    phone = await make_phone("alice", server_url, password="wrong", register=False)
    with pytest.raises(PhoneError):
        await phone.phone.register()
    phone.phone.set_config(password=USERS["alice"])
    await phone.phone.register()
    # Another account on the same Phone: it unregisters alice and registers carol.
    phone.phone.set_config(username="carol", password=USERS["carol"])
    await phone.phone.register()
    bob = await make_phone("bob", server_url)
    await bob.phone.make_call("alice")
    assert (await bob.phone.wait_for(Ended)).cdr["sip_status"] == 480  # alice is gone
    await bob.phone.make_call("carol")
    assert (await phone.phone.wait_for(RingingIn)).from_user == "bob"
