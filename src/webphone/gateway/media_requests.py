"""Media requests to the page: numbered, answered by `media_result`, sent again on a resume.

A session keeps every request its page has not answered yet. While the page is connected a
request goes out at once; while it is away the request waits, and all that wait (or went out but
got no answer, the answer maybe lost with the connection) go out again, in order and with their
`rid` unchanged, when the page resumes. A page therefore answers a repeated `rid` again.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..phone.media import MediaError
from .protocol import JsonObject, media_message

__all__ = ["MediaRequests"]

Put = Callable[[JsonObject], None]


@dataclass(slots=True)
class _Pending:
    message: JsonObject
    #: None for a notification: nobody awaits its answer.
    future: asyncio.Future[JsonObject] | None


class MediaRequests:
    """The unanswered media requests of one session, and where to send them."""

    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._pending: dict[str, _Pending] = {}  # insertion order is the order to resend in
        self._put: Put | None = None
        self._closed = False

    @property
    def attached(self) -> bool:
        """Whether a page connection takes requests now."""
        return self._put is not None

    def __len__(self) -> int:
        return len(self._pending)

    def attach(self, put: Put | None) -> None:
        """Send to `put` from now on (None: hold requests back); resend what is unanswered."""
        self._put = put
        if put is not None:
            for pending in self._pending.values():
                put(pending.message)

    def request(
        self, method: str, fields: Mapping[str, Any]
    ) -> tuple[str, asyncio.Future[JsonObject]]:
        """Send a request; the future gets the page's `result` or fails with `MediaError`."""
        if self._closed:
            raise MediaError("the browser session is closed")
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        return self._send(method, fields, future), future

    def notify(self, method: str, fields: Mapping[str, Any]) -> None:
        """Send a request whose answer nobody waits for (mute, close)."""
        if self._closed:
            return
        # A newer notification of the same method makes older unanswered ones moot (mute, then
        # unmute): dropping them keeps a page that never answers from growing the list.
        for rid in [r for r, p in self._pending.items() if p.future is None]:
            if self._pending[rid].message["method"] == method:
                del self._pending[rid]
        self._send(method, fields, None)

    def resolve(self, rid: str, result: JsonObject | None, error: object) -> bool:
        """The page's `media_result`; False if `rid` is not waiting (answered, or unknown)."""
        pending = self._pending.pop(rid, None)
        if pending is None:
            return False
        future = pending.future
        if future is not None and not future.done():
            if error is not None:
                method = pending.message["method"]
                future.set_exception(MediaError(f"the page could not {method}: {_text(error)}"))
            else:
                future.set_result(result or {})
        return True

    def forget(self, rid: str) -> None:
        """Stop waiting for `rid` (its awaiter gave up)."""
        self._pending.pop(rid, None)

    def close(self, reason: str) -> None:
        """Fail every awaited request with `MediaError(reason)`; refuse new ones."""
        self._closed = True
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if entry.future is not None and not entry.future.done():
                entry.future.set_exception(MediaError(reason))

    def _send(
        self, method: str, fields: Mapping[str, Any], future: asyncio.Future[JsonObject] | None
    ) -> str:
        rid = f"m{next(self._numbers)}"
        message = media_message(rid, method, fields)
        self._pending[rid] = _Pending(message, future)
        if self._put is not None:
            self._put(message)
        return rid


def _text(error: object) -> str:
    """The page's error: a string, or an object such as {"name": ..., "message": ...}."""
    if isinstance(error, dict):
        parts = [str(error[k]) for k in ("name", "message") if error.get(k)]
        return ": ".join(parts) or "unknown error"
    return str(error)[:500]
