"""A browser session calls through Kamailio: register, calls both ways, hold, DTMF, audio.

The "browser" is FakePage (a real aiortc peer connection answering media requests); the far
end is a headless Phone. Audio flows straight between them: each hears the other's tone.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from support.page import FakePage
from support.phones import USERS, PhoneFactory, PhoneUnderTest
from support.services import Kamailio
from webphone.phone import Answered, DtmfReceived, Ended, HoldChanged, RingingIn

from .conftest import Gateway

ALICE_HZ, BOB_HZ = 440.0, 880.0


async def registered_page(gateway: Gateway, user: str = "alice") -> FakePage:
    page = gateway.page(ALICE_HZ)
    await page.connect()
    await page.ok("set_config", username=user, password=USERS[user], displayName="Alice")
    await page.ok("register")
    return page


async def call_bob(
    gateway: Gateway, make_phone: PhoneFactory, url: str
) -> tuple[FakePage, PhoneUnderTest]:
    """The page (alice) calls bob, who answers at once."""
    bob = await make_phone("bob", url, auto_answer=True)
    page = await registered_page(gateway)
    await page.ok("make_call", address="bob")
    await page.event("answer")
    await bob.phone.wait_for(Answered)
    return page, bob


async def test_register_gives_a_registered_event(gateway: Gateway, kamailio: Kamailio) -> None:
    page = gateway.page()
    await page.connect()
    await page.ok("set_config", username="alice", password=USERS["alice"])
    result = await page.ok("register")
    assert result["server"] == kamailio.ws_url and result["expires"] > 0
    event = await page.event("registered")
    assert (event["server"], event["expires"]) == (kamailio.ws_url, result["expires"])
    assert [e["seq"] for e in page.events] == list(range(1, len(page.events) + 1))
    await page.ok("unregister")
    assert (await page.event("unregistered"))["reason"] == "requested"


async def test_wrong_password_is_an_error_reply_and_event(gateway: Gateway) -> None:
    page = gateway.page()
    await page.connect()
    await page.ok("set_config", username="alice", password="wrong")
    reply = await page.op("register")
    assert (reply["code"], reply["sip_status"]) == ("auth_failed", 401)
    assert (await page.event("error"))["code"] == "auth_failed"
    await page.ok("ping")


async def test_call_out_carries_the_pages_tone_and_ends_with_a_cdr(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory, cdrs: list[dict[str, Any]]
) -> None:
    bob = await make_phone("bob", kamailio.ws_url, auto_answer=True)
    page = await registered_page(gateway)
    started = time.perf_counter()
    result = await page.ok("make_call", address="bob")
    answered = await page.event("answer")
    setup_ms = 1000 * (time.perf_counter() - started)
    assert (answered["call_id"], answered["direction"]) == (result["call_id"], "outgoing")
    offer = await page.request("create_offer")
    assert (offer["direction"], offer["video"]) == ("sendrecv", False)
    assert (await page.request("set_answer"))["answer"].startswith("v=0")
    await asyncio.sleep(1.5)
    assert bob.meter.dominant_hz == pytest.approx(ALICE_HZ, abs=15)
    assert page.meter.dominant_hz == pytest.approx(BOB_HZ, abs=15)
    started = time.perf_counter()
    await page.ok("hangup")
    end = await page.event("end")
    hangup_ms = 1000 * (time.perf_counter() - started)
    print(f"gateway call set-up {setup_ms:.0f} ms, hang-up {hangup_ms:.0f} ms")
    cdr = end["cdr"]
    assert (cdr["call_id"], cdr["direction"], cdr["ended_by"]) == (
        result["call_id"],
        "outgoing",
        "local",
    )
    assert cdr["sip_status"] == 200 and cdr["talk_seconds"] >= 1.5
    media = cdr["media"]  # the page's statistics, with the gateway's MOS
    assert media["codec"] == "opus/48000/2" and media["packets_received"] > 50
    assert media["mos"] > 4
    assert cdrs == [cdr]  # the gateway's CDR hook (to store it) got the same record
    assert (await bob.phone.wait_for(Ended)).cdr["ended_by"] == "remote"
    await page.request("close")
    assert setup_ms < 1000 and hangup_ms < 500  # generous: the targets are 200 and 50 ms


async def test_call_in_rings_the_page_and_is_answered_by_it(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page = await registered_page(gateway)
    bob = await make_phone("bob", kamailio.ws_url)
    await bob.phone.make_call("alice")
    ringing = await page.event("ringing_in")
    assert (ringing["from_user"], ringing["video"]) == ("bob", False)
    assert not page.requests  # no media until answered
    await page.ok("answer")
    request = await page.request("create_answer")
    assert request["direction"] == "sendrecv" and request["offer"].startswith("v=0")
    assert (await page.event("answer"))["direction"] == "incoming"
    await bob.phone.wait_for(Answered)
    await asyncio.sleep(1.5)
    assert bob.meter.dominant_hz == pytest.approx(ALICE_HZ, abs=15)
    assert page.meter.dominant_hz == pytest.approx(BOB_HZ, abs=15)
    await bob.phone.hangup()
    assert (await page.event("end"))["cdr"]["ended_by"] == "remote"


async def test_hold_and_unhold_ask_the_page_for_new_offers(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page, bob = await call_bob(gateway, make_phone, kamailio.ws_url)
    await page.ok("hold")
    offers = [r for r in page.requests if r["method"] == "create_offer"]
    assert [o["direction"] for o in offers] == ["sendrecv", "sendonly"]
    assert (await page.event("hold"))["local"] is True
    assert (await bob.phone.wait_for(HoldChanged)).remote is True
    await page.ok("unhold")
    offers = [r for r in page.requests if r["method"] == "create_offer"]
    assert offers[-1]["direction"] == "sendrecv"
    assert (await page.event("hold"))["local"] is False
    assert (await bob.phone.wait_for(HoldChanged)).remote is False
    await asyncio.sleep(1.0)
    assert bob.meter.dominant_hz == pytest.approx(ALICE_HZ, abs=15)


async def test_held_by_the_far_end_the_page_answers_the_reoffer(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page, bob = await call_bob(gateway, make_phone, kamailio.ws_url)
    await bob.phone.hold()
    event = await page.event("hold")
    assert (event["local"], event["remote"]) == (False, True)
    reoffer = [r for r in page.requests if r["method"] == "create_answer"][-1]
    assert "a=sendonly" in reoffer["offer"]


async def test_dtmf_goes_by_info_when_the_page_cannot_send_it(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page, bob = await call_bob(gateway, make_phone, kamailio.ws_url)
    for digit in "1#":
        await page.ok("dtmf", digit=digit)
    received = [await bob.phone.wait_for(DtmfReceived) for _ in range(2)]
    assert [(d.digit, d.method) for d in received] == [("1", "info"), ("#", "info")]
    assert [r["digits"] for r in page.requests if r["method"] == "send_dtmf"] == ["1", "#"]
    await bob.phone.dialpad_press("9")
    event = await page.event("dtmf")
    assert (event["digit"], event["method"]) == ("9", "info")


async def test_mute_is_passed_to_the_page(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page, _ = await call_bob(gateway, make_phone, kamailio.ws_url)
    await page.ok("mute")
    await page.ok("unmute")
    await asyncio.sleep(0.1)
    assert [r["muted"] for r in page.requests if r["method"] == "mute"] == [True, False]


async def test_a_page_that_refuses_media_fails_the_call(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    await make_phone("bob", kamailio.ws_url, auto_answer=True)
    page = await registered_page(gateway)
    page.fail = {"create_offer"}
    await page.ok("make_call", address="bob")
    error = await page.event("error")
    assert error["code"] == "media_failed" and "NotAllowedError" in error["message"]
    assert (await page.event("end"))["cdr"]["ended_by"] == "system"
    reply = await page.op("hangup")
    assert reply["code"] == "invalid_state"


async def test_one_call_at_a_time(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    page, _ = await call_bob(gateway, make_phone, kamailio.ws_url)
    reply = await page.op("make_call", address="carol")
    assert reply["code"] == "invalid_state"
    assert (await page.ok("hangup"))["ok"] is True


async def test_far_end_incoming_phone_rings_with_callers_name(
    gateway: Gateway, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    bob = await make_phone("bob", kamailio.ws_url)
    page = await registered_page(gateway)
    await page.ok("make_call", address="bob")
    ringing = await bob.phone.wait_for(RingingIn)
    assert (ringing.from_user, ringing.from_name) == ("alice", "Alice")
    assert (await page.event("ringing_out"))["status"] == 180
    await page.ok("hangup")
    assert (await page.event("end"))["cdr"]["sip_status"] == 487
