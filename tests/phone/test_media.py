"""AiortcMedia end to end: two endpoints in one process, SDP exchanged directly (no SIP).

Media must stay on loopback, so this module runs only inside a network namespace that has
nothing but `lo` (TESTING.md). Run it as root with:
    unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest tests/phone -q'
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import socket
import threading
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aioice.ice
import numpy as np
import pytest

from webphone.phone import (
    AiortcMedia,
    Direction,
    LevelMeter,
    MediaError,
    MediaStats,
    ToneSource,
    WavRecorder,
    WavSource,
    estimate_mos,
)
from webphone.phone.media_hosts import MEDIA_HOSTS_ENV, parse_hosts, resolve_hosts, using_hosts


def _check_loopback_only_namespace() -> None:
    # if_nameindex() asks the kernel about *this* network namespace; /sys/class/net would not
    # do: after `unshare --net` it still shows the host's interfaces (sysfs is not remounted).
    interfaces = sorted(name for _, name in socket.if_nameindex())
    if interfaces != ["lo"]:
        pytest.fail(
            f"tests/phone/test_media.py makes real media and must run in a network namespace "
            f"with only 'lo' (found {interfaces}). Run as root:\n"
            "  unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest "
            "tests/phone -q'",
            pytrace=False,
        )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:  # a datagram to ourselves: "Network is unreachable" while lo is down
            probe.bind(("127.0.0.1", 0))
            probe.settimeout(1)
            probe.sendto(b"?", probe.getsockname())
            probe.recv(1)
        except OSError as exc:
            pytest.fail(f"loopback does not work ({exc}): run 'ip link set lo up'", pytrace=False)


_check_loopback_only_namespace()

LOOPBACK = ["127.0.0.1"]


async def until(
    predicate: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = 5.0
) -> None:
    """Poll `predicate` (sync, or returning an awaitable) every 50 ms; fail naming `what`
    after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _value(predicate()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else bool(result)


async def _gt(media: AiortcMedia, name: str, value: int) -> bool:
    """Whether a fresh figure from `media`'s stats exceeds `value`."""
    return bool(getattr(await media.refresh_stats(), name) > value)


async def negotiate(
    offerer: AiortcMedia,
    answerer: AiortcMedia,
    direction: Direction = "sendrecv",
    answering: Direction = "sendrecv",
) -> str:
    offer = await offerer.create_offer(direction)
    answer = await answerer.create_answer(offer, answering)
    await offerer.set_answer(answer)
    return answer


@contextlib.asynccontextmanager
async def call(a: AiortcMedia, b: AiortcMedia, timeout: float = 10.0) -> AsyncIterator[None]:
    """A negotiated call between `a` (offerer) and `b`, closed afterwards, bounded in time."""
    async with asyncio.timeout(timeout):
        try:
            await negotiate(a, b)
            yield
        finally:
            await a.close()
            await b.close()


async def stats(media: AiortcMedia) -> MediaStats:
    return await media.refresh_stats()


async def sent_after(media: AiortcMedia, seconds: float) -> int:
    """Packets `media` sent during the next `seconds`."""
    before = (await stats(media)).packets_sent
    await asyncio.sleep(seconds)
    return (await stats(media)).packets_sent - before


@pytest.mark.asyncio
async def test_tones_cross_both_ways_on_loopback() -> None:
    meter_a, meter_b = LevelMeter(), LevelMeter()
    a = AiortcMedia(ToneSource(440), meter_a, hosts=LOOPBACK)
    b = AiortcMedia(ToneSource(880), meter_b, hosts=LOOPBACK)
    async with call(a, b):
        await until(lambda: meter_a.samples > 48000 and meter_b.samples > 48000, "1 s of audio")
        assert meter_b.dominant_hz == pytest.approx(440, abs=15)
        assert meter_a.dominant_hz == pytest.approx(880, abs=15)
        assert meter_b.level_dbfs > -40 and meter_a.level_dbfs > -40
        await until(lambda: _gt(a, "bytes_received", 0), "an RTCP sender report to a")
        await until(lambda: _gt(b, "bytes_received", 0), "an RTCP sender report to b")
        for media in (a, b):
            s = await stats(media)
            assert s.codec == "opus/48000/2"
            assert s.packets_sent > 0 and s.packets_received > 0
            assert s.bytes_sent > 0 and s.bytes_received > 0
            assert s.local_address is not None and s.local_address.startswith("127.0.0.1:")
            assert s.remote_address is not None and s.remote_address.startswith("127.0.0.1:")
            assert s.packets_lost == 0
            assert s.mos is not None and s.mos > 4.0
            assert s.jitter_ms is not None and s.jitter_ms >= 0
        assert a.direction == b.direction == "sendrecv"
        json.dumps(a.stats().to_dict())  # the CDR stores it as JSON
    assert a.stats().packets_sent > 0  # final figures survive close()


@pytest.mark.parametrize(
    ("holder", "direction", "held_answers"),
    [("b", "sendonly", "recvonly"), ("a", "inactive", "inactive")],
)
@pytest.mark.asyncio
async def test_hold_stops_the_held_side_and_unhold_resumes(
    holder: str, direction: Direction, held_answers: Direction
) -> None:
    a = AiortcMedia(ToneSource(440), hosts=LOOPBACK)
    b = AiortcMedia(ToneSource(880), hosts=LOOPBACK)
    async with call(a, b):
        await until(lambda: _gt(a, "packets_received", 10), "media", timeout=3)
        assert await sent_after(a, 0.2) > 0 and await sent_after(b, 0.2) > 0
        holding, held = (b, a) if holder == "b" else (a, b)

        answer = await negotiate(holding, held, direction)  # re-INVITE on the same connection
        assert f"a={held_answers}" in answer
        assert held.direction == held_answers and holding.direction == direction
        await asyncio.sleep(0.2)  # packets already in flight
        assert await sent_after(held, 1.0) == 0
        if direction == "sendonly":
            assert await sent_after(holding, 0.3) > 5  # music on hold would still flow
        else:
            assert await sent_after(holding, 1.0) == 0

        await negotiate(holding, held, "sendrecv")  # unhold
        assert held.direction == holding.direction == "sendrecv"
        assert await sent_after(held, 0.5) > 10 and await sent_after(holding, 0.3) > 5
        for media in (a, b):  # by now RTCP has measured the round trip (LSR/DLSR)
            rtt = (await stats(media)).rtt_ms
            assert rtt is not None and 0 < rtt < 100


@pytest.mark.asyncio
async def test_either_side_may_re_offer() -> None:
    # Either side may send the next re-INVITE; the holder's answer keeps the hold.
    a = AiortcMedia(hosts=LOOPBACK)
    b = AiortcMedia(hosts=LOOPBACK)
    async with call(a, b):
        await negotiate(a, b, "sendonly")
        answer = await negotiate(b, a, "sendrecv", answering="sendonly")  # a still holds
        assert "a=sendonly" in answer and b.direction == "recvonly"
        await asyncio.sleep(0.1)
        assert await sent_after(b, 0.5) == 0
        await negotiate(b, a, "sendrecv")  # a agrees this time: unhold by the held side
        assert (a.direction, b.direction) == ("sendrecv", "sendrecv")
        assert await sent_after(b, 0.5) > 10


@pytest.mark.asyncio
async def test_mute_sends_silence_but_keeps_packets_flowing() -> None:
    meter = LevelMeter(window=0.3)
    a = AiortcMedia(ToneSource(440), hosts=LOOPBACK)
    b = AiortcMedia(sink=meter, hosts=LOOPBACK)
    async with call(a, b):
        await until(lambda: meter.samples > 24000 and meter.level_dbfs > -40, "the tone")
        a.mute()
        assert a.muted
        received = (await stats(b)).packets_received
        await until(lambda: meter.level_dbfs < -60, "silence", timeout=2)
        assert (await stats(b)).packets_received > received + 10
        a.mute(False)
        await until(lambda: meter.level_dbfs > -40, "the tone again", timeout=2)
        assert meter.dominant_hz == pytest.approx(440, abs=15)


@pytest.mark.asyncio
async def test_wav_recorder_records_the_far_end(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    recorder = WavRecorder(path)
    a = AiortcMedia(ToneSource(440), hosts=LOOPBACK)
    b = AiortcMedia(sink=recorder, hosts=LOOPBACK)
    async with call(a, b):
        await until(lambda: recorder.frames > 60, "1.2 s of audio")
    with wave.open(str(path), "rb") as wav:  # close() finished the file
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 48000)
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")[-24000:]
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    assert np.argmax(spectrum) * 48000 / len(samples) == pytest.approx(440, abs=5)


@pytest.mark.asyncio
async def test_wav_source_plays_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    t = np.arange(8000) / 16000
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(np.round(12000 * np.sin(2 * np.pi * 660 * t)).astype("<i2").tobytes())
    meter = LevelMeter()
    a = AiortcMedia(WavSource(path), hosts=LOOPBACK)
    b = AiortcMedia(sink=meter, hosts=LOOPBACK)
    async with call(a, b):
        await until(lambda: meter.samples > 48000, "1 s of audio")
        assert meter.dominant_hz == pytest.approx(660, abs=15)
        assert meter.level_dbfs > -40


@pytest.mark.asyncio
async def test_video_m_line_and_frames_both_ways() -> None:
    a = AiortcMedia(hosts=LOOPBACK, video=True)
    b = AiortcMedia(hosts=LOOPBACK, video=True)
    async with asyncio.timeout(10):
        try:
            offer = await a.create_offer()
            assert "m=video" in offer and "m=audio" in offer
            await a.set_answer(await b.create_answer(offer))
            await until(lambda: a.video_sink.frames > 5 and b.video_sink.frames > 5, "video frames")
            assert (await stats(a)).local_address is not None
        finally:
            await a.close()
            await b.close()


@pytest.mark.asyncio
async def test_video_offer_to_an_audio_only_phone_is_answered_inactive() -> None:
    a = AiortcMedia(hosts=LOOPBACK, video=True)
    b = AiortcMedia(hosts=LOOPBACK)
    try:
        answer = await b.create_answer(await a.create_offer())
        video = answer[answer.index("m=video") :]
        assert "a=inactive" in video
    finally:
        await a.close()
        await b.close()


@pytest.mark.asyncio
async def test_an_audio_only_offer_drops_the_answerers_video() -> None:
    a = AiortcMedia(hosts=LOOPBACK)
    b = AiortcMedia(hosts=LOOPBACK, video=True)
    try:
        await a.set_answer(await b.create_answer(await a.create_offer()))
        re_offer = await b.create_offer("sendonly")
        assert "m=video" not in re_offer
    finally:
        await a.close()
        await b.close()


@pytest.mark.asyncio
async def test_close_leaves_no_tasks_and_can_repeat() -> None:
    baseline = asyncio.all_tasks()
    a = AiortcMedia(ToneSource(440), LevelMeter(), hosts=LOOPBACK)
    b = AiortcMedia(ToneSource(880), LevelMeter(), hosts=LOOPBACK, video=True)
    async with call(a, b):
        await until(lambda: a.sink.frames > 10, "audio frames")
    await a.close()  # twice is fine
    await until(lambda: not (asyncio.all_tasks() - baseline), "aiortc's tasks to end", 2)
    assert not [t for t in threading.enumerate() if t.name.endswith("-decoder")]
    with pytest.raises(MediaError, match="closed"):
        await a.create_offer()
    assert a.source.readyState == "ended"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "hello, world",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",  # no media at all
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n",  # no ICE
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio x UDP/TLS/RTP/SAVPF 96\r\n",
    ],
)
@pytest.mark.asyncio
async def test_bad_sdp_raises_media_error(bad: str) -> None:
    a = AiortcMedia(hosts=LOOPBACK)
    b = AiortcMedia(hosts=LOOPBACK)
    try:
        with pytest.raises(MediaError):
            await a.create_answer(bad)
        await b.create_offer()
        with pytest.raises(MediaError):
            await b.set_answer(bad)
    finally:
        await a.close()
        await b.close()


