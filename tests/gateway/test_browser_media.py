"""BrowserMedia and MediaRequests without a network: the page is a list and a few answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from webphone.gateway import BrowserMedia, MediaRequests
from webphone.phone import MediaError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sip"
CHROMIUM_OFFER = (FIXTURES / "67-chromium-offer.sdp").read_text()
CHROMIUM_ANSWER = (FIXTURES / "68-chromium-answer.sdp").read_text()
AIORTC_OFFER = (FIXTURES / "69-aiortc-offer.sdp").read_text()


class Page:
    """Records what the gateway sends and answers requests on demand."""

    def __init__(self) -> None:
        self.requests = MediaRequests()
        self.sent: list[dict[str, object]] = []
        self.requests.attach(self.sent.append)

    async def next(self, method: str) -> dict[str, object]:
        async with asyncio.timeout(2):
            while not (found := [m for m in self.sent if m["method"] == method]):
                await asyncio.sleep(0)
        return found[-1]

    async def answer(self, method: str, result: dict[str, object] | None = None) -> None:
        request = await self.next(method)
        assert self.requests.resolve(str(request["rid"]), result or {}, None)


@pytest.fixture
def page() -> Page:
    return Page()


async def negotiated(page: Page, **options: float) -> BrowserMedia:
    """A BrowserMedia that has had an offer from the page (so it has a call to ask about)."""
    media = BrowserMedia(page.requests, **options)  # type: ignore[arg-type]
    offering = asyncio.create_task(media.create_offer())
    await page.answer("create_offer", {"sdp": CHROMIUM_OFFER})
    await offering
    page.sent.clear()
    return media


async def test_offer_is_the_pages_sdp_unchanged(page: Page) -> None:
    media = BrowserMedia(page.requests, video=False)
    offering = asyncio.create_task(media.create_offer("sendonly"))
    await page.answer("create_offer", {"sdp": CHROMIUM_OFFER})
    assert await offering == CHROMIUM_OFFER
    request = page.sent[0]
    assert request == {
        "type": "media",
        "rid": "m1",
        "method": "create_offer",
        "direction": "sendonly",
        "video": False,
    }
    setting = asyncio.create_task(media.set_answer(AIORTC_OFFER.replace("sendrecv", "recvonly")))
    await page.answer("set_answer")
    await setting
    assert media.direction == "sendonly"  # their recvonly
    assert len(page.requests) == 0


async def test_answer_passes_the_offer_and_direction(page: Page) -> None:
    media = BrowserMedia(page.requests, video=True)
    answering = asyncio.create_task(media.create_answer(AIORTC_OFFER, "sendrecv"))
    request = await page.next("create_answer")
    assert (request["offer"], request["direction"], request["video"]) == (
        AIORTC_OFFER,
        "sendrecv",
        True,
    )
    await page.answer("create_answer", {"sdp": CHROMIUM_ANSWER})
    assert await answering == CHROMIUM_ANSWER
    assert media.direction == "sendrecv"


@pytest.mark.parametrize(
    ("result", "words"),
    [
        ({}, "has no sdp"),
        ({"sdp": 5}, "has no sdp"),
        ({"sdp": "hello"}, "is not SDP"),
        ({"sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"}, "no audio"),
    ],
)
async def test_unusable_page_sdp_is_a_media_error(
    page: Page, result: dict[str, object], words: str
) -> None:
    media = BrowserMedia(page.requests)
    offering = asyncio.create_task(media.create_offer())
    await page.answer("create_offer", result)
    with pytest.raises(MediaError, match=words):
        await offering


async def test_a_bad_far_end_offer_fails_without_asking_the_page(page: Page) -> None:
    media = BrowserMedia(page.requests)
    with pytest.raises(MediaError, match="offer is not SDP"):
        await media.create_answer("garbage")
    assert page.sent == []


async def test_the_pages_error_and_its_silence_are_media_errors(page: Page) -> None:
    media = BrowserMedia(page.requests, sdp_timeout=0.05)
    offering = asyncio.create_task(media.create_offer())
    request = await page.next("create_offer")
    error = {"name": "NotAllowedError", "message": "Permission denied"}
    page.requests.resolve(str(request["rid"]), None, error)
    with pytest.raises(MediaError, match=r"NotAllowedError: Permission denied"):
        await offering
    with pytest.raises(MediaError, match=r"did not answer create_offer within 0\.05 s"):
        await media.create_offer()
    assert len(page.requests) == 0  # the unanswered request is forgotten


async def test_stats_come_from_the_page_with_a_mos(page: Page) -> None:
    media = await negotiated(page)
    refreshing = asyncio.create_task(media.refresh_stats())
    raw = {
        "codec": "opus/48000/2",
        "packets_sent": 100,
        "packets_received": 98,
        "bytes_received": 9000,
        "packets_lost": 2,
        "jitter_ms": 3.456,
        "rtt_ms": "fast",  # junk is left unknown
        "local_address": "127.0.0.1:4000",
    }
    await page.answer("stats", {"stats": raw})
    stats = await refreshing
    assert stats == media.stats()
    assert (stats.codec, stats.packets_received, stats.packets_lost) == ("opus/48000/2", 98, 2)
    assert (stats.jitter_ms, stats.rtt_ms, stats.remote_address) == (3.46, None, None)
    assert stats.mos is not None and 3.5 < stats.mos < 4.5


async def test_without_a_page_or_its_sdp_stats_do_not_wait(page: Page) -> None:
    media = BrowserMedia(page.requests, stats_timeout=5)
    assert (await asyncio.wait_for(media.refresh_stats(), 0.1)).packets_received == 0
    await media.close()  # a call declined before any SDP: nothing to close in the page
    assert page.sent == []
    media = await negotiated(page, stats_timeout=5)
    page.requests.attach(None)
    assert (await asyncio.wait_for(media.refresh_stats(), 0.1)).packets_received == 0


async def test_dtmf_the_page_cannot_send_falls_back(page: Page) -> None:
    media = BrowserMedia(page.requests, stats_timeout=0.05)
    sending = asyncio.create_task(media.send_dtmf("5"))
    await page.answer("send_dtmf", {"sent": True})
    assert await sending is True
    assert await media.send_dtmf("6") is False  # no answer: SIP INFO then


async def test_mute_and_close_are_not_awaited_and_newest_wins(page: Page) -> None:
    media = await negotiated(page)
    media.mute(True)
    media.mute(False)
    assert not media.muted
    assert [m["muted"] for m in page.sent] == [True, False]
    assert len(page.requests) == 1  # the first mute is moot
    await media.close()
    await media.close()
    assert [m["method"] for m in page.sent].count("close") == 1
    with pytest.raises(MediaError, match="closed"):
        await media.create_offer()


async def test_requests_wait_for_a_page_and_go_again_on_resume(page: Page) -> None:
    media = BrowserMedia(page.requests)
    first = asyncio.create_task(media.create_offer())
    await page.next("create_offer")
    page.requests.attach(None)  # the page went away, unanswered
    page.sent.clear()
    resumed: list[dict[str, object]] = []
    page.requests.attach(resumed.append)
    assert [m["rid"] for m in resumed] == ["m1"]  # the same rid, so the page can tell
    assert page.requests.resolve("m1", {"sdp": CHROMIUM_OFFER}, None)
    assert not page.requests.resolve("m1", {"sdp": CHROMIUM_OFFER}, None)  # a repeat
    assert await first == CHROMIUM_OFFER


async def test_closing_fails_what_waits(page: Page) -> None:
    media = BrowserMedia(page.requests)
    offering = asyncio.create_task(media.create_offer())
    await page.next("create_offer")
    page.requests.close("the browser session is closed")
    with pytest.raises(MediaError, match="session is closed"):
        await offering
    with pytest.raises(MediaError, match="session is closed"):
        await media.create_offer()
