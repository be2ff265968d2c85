"""`echo`: a built-in service that answers and sends the caller's own audio back.

It is a media endpoint inside the server (aiortc): the one place where the server touches media.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

from webphone.phone.aiortc_media import AiortcMedia
from webphone.phone.audio import Sink
from webphone.phone.media import MediaError
from webphone.sip import Request

from .services import CallState, Reply, Service, ServiceCall

logger = logging.getLogger(__name__)

#: An echo call ends by itself after this long, so a forgotten tab does not hold media forever.
MAX_SECONDS = 600.0


class _Loopback(Sink):
    """Keeps the last frames received, for `_Replay` to send back; old ones are dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.frames_queue: asyncio.Queue[Frame | Packet[Any] | None] = asyncio.Queue(maxsize=25)

    def write(self, frame: Frame | Packet[Any]) -> None:
        if self.frames_queue.full():  # the sender fell behind: drop the oldest, stay live
            self.frames_queue.get_nowait()
        self.frames_queue.put_nowait(frame)

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.frames_queue.put_nowait(None)


class _Replay(MediaStreamTrack):
    """The audio track sent back: the frames `_Loopback` received, in order, as they come."""

    kind = "audio"

    def __init__(self, loopback: _Loopback) -> None:
        super().__init__()
        self._loopback = loopback

    async def recv(self) -> Frame | Packet[Any]:
        frame = await self._loopback.frames_queue.get()
        if frame is None:
            self.stop()
            raise MediaStreamError
        return frame


class EchoService(Service):
    """Calls to `echo` hear themselves; hold (re-INVITE) and DTMF (INFO) are accepted."""

    name = "echo"

    def __init__(self, hosts: Sequence[str] | None = None, max_seconds: float = MAX_SECONDS):
        self._hosts = hosts
        self._max_seconds = max_seconds
        self._media: dict[ServiceCall, AiortcMedia] = {}

    async def handle_invite(self, call: ServiceCall) -> None:
        if not call.offer:
            call.reject(488, "Echo needs an SDP offer")
            return
        loopback = _Loopback()
        media = AiortcMedia(_Replay(loopback), loopback, hosts=self._hosts)
        try:
            answer = await media.create_answer(call.offer.decode())
        except (MediaError, UnicodeDecodeError) as e:
            logger.info("echo refused an offer: %s", e)
            await media.close()
            call.reject(488)
            return
        call.answer(answer.encode())
        self._media[call] = media
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.ended(), self._max_seconds)
            if call.state is not CallState.ENDED:
                await call.hangup()
        finally:
            self._media.pop(call, None)
            await media.close()

    async def handle_request(self, call: ServiceCall, request: Request) -> Reply:
        media = self._media.get(call)
        if request.method in ("INVITE", "UPDATE") and request.body and media is not None:
            try:
                answer = await media.create_answer(request.body.decode())
            except (MediaError, UnicodeDecodeError):
                return Reply(488)
            return Reply(200, body=answer.encode(), content_type="application/sdp")
        return await super().handle_request(call, request)