@pytest.mark.asyncio
async def test_answer_without_an_offer_and_bad_direction() -> None:
    a = AiortcMedia(hosts=LOOPBACK)
    b = AiortcMedia(hosts=LOOPBACK)
    try:
        answer = await b.create_answer(await a.create_offer())
        with pytest.raises(MediaError):
            await b.set_answer(answer)  # b made no offer
        with pytest.raises(ValueError, match="direction"):
            await a.create_offer("hold")  # type: ignore[arg-type]
        assert await a.send_dtmf("123") is False  # no RFC 4733 in aiortc: Phone uses INFO
    finally:
        await a.close()
        await b.close()


@pytest.mark.asyncio
async def test_hosts_setting_decides_the_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEDIA_HOSTS_ENV, raising=False)
    plain = AiortcMedia()  # aioice's default skips loopback: here, no candidate at all
    monkeypatch.setenv(MEDIA_HOSTS_ENV, " 127.0.0.1 ,")
    from_env = AiortcMedia()
    try:
        assert "a=candidate" not in await plain.create_offer()
        candidates = [x for x in (await from_env.create_offer()).split("\r\n") if "candidate:" in x]
        assert candidates and all(" 127.0.0.1 " in x for x in candidates)
    finally:
        await plain.close()
        await from_env.close()


