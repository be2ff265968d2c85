"""Every attribute of the Config table (docs/component.md) takes effect in Chromium.

`show-*`: only "false" hides a part; removing the attribute shows it again. A part is only
shown in the states it belongs to (Answer while ringing, Hold in an answered call ...), so each
is checked in its state. Screenshots go to /tmp/webphone-browser-shots/ (not committed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import expect

from support.phones import USERS, PhoneFactory
from support.services import Kamailio, free_port
from webphone.phone import Answered, Ended, RingingIn

from .helpers import PageOpener, PhonePage, WebphoneServer, web_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")

SHOW_ATTRIBUTES = [
    "show-dialpad",
    "show-dialled-number",
    "show-answer",
    "show-hangup",
    "show-hold",
    "show-mute",
    "show-dial",
    "show-status",
]


async def set_attribute(phone: PhonePage, name: str, value: str | None) -> None:
    """Sets (or with None removes) an attribute of the element, as a page script would."""
    await phone.evaluate(
        "arg.value === null ? el.removeAttribute(arg.name) : el.setAttribute(arg.name, arg.value);",
        {"name": name, "value": value},
    )


async def check_show(phone: PhonePage, attribute: str, *parts: str) -> None:
    """`attribute="false"` hides each of `parts` (shown now); removing it shows them again."""
    for part in parts:
        assert await phone.part(part).is_visible(), f"{part} should be shown before {attribute}"
    await set_attribute(phone, attribute, "false")
    for part in parts:
        assert not await phone.part(part).is_visible(), f'{attribute}="false" left {part} shown'
        assert await phone.part(part).get_attribute("hidden") is not None
    await set_attribute(phone, attribute, "FALSE ")  # any case, spaces around: still off
    for part in parts:
        assert not await phone.part(part).is_visible()
    await set_attribute(phone, attribute, "no")  # anything else is on
    for part in parts:
        assert await phone.part(part).is_visible(), f'{attribute}="no" should show {part}'
    await set_attribute(phone, attribute, None)
    for part in parts:
        assert await phone.part(part).is_visible(), f"removing {attribute} left {part} hidden"


async def width_of(phone: PhonePage) -> float:
    box = await phone.element.bounding_box()
    assert box is not None
    return box["width"]


async def test_width_and_the_parts_of_an_idle_phone(
    open_phone: PageOpener, screenshots: Path
) -> None:
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password=USERS["alice"])
    )
    await alice.registered()
    await expect(alice.status).to_have_text("Registered, ready for calls")
    await alice.element.screenshot(path=screenshots / "default-phone.png")

    assert await width_of(alice) == 300  # the default
    for value, width in (("260", 260), ("340px", 340), ("junk", 300)):
        await set_attribute(alice, "width", value)
        assert await width_of(alice) == width, value
        assert await alice.evaluate("return el.width;") == (0 if value == "junk" else width)
    await set_attribute(alice, "width", None)
    assert await width_of(alice) == 300

    await check_show(alice, "show-dialpad", "dialpad")
    await check_show(alice, "show-dialled-number", "dialled-number")
    await check_show(alice, "show-dial", "dial")
    await check_show(alice, "show-status", "status")
    # Parts of other states stay hidden when idle, whatever their attribute says.
    for part in ("answer", "decline", "hangup", "hold", "mute", "caller"):
        assert not await alice.part(part).is_visible(), part

    # The minimal phone: everything off but the status line.
    for attribute in SHOW_ATTRIBUTES:
        if attribute != "show-status":
            await set_attribute(alice, attribute, "false")
    assert await alice.status.is_visible()
    for part in ("dialpad", "dialled-number", "dial"):
        assert not await alice.part(part).is_visible(), part
    await alice.element.screenshot(path=screenshots / "minimal-phone.png")
    # Properties reflect the attributes as booleans.
    assert await alice.evaluate("return [el.showDialpad, el.showStatus];") == [False, True]


async def test_show_attributes_for_ringing_and_answered_calls(
    open_phone: PageOpener, far_phone: PhoneFactory, screenshots: Path
) -> None:
    bob = await far_phone("bob")
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password=USERS["alice"])
    )
    await alice.registered()
    await bob.phone.make_call("alice")
    await alice.in_call("incoming")
    await expect(alice.part("caller")).to_contain_text("bob")
    assert not await alice.part("dial").is_visible()  # no Call button while ringing

    await check_show(alice, "show-answer", "answer")
    await check_show(alice, "show-hangup", "decline")
    await check_show(alice, "show-status", "status", "caller")

    await alice.click("Answer")
    await alice.in_call()
    await bob.phone.wait_for(Answered)
    await check_show(alice, "show-hangup", "hangup")
    await check_show(alice, "show-hold", "hold")
    await check_show(alice, "show-mute", "mute")
    await check_show(alice, "show-dialpad", "dialpad")  # the dial pad sends DTMF in a call
    assert not await alice.part("dial").is_visible()
    assert not await alice.part("answer").is_visible()
    await expect(alice.element.get_by_role("timer")).to_have_text("00:01", timeout=3000)
    await alice.element.screenshot(path=screenshots / "phone-in-call.png")

    await alice.click("Hang up")
    assert (await bob.phone.wait_for(Ended)).cdr["ended_by"] == "remote"


async def test_auto_register_attribute_registers_when_added(open_phone: PageOpener) -> None:
    alice = await open_phone(web_phone(username="alice", password=USERS["alice"]))
    await alice.wait_state(lambda s: s["connection"] == "connected", what="connected")
    await asyncio.sleep(0.5)
    assert (await alice.state())["registration"] == "unregistered"
    await expect(alice.status).to_have_text("Connected, not registered")
    assert await alice.events("registered") == []

    await set_attribute(alice, "auto-register", "false")  # a boolean attribute: present is on
    await alice.registered()
    assert await alice.evaluate("return el.autoRegister;") is True


async def test_sip_server_list_fails_over_to_the_next_server(
    open_phone: PageOpener, webphone_server: WebphoneServer
) -> None:
    dead = f"ws://127.0.0.1:{free_port()}/sip"
    alice = await open_phone(
        web_phone(
            auto_register=True,
            sip_server=f"{dead}, {webphone_server.sip_url}",
            username="alice",
            password=USERS["alice"],
        )
    )
    registered = (await alice.wait_event("registered"))["detail"]
    assert registered["server"] == webphone_server.sip_url
    assert registered["expires"] > 0


async def test_realm_and_display_name_reach_the_far_end(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    bob = await far_phone("bob")
    alice = await open_phone(
        web_phone(
            auto_register=True,
            username="alice",
            password=USERS["alice"],
            realm="example.test",
            display_name="Alice Liddell",
        )
    )
    await alice.registered()  # the embedded server's digest realm is the domain asked for
    await alice.call("makeCall", "bob")
    ringing = await bob.phone.wait_for(RingingIn)
    assert ringing.from_name == "Alice Liddell"
    assert ringing.from_uri == "sip:alice@example.test"
    assert ringing.from_user == "alice"
    await bob.phone.answer()
    await alice.in_call()
    await alice.call("hangup")
    cdr = (await alice.wait_event("end"))["detail"]
    assert cdr["from"] == "sip:alice@example.test" and cdr["to"] == "sip:bob@example.test"
    assert cdr["from_name"] == "Alice Liddell"


async def test_cli_is_presented_to_the_far_end(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    """The CLI is the From user of outgoing calls. The embedded server lets a user call only
    as itself (403 otherwise), so the CLI goes through Kamailio, a SIP server that trusts its
    WebSocket clients (no digest over WS) as a PBX presenting numbers would."""
    with Kamailio(USERS, auth_ws=False) as kamailio:
        bob = await far_phone("bob", ws_servers=(kamailio.ws_url,))
        alice = await open_phone(
            web_phone(
                auto_register=True,
                sip_server=kamailio.ws_url,
                username="alice",
                password=USERS["alice"],
                cli="5551234",
                display_name="Sales",
            )
        )
        assert (await alice.wait_event("registered"))["detail"]["server"] == kamailio.ws_url
        await alice.call("makeCall", "bob")
        ringing = await bob.phone.wait_for(RingingIn)
        assert ringing.from_user == "5551234"
        assert ringing.from_name == "Sales"
        await bob.phone.hangup()  # declines
        cdr = (await alice.wait_event("end"))["detail"]
        assert cdr["cli"] == "5551234" and cdr["from"].startswith("sip:5551234@")
        await alice.call("unregister")


async def test_embedded_server_refuses_a_cli_that_is_not_the_user(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    await far_phone("bob")
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password=USERS["alice"], cli="5551234")
    )
    await alice.registered()
    await alice.call("makeCall", "bob")
    cdr = (await alice.wait_event("end"))["detail"]
    assert cdr["from"].startswith("sip:5551234@")  # the CLI was presented ...
    assert cdr["sip_status"] == 403  # ... and refused: From is not the authenticated user
    await expect(alice.status).to_contain_text("Forbidden")


async def test_username_and_password_attributes_change_the_account(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    bob = await far_phone("bob")
    phone = await open_phone(
        web_phone(auto_register=True, username="alice", password=USERS["alice"])
    )
    await phone.registered()
    # Both settings change together (one microtask), then the phone registers again.
    await phone.evaluate("el.username = 'carol'; el.password = arg;", USERS["carol"])
    await phone.wait_event("registered", 2, timeout=3)
    await bob.phone.make_call("carol")
    ringing = (await phone.wait_event("ringingin"))["detail"]
    assert ringing["fromUser"] == "bob"
    await phone.click("Decline")
    assert (await bob.phone.wait_for(Ended)).cdr["sip_status"] in (486, 603)


async def test_hidden_phone_is_not_shown_but_its_api_works(open_phone: PageOpener) -> None:
    carol = await open_phone(
        web_phone(hidden=True, auto_register=True, username="carol", password=USERS["carol"])
    )
    await carol.registered()
    assert not await carol.element.is_visible()
    assert await carol.element.bounding_box() is None
    call_id = await carol.call("makeCall", "echo")
    answer = (await carol.wait_event("answer"))["detail"]
    assert answer["callId"] == call_id
    await carol.wait_stats(lambda s: s.energy > 0, what="echoed audio in a hidden phone")
    await carol.call("hangup")
    assert (await carol.wait_event("end"))["detail"]["call_id"] == call_id
    await set_attribute(carol, "hidden", None)
    assert await carol.element.is_visible()
