"""A fake browser page in Python: speaks the gateway protocol; its media is a real AiortcMedia.

It answers media requests the way webphone.js does with an RTCPeerConnection (one per call,
closed by `close`), sending a tone and measuring what it hears, so audio really flows between
the "browser" and a headless Phone. It answers a repeated `rid` with the answer it gave before.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from webphone.phone import AiortcMedia, LevelMeter, MediaError, ToneSource

TIMEOUT = 5.0
Json = dict[str, Any]


class FakePage:
    """One page: `connect()` says hello (resuming after `drop()`), `op()` waits for the reply."""

    def __init__(self, url: str, tone_hz: float = 440.0) -> None:
        self.url = url
        self.tone_hz = tone_hz
        self.ws: ClientConnection | None = None
        self.token: str | None = None
        self.last_seq = 0
        #: Every event received, in order, over all connections (to spot gaps and repeats).
        self.events: list[Json] = []
        self._unread: list[Json] = []
        #: Every media request received, and replies that answered no `op()` here.
        self.requests: list[Json] = []
        self.unmatched: list[Json] = []
        #: While False, media requests are recorded but not answered.
        self.answering = True
        #: Methods answered with an error, as a browser refusing the microphone would.
        self.fail: set[str] = set()
        self.media: AiortcMedia | None = None
        self.meter = LevelMeter()
        self._answers: dict[str, Json] = {}
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[Json]] = {}
        self._arrived = asyncio.Event()
        self._work: asyncio.Queue[Json] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def errors(self) -> list[Json]:
        """Errors that answered no `op()` here (bad JSON, say)."""
        return [m for m in self.unmatched if m["type"] == "error"]

    async def connect(self, *, resume: bool = False, **hello: Any) -> Json:
        """Open the WebSocket and say hello; resume the last session when `resume`."""
        self.ws = await connect(self.url, open_timeout=TIMEOUT, max_size=None)
        self._tasks = [asyncio.create_task(self._read(self.ws)), asyncio.create_task(self._media())]
        if resume:
            hello |= {"resume": self.token, "last_seq": self.last_seq}
        reply = await self.op("hello", **({"version": 1} | hello))
        if reply["type"] == "result":
            self.token = reply["resume_token"]
        return reply

    async def op(self, name: str, **fields: Any) -> Json:
        """Send an operation; its reply (result or error)."""
        op_id = next(self._ids)
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._replies[op_id] = future
        await self.send({"op": name, "id": op_id, **fields})
        return await asyncio.wait_for(future, TIMEOUT)

    async def ok(self, name: str, **fields: Any) -> Json:
        """An operation that must succeed."""
        reply = await self.op(name, **fields)
        assert reply["type"] == "result", reply
        return reply

    async def send(self, message: Json | str | bytes) -> None:
        assert self.ws is not None
        await self.ws.send(message if isinstance(message, str | bytes) else json.dumps(message))

    async def event(self, name: str, timeout: float = TIMEOUT) -> Json:
        """The oldest event called `name` not yet returned, waiting for it if need be."""
        async with asyncio.timeout(timeout):
            while True:
                for event in self._unread:
                    if event["event"] == name:
                        self._unread.remove(event)
                        return event
                self._arrived.clear()
                await self._arrived.wait()

    async def request(self, method: str, timeout: float = TIMEOUT) -> Json:
        """The first media request of `method` received so far, waiting for it if need be."""
        async with asyncio.timeout(timeout):
            while not (found := [r for r in self.requests if r["method"] == method]):
                self._arrived.clear()
                await self._arrived.wait()
        return found[0]

    async def drop(self) -> None:
        """Lose the connection (the session lives on), as a page going offline would."""
        await self._stop_tasks()
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def close(self) -> None:
        await self.drop()
        if self.media is not None:
            await self.media.close()

    async def answer_pending(self) -> None:
        """Answer every media request recorded but not answered yet."""
        self.answering = True
        for request in self.requests:
            if request["rid"] not in self._answers:
                self._work.put_nowait(request)

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for frame in ws:
                message = json.loads(frame)
                kind = message["type"]
                if kind == "event":
                    self.events.append(message)
                    self._unread.append(message)
                    self.last_seq = message["seq"]
                elif kind == "media":
                    self.requests.append(message)
                    if self.answering or message["rid"] in self._answers:
                        self._work.put_nowait(message)
                elif (future := self._replies.pop(message.get("id"), None)) is not None:
                    future.set_result(message)
                else:
                    self.unmatched.append(message)
                self._arrived.set()

    async def _media(self) -> None:
        """Media requests, one at a time, in order, as an RTCPeerConnection takes them."""
        while True:
            request = await self._work.get()
            rid = request["rid"]
            if rid not in self._answers:
                try:
                    if request["method"] in self.fail:
                        raise MediaError("NotAllowedError: Permission denied")
                    self._answers[rid] = {"result": await self._handle(request)}
                except MediaError as e:
                    self._answers[rid] = {"error": str(e)}
            with contextlib.suppress(Exception):
                await self.send({"op": "media_result", "rid": rid, **self._answers[rid]})

    async def _handle(self, request: Json) -> Json:
        method = request["method"]
        if method in ("create_offer", "create_answer") and self.media is None:
            self.meter = LevelMeter()
            source = ToneSource(self.tone_hz)
            self.media = AiortcMedia(source, self.meter, hosts=["127.0.0.1"])
        media = self.media
        if method == "close":
            if media is not None:
                await media.close()
            self.media = None
            return {}
        if media is None:
            raise MediaError(f"InvalidStateError: {method} without a peer connection")
        if method == "create_offer":
            return {"sdp": await media.create_offer(request["direction"])}
        if method == "create_answer":
            return {"sdp": await media.create_answer(request["offer"], request["direction"])}
        if method == "set_answer":
            await media.set_answer(request["answer"])
        elif method == "mute":
            media.mute(request["muted"])
        elif method == "send_dtmf":
            return {"sent": await media.send_dtmf(request["digits"])}
        elif method == "stats":
            stats = (await media.refresh_stats()).to_dict()
            del stats["mos"]  # a browser's getStats has none: the gateway computes it
            return {"stats": stats}
        return {}

    async def _stop_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
