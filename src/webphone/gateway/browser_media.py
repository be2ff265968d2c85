"""BrowserMedia: a call's media is the page's RTCPeerConnection, driven by media requests.

The Phone asks for SDP as from any `Media`; BrowserMedia asks the page (docs/protocol.md,
"Media requests") and hands back the page's SDP unchanged, so the browser's own offer or answer
travels inside SIP. It only checks that the SDP parses and has an audio stream, so that a broken
page fails the call here (media_failed) instead of confusing the far end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from ..phone.media import (
    DIRECTIONS,
    Direction,
    Media,
    MediaError,
    MediaStats,
    estimate_mos,
    loss_fraction,
)
from ..sip import ParseError
from ..sip.sdp import SessionDescription, parse_sdp
from .media_requests import MediaRequests
from .protocol import JsonObject

__all__ = ["BrowserMedia"]

logger = logging.getLogger(__name__)

_REVERSED: dict[Direction, Direction] = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}


class BrowserMedia(Media):
    """Media of one call, made by the page of a gateway session."""

    def __init__(
        self,
        requests: MediaRequests,
        *,
        video: bool = False,
        sdp_timeout: float = 15.0,
        stats_timeout: float = 2.0,
    ) -> None:
        self._requests = requests
        self.video = video
        self._sdp_timeout = sdp_timeout
        self._stats_timeout = stats_timeout
        self._muted = False
        self._direction: Direction | None = None
        self._stats = MediaStats()
        self._closed = False
        # Whether the page was asked for SDP (it may have a peer connection to close) and
        # gave some (it may have statistics): a call refused or declined first involves no page.
        self._asked = False
        self._negotiated = False

    async def create_offer(self, direction: Direction = "sendrecv") -> str:
        _check_direction(direction)
        fields = {"direction": direction, "video": self.video}
        self._asked = True
        result = await self._ask("create_offer", fields, self._sdp_timeout)
        sdp = _page_sdp(result, "offer")[0]
        self._negotiated = True
        return sdp

    async def create_answer(self, offer: str, direction: Direction = "sendrecv") -> str:
        _check_direction(direction)
        _parse(offer, "the far end's offer")  # 488 at once rather than a page round trip
        fields = {"offer": offer, "direction": direction, "video": self.video}
        self._asked = True
        result = await self._ask("create_answer", fields, self._sdp_timeout)
        sdp, parsed = _page_sdp(result, "answer")
        self._direction = _direction(parsed)
        self._negotiated = True
        return sdp

    async def set_answer(self, answer: str) -> None:
        parsed = _parse(answer, "the far end's answer")
        await self._ask("set_answer", {"answer": answer}, self._sdp_timeout)
        # Their direction seen from our side: their recvonly is our sendonly (RFC 3264 §6.1).
        self._direction = _REVERSED[_direction(parsed)]

    def mute(self, muted: bool = True) -> None:
        self._muted = muted
        if not self._closed:  # before any SDP too: the page applies it to this call's
            self._requests.notify("mute", {"muted": muted})

    @property
    def muted(self) -> bool:
        return self._muted

    @property
    def direction(self) -> Direction | None:
        return self._direction

    async def send_dtmf(self, digits: str) -> bool:
        try:
            result = await self._ask("send_dtmf", {"digits": digits}, self._stats_timeout)
        except MediaError as e:
            # The Phone falls back to SIP INFO on False: better a digit by INFO than none.
            logger.info("page could not send DTMF, using SIP INFO: %s", e)
            return False
        return result.get("sent") is True

    async def refresh_stats(self) -> MediaStats:
        # Without a page (or its SDP) there is nothing to ask; waiting would only delay the end.
        if self._closed or not self._negotiated or not self._requests.attached:
            return self._stats
        try:
            result = await self._ask("stats", {}, self._stats_timeout)
        except MediaError as e:
            logger.info("no call statistics from the page: %s", e)
            return self._stats
        stats = result.get("stats")
        if isinstance(stats, dict):
            self._stats = _media_stats(stats)
        return self._stats

    def stats(self) -> MediaStats:
        return self._stats

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._asked:
            # Not awaited: the page's answer would only delay the `end` event.
            self._requests.notify("close", {})

    async def _ask(self, method: str, fields: Mapping[str, Any], timeout: float) -> JsonObject:
        if self._closed:
            raise MediaError("media is closed")
        rid, future = self._requests.request(method, fields)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise MediaError(f"the page did not answer {method} within {timeout:g} s") from None
        finally:
            self._requests.forget(rid)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: {direction!r} is not one of {', '.join(DIRECTIONS)}")


def _parse(sdp: str, what: str) -> SessionDescription:
    try:
        parsed = parse_sdp(sdp)
    except ParseError as e:
        raise MediaError(f"{what} is not SDP: {e}") from None
    if _audio(parsed) is None:
        raise MediaError(f"{what} has no audio stream")
    return parsed


def _audio(sdp: SessionDescription) -> int | None:
    """The index of the first audio stream."""
    return next((i for i, m in enumerate(sdp.media) if m.kind == "audio"), None)


def _direction(sdp: SessionDescription) -> Direction:
    return sdp.effective_direction(_audio(sdp) or 0)


def _page_sdp(result: JsonObject, kind: str) -> tuple[str, SessionDescription]:
    sdp = result.get("sdp")
    if not isinstance(sdp, str):
        raise MediaError(f"the page's {kind} has no sdp")
    return sdp, _parse(sdp, f"the page's {kind}")


def _media_stats(raw: Mapping[str, Any]) -> MediaStats:
    """The page's `stats`, each field checked (a wrong type is left unknown), with a MOS."""

    def number(name: str) -> float | None:
        value = raw.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) if 0 <= value < 1e15 else None  # NaN fails too

    def whole(name: str) -> int:
        value = number(name)
        return 0 if value is None else int(value)

    def real(name: str) -> float | None:
        value = number(name)
        return None if value is None else round(value, 2)

    def text(name: str) -> str | None:
        value = raw.get(name)
        return value[:200] if isinstance(value, str) else None

    received, lost = whole("packets_received"), whole("packets_lost")
    jitter, rtt = real("jitter_ms"), real("rtt_ms")
    return MediaStats(
        codec=text("codec"),
        packets_sent=whole("packets_sent"),
        bytes_sent=whole("bytes_sent"),
        packets_received=received,
        bytes_received=whole("bytes_received"),
        packets_lost=lost,
        jitter_ms=jitter,
        rtt_ms=rtt,
        mos=estimate_mos(loss_fraction(lost, received), jitter or 0.0, rtt) if received else None,
        local_address=text("local_address"),
        remote_address=text("remote_address"),
    )
