"""Two browser pages, alice and bob, call each other through the gateway and the embedded server.

Each page is the instant phone (`<web-phone auto-register username=... password=...>`), driven
by clicking its buttons. Chromium's fake microphone beeps, so an audio energy above zero on the
receiving side proves that media flows; the selected ICE pair shows it stays on loopback.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from playwright.async_api import expect

from .helpers import PageOpener, PhonePage, instant_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")

CDR_FIELDS = {
    "call_id",
    "direction",
    "from",
    "to",
    "from_name",
    "to_name",
    "cli",
    "server",
    "started_at",
    "ringing_at",
    "answered_at",
    "ended_at",
    "ring_seconds",
    "talk_seconds",
    "ended_by",
    "sip_status",
    "reason",
    "media",
}
MEDIA_FIELDS = {
    "codec",
    "packets_sent",
    "packets_received",
    "bytes_sent",
    "bytes_received",
    "packets_lost",
    "jitter_ms",
    "rtt_ms",
    "mos",
}


async def alice_calls_bob(open_phone: PageOpener) -> tuple[PhonePage, PhonePage]:
    """alice types bob and clicks Call; bob's page rings and he clicks Answer."""
    alice = await instant_phone(open_phone, "alice")
    bob = await instant_phone(open_phone, "bob")
    await alice.dial("bob")
    ringing = (await bob.wait_event("ringingin"))["detail"]
    assert ringing["fromUser"] == "alice"
    assert ringing["fromUri"].startswith("sip:alice@")
    assert ringing["video"] is False
    await expect(bob.status).to_contain_text("Incoming call from alice")
    await expect(bob.button("Decline")).to_be_visible()
    await bob.click("Answer")
    await alice.in_call()
    await bob.in_call()
    return alice, bob


def check_cdr(cdr: dict[str, Any], direction: str, ended_by: str) -> None:
    """A CDR of an answered call, shaped as docs/cdr.md says."""
    assert set(cdr) >= CDR_FIELDS, f"missing: {CDR_FIELDS - set(cdr)}"
    assert set(cdr["media"]) >= MEDIA_FIELDS, f"missing: {MEDIA_FIELDS - set(cdr['media'])}"
    assert cdr["direction"] == direction
    assert cdr["ended_by"] == ended_by
    assert cdr["sip_status"] == 200
    assert cdr["from"].startswith("sip:alice@") and cdr["to"].startswith("sip:bob@")
    assert cdr["server"].endswith("/sip")
    started, answered, ended = (
        datetime.fromisoformat(cdr[name]) for name in ("started_at", "answered_at", "ended_at")
    )
    offset = started.utcoffset()
    assert offset is not None and offset.total_seconds() == 0  # UTC
    assert started <= answered <= ended
    assert cdr["talk_seconds"] > 0
    assert cdr["talk_seconds"] == pytest.approx((ended - answered).total_seconds(), abs=0.01)
    media = cdr["media"]
    assert media["codec"] == "opus/48000/2"
    assert media["packets_received"] > 0 and media["bytes_received"] > 0
    assert media["packets_sent"] > 0 and media["bytes_sent"] > 0
    assert media["packets_lost"] is not None and media["packets_lost"] >= 0
    assert media["mos"] is not None and 1 <= media["mos"] <= 4.5


async def test_two_pages_call_hear_each_other_and_hang_up(open_phone: PageOpener) -> None:
    alice, bob = await alice_calls_bob(open_phone)
    answer = (await alice.wait_event("answer"))["detail"]
    assert answer["direction"] == "outgoing" and answer["remoteUri"].startswith("sip:bob@")
    assert (await bob.wait_event("answer"))["detail"]["direction"] == "incoming"

    for page in (alice, bob):
        stats = await page.wait_stats(lambda s: s.hearing, what="audio received")
        assert stats.on_loopback, stats
        assert stats.codec == "audio/opus"
    await expect(alice.status).to_have_text("In call")
    await expect(alice.element.get_by_role("timer")).to_have_text("00:01", timeout=3000)

    await alice.click("Hang up")
    mine = (await alice.wait_event("end"))["detail"]
    theirs = (await bob.wait_event("end"))["detail"]
    assert mine["call_id"] == theirs["call_id"]
    check_cdr(mine, "outgoing", "local")
    check_cdr(theirs, "incoming", "remote")
    await expect(alice.button("Call")).to_be_visible()
    await expect(bob.button("Hang up")).to_be_hidden()
    assert (await alice.state())["call"] is None and (await bob.state())["call"] is None


async def test_hold_stops_the_held_side_and_mute_sends_silence(open_phone: PageOpener) -> None:
    alice, bob = await alice_calls_bob(open_phone)
    await alice.wait_stats(lambda s: s.hearing, what="audio at alice")
    await bob.wait_stats(lambda s: s.hearing, what="audio at bob")

    hold = alice.button("Hold")
    await alice.click(hold)
    await expect(hold).to_have_attribute("aria-pressed", "true")
    held = (await bob.wait_event("hold"))["detail"]
    assert (held["local"], held["remote"]) == (False, True)
    assert (await alice.wait_event("hold"))["detail"]["local"] is True
    await expect(alice.status).to_have_text("On hold")
    await expect(bob.status).to_have_text("Held by the other party")
    await asyncio.sleep(0.3)  # packets in flight
    # alice holds with sendonly: bob, the held side, sends nothing while she keeps sending.
    (a0, a1), (b0, b1) = await asyncio.gather(alice.flow(1.0), bob.flow(1.0))
    assert a1.packets_received == a0.packets_received, (a0, a1)
    assert b1.packets_received - b0.packets_received > 20

    await alice.click(hold)
    await expect(hold).to_have_attribute("aria-pressed", "false")
    assert (await bob.wait_event("hold", 2))["detail"]["remote"] is False
    await asyncio.sleep(0.3)
    a0, a1 = await alice.flow(1.0)
    assert a1.packets_received - a0.packets_received > 20
    assert a1.energy > a0.energy

    mute = alice.button("Mute")
    await alice.click(mute)
    await expect(mute).to_have_attribute("aria-pressed", "true")
    await expect(alice.status).to_have_text("In call, muted")
    await asyncio.sleep(0.5)  # sound already on its way
    b0, b1 = await bob.flow(1.0)
    assert b1.packets_received - b0.packets_received > 20  # packets keep arriving ...
    assert b1.energy - b0.energy < 1e-6, (b0, b1)  # ... carrying silence
    assert (b1.audio_level or 0) < 0.001

    await alice.click(mute)
    await expect(mute).to_have_attribute("aria-pressed", "false")
    await asyncio.sleep(0.3)
    b0, b1 = await bob.flow(1.0)
    assert b1.energy - b0.energy > 0.01, (b0, b1)
