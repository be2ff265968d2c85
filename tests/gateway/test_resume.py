"""A dropped page connection: resume within the grace period, or the session ends."""

from __future__ import annotations

import asyncio

import pytest

from support.page import FakePage
from support.phones import PhoneFactory
from support.services import Kamailio
from webphone.phone import Answered, Ended, HoldChanged

from .conftest import GatewayFactory
from .test_calls import ALICE_HZ, registered_page


def assert_each_event_once(page: FakePage) -> None:
    """Events came numbered 1, 2, 3 ... over every connection: no gap, no repeat."""
    assert [e["seq"] for e in page.events] == list(range(1, len(page.events) + 1))


async def test_resume_mid_call_delivers_what_was_missed_once(
    start_gateway: GatewayFactory, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    gateway = await start_gateway(default_servers=(kamailio.ws_url,))
    bob = await make_phone("bob", kamailio.ws_url, auto_answer=True)
    page = await registered_page(gateway)
    await page.ok("make_call", address="bob")
    await page.event("answer")
    await page.drop()
    assert len(gateway.sessions) == 1 and gateway.sessions.attached == 0

    # While the page is away: a digit (an event) and a hold (a media request) from bob.
    await bob.phone.dialpad_press("7")
    holding = asyncio.create_task(bob.phone.hold())
    await asyncio.sleep(0.3)
    assert not holding.done()  # the re-INVITE waits for the page's answer
    seen = page.last_seq

    reply = await page.connect(resume=True)
    assert reply["resumed"] is True and reply["seq"] > seen
    assert (await page.event("dtmf"))["digit"] == "7"
    request = await page.request("create_answer")
    assert "a=sendonly" in request["offer"]
    await asyncio.wait_for(holding, 5)
    assert (await bob.phone.wait_for(HoldChanged)).local is True
    assert (await page.event("hold"))["remote"] is True
    assert_each_event_once(page)

    # The call goes on: media never stopped, and the page still controls it.
    await bob.phone.unhold()
    assert (await bob.phone.wait_for(HoldChanged)).local is False
    await asyncio.sleep(1.0)
    assert bob.meter.dominant_hz == pytest.approx(ALICE_HZ, abs=15)
    await page.ok("hangup")
    assert (await bob.phone.wait_for(Ended)).cdr["ended_by"] == "remote"
    await page.event("end")
    assert_each_event_once(page)


async def test_unanswered_media_requests_are_sent_again(
    start_gateway: GatewayFactory, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    gateway = await start_gateway(default_servers=(kamailio.ws_url,))
    page = await registered_page(gateway)
    bob = await make_phone("bob", kamailio.ws_url)
    await bob.phone.make_call("alice")
    await page.event("ringing_in")
    page.answering = False
    answering = asyncio.create_task(page.op("answer"))
    first = await page.request("create_answer")
    await page.drop()  # the request went out; its answer never came
    answering.cancel()

    page.requests.clear()
    await page.connect(resume=True)
    again = await page.request("create_answer")
    assert (again["rid"], again["offer"]) == (first["rid"], first["offer"])
    await page.answer_pending()
    assert (await page.event("answer"))["direction"] == "incoming"
    await bob.phone.wait_for(Answered)
    assert_each_event_once(page)


async def test_after_the_grace_period_the_call_ends_and_resume_fails(
    start_gateway: GatewayFactory, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    gateway = await start_gateway(default_servers=(kamailio.ws_url,), grace_period=0.5)
    bob = await make_phone("bob", kamailio.ws_url, auto_answer=True)
    page = await registered_page(gateway)
    await page.ok("make_call", address="bob")
    await page.event("answer")
    await page.drop()

    cdr = (await bob.phone.wait_for(Ended, timeout=5)).cdr
    assert cdr["ended_by"] == "remote"
    assert len(gateway.sessions) == 0
    # The registration went too: a call to alice finds nobody.
    await bob.phone.make_call("alice")
    assert (await bob.phone.wait_for(Ended)).cdr["sip_status"] in (404, 480)

    reply = await page.connect(resume=True)
    assert reply["resumed"] is False
    assert (await page.event("error"))["code"] == "resume_failed"


async def test_resume_without_a_call_keeps_the_registration(
    start_gateway: GatewayFactory, kamailio: Kamailio, make_phone: PhoneFactory
) -> None:
    gateway = await start_gateway(default_servers=(kamailio.ws_url,))
    page = await registered_page(gateway)
    await page.drop()
    bob = await make_phone("bob", kamailio.ws_url)
    await bob.phone.make_call("alice")  # rings the session while its page is away
    await asyncio.sleep(0.3)
    await page.connect(resume=True)
    assert (await page.event("ringing_in"))["from_user"] == "bob"
    await page.ok("hangup")
    assert (await bob.phone.wait_for(Ended)).cdr["sip_status"] == 603
    assert not [e for e in page.events if e["event"] == "registered"][1:]  # once only
