"""A page's WebSocket as a session's outbox: `put` queues, one writer sends in order."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from starlette.websockets import WebSocket

from .protocol import JsonObject

__all__ = ["Connection"]

logger = logging.getLogger(__name__)

#: Messages waiting for a page that does not read; more, and the connection is closed (a
#: resume gets the events back) rather than memory growing without end.
MAX_QUEUED = 1000


@dataclass(frozen=True, slots=True)
class _Close:
    code: int
    reason: str


class Connection:
    """Messages put here leave in order through `write()`, the connection's one writer task.

    `put` is synchronous because Phone events arrive in synchronous callbacks; a queue
    rather than a send per message keeps events, replies and media requests in order.
    """

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._queue: asyncio.Queue[JsonObject | _Close] = asyncio.Queue()
        self.open = True

    def put(self, message: JsonObject) -> None:
        if not self.open:
            return
        if self._queue.qsize() >= MAX_QUEUED:
            logger.info("gateway page does not read; closing its connection")
            while not self._queue.empty():  # the close goes next, not after the backlog
                self._queue.get_nowait()
            self.close(1008, "messages not read")
            return
        self._queue.put_nowait(message)

    def close(self, code: int, reason: str) -> None:
        """Close after what is queued has gone out; later messages are dropped."""
        if self.open:
            self.open = False
            self._queue.put_nowait(_Close(code, reason))

    def shut(self) -> None:
        """The peer is gone: drop whatever comes."""
        self.open = False

    async def write(self) -> None:
        """Send until closed or the peer is gone (a session keeps its events for a resume)."""
        while True:
            item = await self._queue.get()
            try:
                if isinstance(item, _Close):
                    await self._websocket.close(item.code, item.reason)
                    return
                await self._websocket.send_text(_dumps(item))
            except _NotJsonError:
                continue
            except Exception as e:  # the connection is gone; the reader will see it end
                logger.debug("gateway send failed: %r", e)
                self.open = False
                return


class _NotJsonError(Exception):
    pass


def _dumps(message: JsonObject) -> str:
    try:
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):  # a bug of ours: skip the message, keep the connection
        logger.exception("gateway message is not JSON: %r", message)
        raise _NotJsonError from None
