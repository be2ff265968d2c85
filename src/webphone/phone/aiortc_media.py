"""AiortcMedia: the headless, in-process Media, one aiortc RTCPeerConnection per call.

What aiortc does and does not do, as found in aiortc 1.16 (and relied on here):
- Renegotiation on the same connection works in both roles (a re-offer from either side).
- Directions are honoured on renegotiation: an answer or offer that leaves us "recvonly" or
  "inactive" disables the RTP sender (it keeps reading the track to stay in real time but sends
  no RTP); "sendrecv" again re-enables it. So hold needs no work-around here.
- No RFC 4733 telephone-event: `send_dtmf()` returns False and the Phone uses SIP INFO.
- No trickle ICE needed: setLocalDescription() gathers fully, so SDP carries all candidates.
- No getSelectedCandidatePair(): the pair comes from aioice's nominated pair (private).
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Sequence
from typing import Any, cast

import av
import numpy as np
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
    sdp,
)
from aiortc.exceptions import InternalError, InvalidAccessError, InvalidStateError, OperationError
from aiortc.mediastreams import MediaStreamTrack, VideoStreamTrack
from av.frame import Frame
from av.packet import Packet

from .audio import DiscardSink, SilenceSource, Sink
from .media import (
    DIRECTIONS,
    Direction,
    Media,
    MediaError,
    MediaStats,
    estimate_mos,
    format_address,
    loss_fraction,
    round_ms,
)
from .media_hosts import resolve_hosts, using_hosts

__all__ = ["AiortcMedia"]

# What aiortc raises on a far end's unusable SDP (parse, validation, codec negotiation).
_SDP_ERRORS = (
    AssertionError,  # aiortc's SDP parser asserts on malformed m= lines
    ValueError,
    KeyError,
    IndexError,
    InternalError,
    InvalidAccessError,
    InvalidStateError,
    OperationError,
)


class AiortcMedia(Media):
    """Media carried by aiortc in this process. Create it inside a running event loop.

    `source` is the audio sent (default: silence); `sink` consumes the far end's audio (default:
    discard); `video=True` adds a video stream sending a generated test pattern, received into
    `video_sink`. `hosts` are the ICE host addresses offered (see `media_hosts`).
    """

    def __init__(
        self,
        source: MediaStreamTrack | None = None,
        sink: Sink | None = None,
        *,
        video: bool = False,
        video_sink: Sink | None = None,
        hosts: Sequence[str] | None = None,
    ) -> None:
        self._hosts = resolve_hosts(hosts)
        self.source = source or SilenceSource()
        self.sink = sink or DiscardSink()
        self.video_sink = video_sink or DiscardSink()
        self._gate = _MuteGate(self.source)
        # No ICE servers: aiortc would otherwise default to a public STUN server.
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pc.on("track", self._on_track)
        self._audio = self._pc.addTransceiver(self._gate, direction="sendrecv")
        # Video is added by our first offer, or taken from the far end's offer when we answer:
        # aiortc fails to answer while a transceiver is left that the offer did not match.
        self._wants_video = video
        self._stats = MediaStats()
        self._closed = False
        self._closing: asyncio.Future[None] | None = None

    async def create_offer(self, direction: Direction = "sendrecv") -> str:
        self._check(direction)
        if self._wants_video and self._pc.remoteDescription is None and not self._own_video():
            self._pc.addTransceiver(TestPatternSource(), direction=direction)
        for transceiver in self._own_transceivers():
            transceiver.direction = direction
        try:
            offer = await self._pc.createOffer()
            with using_hosts(self._hosts):  # aiortc gathers candidates here
                await self._pc.setLocalDescription(offer)
        except (InvalidStateError, InternalError) as exc:
            raise MediaError(f"cannot create an offer now: {exc}") from exc
        return self._pc.localDescription.sdp

    async def create_answer(self, offer: str, direction: Direction = "sendrecv") -> str:
        self._check(direction)
        _validate(offer, "offer")
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except _SDP_ERRORS as exc:
            raise MediaError(f"unusable SDP offer: {exc}") from exc
        video = self._own_video()
        if video is not None and video.sender.track is None:
            video.sender.replaceTrack(TestPatternSource())  # aiortc made it receive-only
        own = self._own_transceivers()
        for transceiver in self._pc.getTransceivers():
            # m-lines we did not ask for (video on an audio-only phone) are answered inactive.
            transceiver.direction = direction if transceiver in own else "inactive"
        try:
            answer = await self._pc.createAnswer()
            with using_hosts(self._hosts):
                await self._pc.setLocalDescription(answer)
        except _SDP_ERRORS as exc:
            raise MediaError(f"cannot answer this SDP offer: {exc}") from exc
        return self._pc.localDescription.sdp

    async def set_answer(self, answer: str) -> None:
        self._check(None)
        _validate(answer, "answer")
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        except _SDP_ERRORS as exc:
            raise MediaError(f"unusable SDP answer: {exc}") from exc

    def mute(self, muted: bool = True) -> None:
        self._gate.muted = muted

    @property
    def muted(self) -> bool:
        return self._gate.muted

    @property
    def direction(self) -> Direction | None:
        return cast(Direction | None, self._audio.currentDirection)

    async def send_dtmf(self, digits: str) -> bool:
        """Always False: aiortc has no RFC 4733 telephone-event support, so the Phone falls
        back to SIP INFO."""
        return False

    def stats(self) -> MediaStats:
        return self._stats

    async def refresh_stats(self) -> MediaStats:
        if self._closed:
            return self._stats
        report = await self._pc.getStats()
        by_type = {s.type: s for s in report.values() if getattr(s, "kind", "audio") == "audio"}
        outbound, inbound = by_type.get("outbound-rtp"), by_type.get("inbound-rtp")
        remote_in, remote_out = (
            by_type.get("remote-inbound-rtp"),
            by_type.get("remote-outbound-rtp"),
        )
        # aiortc sends the first of the negotiated codecs (its private `_codecs`).
        codecs = self._audio._codecs if self._audio.currentDirection else []
        clock_rate = codecs[0].clockRate if codecs else 48000
        received = inbound.packetsReceived if inbound else 0
        lost = max(inbound.packetsLost, 0) if inbound else 0
        jitter_ms = 1000 * inbound.jitter / clock_rate if inbound else None
        rtt = getattr(remote_in, "roundTripTime", None)
        rtt_ms = 1000 * rtt if rtt is not None else None
        local, remote = self._selected_pair()
        self._stats = MediaStats(
            codec=str(codecs[0]) if codecs else None,
            packets_sent=outbound.packetsSent if outbound else 0,
            bytes_sent=outbound.bytesSent if outbound else 0,
            packets_received=received,
            bytes_received=remote_out.bytesSent if remote_out else 0,
            packets_lost=lost,
            jitter_ms=round_ms(jitter_ms),
            rtt_ms=round_ms(rtt_ms),
            mos=estimate_mos(loss_fraction(lost, received), jitter_ms or 0.0, rtt_ms)
            if received
            else None,
            local_address=local,
            remote_address=remote,
        )
        return self._stats

    async def close(self) -> None:
        # One closing task, shielded: a caller cancelled mid-way (a hang-up racing a shutdown)
        # must not leave sockets open, and a second call waits for the same work.
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        await self.refresh_stats()  # the final figures stay readable for the CDR
        self._closed = True
        await self._pc.close()  # stops senders, which stop their tracks (and our source)
        await self.sink.stop()
        await self.video_sink.stop()
        self._gate.stop()

    def _own_video(self) -> RTCRtpTransceiver | None:
        """The first video transceiver, if we want video: ours to send and receive."""
        if not self._wants_video:
            return None
        return next((t for t in self._pc.getTransceivers() if t.kind == "video"), None)

    def _own_transceivers(self) -> list[RTCRtpTransceiver]:
        return [t for t in (self._audio, self._own_video()) if t is not None]

    def _on_track(self, track: MediaStreamTrack) -> None:
        video = self._own_video()
        if track is self._audio.receiver.track:
            self.sink.attach(track)
        elif video is not None and track is video.receiver.track:
            self.video_sink.attach(track)
        # Other m-lines are answered inactive: their tracks never receive a frame.

    def _selected_pair(self) -> tuple[str | None, str | None]:
        # Not exposed by aiortc (no getSelectedCandidatePair); aioice keeps it in `_nominated`.
        connection = self._audio.receiver.transport.transport._connection
        pair = getattr(connection, "_nominated", {}).get(1)
        if pair is None:
            return None, None
        return format_address(*pair.local_addr), format_address(*pair.remote_addr)

    def _check(self, direction: str | None) -> None:
        if self._closed:
            raise MediaError("media is closed")
        if direction is not None and direction not in DIRECTIONS:
            raise ValueError(f"direction: {direction!r} is not one of {', '.join(DIRECTIONS)}")


def _validate(text: str, kind: str) -> None:
    """Reject what aiortc would accept silently: it parses junk into a session with no media."""
    try:
        parsed = sdp.SessionDescription.parse(text)
    except _SDP_ERRORS as exc:
        raise MediaError(f"unparsable SDP {kind}: {exc}") from exc
    if not any(m.kind == "audio" for m in parsed.media):
        raise MediaError(f"SDP {kind} has no audio m-line")


class _MuteGate(MediaStreamTrack):
    """Passes the source's frames through, or silent frames of the same shape while muted.

    Reading the source either way keeps its real-time pacing and the RTP timestamps continuous.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack) -> None:
        super().__init__()
        self.source = source
        self.muted = False

    async def recv(self) -> Frame | Packet[Any]:
        frame = await self.source.recv()
        if not self.muted or not isinstance(frame, av.AudioFrame):
            return frame
        silent = av.AudioFrame(
            format=frame.format.name, layout=frame.layout.name, samples=frame.samples
        )
        for plane in silent.planes:
            plane.update(bytes(plane.buffer_size))
        silent.sample_rate, silent.pts, silent.time_base = (
            frame.sample_rate,
            frame.pts,
            frame.time_base,
        )
        return silent

    def stop(self) -> None:
        self.source.stop()
        super().stop()


class TestPatternSource(VideoStreamTrack):
    """A moving greyscale gradient at 320x240, 30 fps: proof of video with little CPU."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, width: int = 320, height: int = 240) -> None:
        super().__init__()
        self._ramp = np.tile(np.arange(width, dtype=np.uint8), (height, 1))
        self._chroma = np.full((height // 2, width), 128, dtype=np.uint8)
        self._count = 0

    async def recv(self) -> Frame:
        pts, time_base = await self.next_timestamp()
        self._count += 1
        luma = self._ramp + np.uint8(4 * self._count % 256)  # wraps: a moving ramp
        frame = av.VideoFrame.from_ndarray(np.vstack((luma, self._chroma)), format="yuv420p")
        frame.pts = pts
        frame.time_base = fractions.Fraction(time_base.numerator, time_base.denominator)
        return frame
