"""Every browser call as a CDR row: written when the call starts, completed when it ends.

`CdrRecorder` is a gateway hook over a store of CDRs (`webphone.store.Cdrs`, or anything with
the same methods). The row is committed as the call starts, so a server that dies mid-call
leaves it behind, and the next start marks it cut off (`Cdrs.mark_cut_off`). Writes run in a
thread (a database round trip must not stall the event loop) and, for one call, in order: the
answer time and the end wait for the start's row id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..phone import Answered, Ended, PhoneEvent
from .hooks import GatewayHooks

if TYPE_CHECKING:
    from .session import Session

__all__ = ["CdrRecorder", "CdrStore"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class CdrStore(Protocol):
    """What the recorder needs of a CDR store (`webphone.store.Cdrs` has it)."""

    def start(
        self,
        call: Mapping[str, Any],
        *,
        component_id: str | None = None,
        session: str | None = None,
        user: str | None = None,
    ) -> int: ...

    def finish(
        self,
        cdr: Mapping[str, Any],
        *,
        row_id: int | None = None,
        component_id: str | None = None,
        session: str | None = None,
        user: str | None = None,
    ) -> int: ...


#: Optional: `answered(row_id, at)` records the answer mid-call (`Cdrs.answered`).
Answer = Callable[[int, datetime], None]


class CdrRecorder(GatewayHooks):
    """Writes the calls of every session to `store`; `close()` waits for the last writes."""

    def __init__(self, store: CdrStore) -> None:
        self.store = store
        # (session name, Call-ID) -> the start's row id (None if the start failed).
        self._rows: dict[tuple[str, str], asyncio.Task[int | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def call_started(self, session: Session, call: dict[str, Any]) -> None:
        write = self._write(
            self.store.start,
            call,
            component_id=session.component_id,
            session=session.name,
            user=session.user,
        )
        self._rows[(session.name, call["call_id"])] = self._spawn(write)

    def phone_event(self, session: Session, event: PhoneEvent) -> None:
        if isinstance(event, Answered):
            answered: Answer | None = getattr(self.store, "answered", None)
            row = self._rows.get((session.name, event.call_id))
            if answered is not None and row is not None:
                self._spawn(self._answered(answered, row, datetime.now(UTC)))
        elif isinstance(event, Ended):
            row = self._rows.pop((session.name, event.call_id), None)
            self._spawn(self._finish(session, event.cdr, row))

    def call_refused(self, session: Session, cdr: dict[str, Any], code: str) -> None:
        self._spawn(self._finish(session, cdr, None))

    async def close(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _answered(
        self, answered: Answer, row: asyncio.Task[int | None], at: datetime
    ) -> None:
        row_id = await row
        if row_id is not None:
            await self._write(answered, row_id, at)

    async def _finish(
        self, session: Session, cdr: dict[str, Any], row: asyncio.Task[int | None] | None
    ) -> None:
        row_id = await row if row is not None else None
        # Without a row id (no start, or it failed) `finish` inserts the whole record.
        await self._write(
            self.store.finish,
            cdr,
            row_id=row_id,
            component_id=session.component_id,
            session=session.name,
            user=session.user,
        )

    async def _write(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return await asyncio.to_thread(method, *args, **kwargs)
        except Exception:
            # The call goes on whatever the store says; the log keeps what was lost.
            logger.exception("storing a CDR failed (%s): %r", method.__name__, args[:1])
            return None

    def _spawn(self, coro: Coroutine[Any, Any, T] | Awaitable[T]) -> asyncio.Task[T]:
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


#: The CDR fields known when a call starts.
_START_FIELDS = ("call_id", "direction", "from", "from_name", "to", "to_name", "cli", "server",
                 "started_at")  # fmt: skip


def started(cdr: Mapping[str, Any]) -> dict[str, Any]:
    """The start of a CDR: who calls whom, how and when (what `Cdrs.start` records)."""
    return {key: cdr[key] for key in _START_FIELDS if cdr.get(key) is not None}