def test_hosts_parsing_and_the_patch_is_transparent(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_hosts("127.0.0.1, ::1") == ("127.0.0.1", "::1")
    with pytest.raises(ValueError, match=r"WEBPHONE_MEDIA_HOSTS: 'localhost' is not an IP"):
        parse_hosts("127.0.0.1,localhost", source=MEDIA_HOSTS_ENV)
    with pytest.raises(ValueError, match="no address"):
        parse_hosts(" , ")
    monkeypatch.setenv(MEDIA_HOSTS_ENV, "10.0.0.1")
    assert resolve_hosts(["127.0.0.1"]) == ("127.0.0.1",)  # explicit beats the environment
    assert resolve_hosts() == ("10.0.0.1",)
    monkeypatch.delenv(MEDIA_HOSTS_ENV)
    assert resolve_hosts() is None
    with using_hosts(("127.0.0.1", "::1")):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == []  # only lo here


def test_mos_estimate() -> None:
    assert estimate_mos(0.0, 0.0, 0.0) == pytest.approx(4.4, abs=0.05)
    assert estimate_mos(0.0, 5.0, 40.0) > 4.3
    assert 3.0 < estimate_mos(0.05, 20.0, 200.0) < 4.0
    assert estimate_mos(0.5, 100.0, 1000.0) < 2.0
    assert estimate_mos(1.0, 0.0, None) < 1.5
    assert MediaStats().to_dict()["mos"] is None
