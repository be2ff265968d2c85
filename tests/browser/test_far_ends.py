"""A browser page calls the far ends that are not browsers: headless Python phones and `echo`.

The Python phones (aiortc) register to the same embedded server over its /sip WebSocket, from
the test's own event loop; they send their user's tone (support.phones.TONES: alice 440 Hz,
bob 880 Hz, carol 660 Hz) and measure what they hear.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect

from support.phones import TONES, PhoneFactory
from webphone.phone import Answered, DtmfReceived, Ended, RingingIn

from .helpers import PageOpener, instant_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_dialpad_in_a_call_sends_dtmf_by_sip_info_to_an_aiortc_far_end(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    bob = await far_phone("bob")
    alice = await instant_phone(open_phone, "alice")
    await alice.dial("bob")
    ringing = await bob.phone.wait_for(RingingIn)
    assert ringing.from_user == "alice"
    await bob.phone.answer()
    await alice.in_call()
    await alice.wait_stats(lambda s: s.hearing, what="bob's tone at alice")

    # aiortc offers and answers no telephone-event, so Chromium's RTCDTMFSender cannot send
    # RFC 4733 digits: the page answers send_dtmf with sent=false and the server sends INFO.
    answer_sdp = await alice.page.evaluate("window.__wpt.pcs.at(-1).remoteDescription.sdp")
    assert "telephone-event" not in answer_sdp
    can_insert = await alice.page.evaluate(
        "window.__wpt.pcs.at(-1).getSenders().find((s) => s.track?.kind == 'audio').dtmf"
        ".canInsertDTMF"
    )
    assert can_insert is False

    for digit in "12#":
        await alice.click(alice.key(digit))
    received = [await bob.phone.wait_for(DtmfReceived, timeout=5) for _ in range(3)]
    assert [(d.digit, d.method) for d in received] == [("1", "info"), ("2", "info"), ("#", "info")]
    # In a call the number box shows the digits sent.
    await expect(alice.number_box).to_have_value("12#")

    # And the other way: a digit from the far end reaches the page as a `dtmf` event.
    await bob.phone.dialpad_press("7")
    dtmf = (await alice.wait_event("dtmf"))["detail"]
    assert (dtmf["digit"], dtmf["method"]) == ("7", "info")
    assert dtmf["callId"] == ringing.call_id


async def test_calling_echo_plays_back_our_own_audio(open_phone: PageOpener) -> None:
    carol = await instant_phone(open_phone, "carol")
    await carol.dial("echo")
    answer = (await carol.wait_event("answer"))["detail"]
    assert answer["remoteUri"].startswith("sip:echo@")
    stats = await carol.wait_stats(lambda s: s.hearing, what="echoed audio")
    assert stats.on_loopback
    assert stats.codec == "audio/opus"
    # What comes back is the fake microphone's beep: energy keeps growing as it arrives.
    s0, s1 = await carol.flow(1.0)
    assert s1.packets_received - s0.packets_received > 20
    assert s1.energy > s0.energy
    await carol.click("Hang up")
    cdr = (await carol.wait_event("end"))["detail"]
    assert cdr["sip_status"] == 200 and cdr["media"]["packets_received"] > 0


async def test_python_phone_hears_the_browser_and_the_browser_hears_its_tone(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    alice = await far_phone("alice", auto_answer=True)  # a 440 Hz tone
    carol = await instant_phone(open_phone, "carol")
    await carol.dial("alice")
    assert (await alice.phone.wait_for(Answered)).direction == "incoming"
    await carol.in_call()
    stats = await carol.wait_stats(lambda s: s.hearing, what="alice's tone in the browser")
    assert stats.on_loopback

    # The Python side hears the browser's fake microphone above -50 dBFS: Chromium's beep, which
    # measures about 400 Hz here (not the Python phone's own 440 Hz coming back).
    levels: list[float] = []
    for _ in range(20):
        await asyncio.sleep(0.1)
        levels.append(alice.meter.level_dbfs)
    # (aiortc counts bytes received from the sender's RTCP reports, which come later.)
    media = await alice.last_media.refresh_stats()
    assert media.packets_received > 20
    assert media.local_address and media.local_address.startswith("127.0.0.1:")
    assert max(levels) > -50, levels
    heard = alice.meter.dominant_hz
    assert heard is not None and heard == pytest.approx(400, abs=20)
    assert abs(heard - TONES["alice"]) > 20

    await carol.click("Hang up")
    cdr = (await alice.phone.wait_for(Ended)).cdr
    assert (cdr["ended_by"], cdr["sip_status"]) == ("remote", 200)
    assert cdr["media"]["packets_received"] > 0
