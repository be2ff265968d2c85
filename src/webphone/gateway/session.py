"""One browser session: a Phone with BrowserMedia, its numbered events, and its resume.

The session outlives the page's WebSocket: when the connection drops it keeps its Phone (the
registration, any call) for the grace period, numbering and keeping events meanwhile, and
holding media requests back. A page that resumes gets the events after the last it saw, then
the unanswered media requests again; when the grace period ends first, the Phone is closed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from ..phone import Ended, Phone, PhoneConfig, PhoneEvent
from ..phone import Error as ErrorEvent
from ..phone.config import ConfigError
from ..phone.media import Media
from .browser_media import BrowserMedia
from .config import GatewayConfig
from .media_requests import MediaRequests
from .operations import apply_config, config_error, perform, public_config
from .protocol import (
    VERSION,
    JsonObject,
    Operation,
    ProtocolError,
    event_message,
    result_reply,
)

__all__ = ["Outbox", "Session"]

logger = logging.getLogger(__name__)

#: Operations of one session in progress at once (most take a SIP round trip at most).
MAX_RUNNING = 32
#: Told each call's CDR as the call ends (to store it).
OnCdr = Callable[[dict[str, Any]], None]


class Outbox(Protocol):
    """A page connection as a session sees it: messages go out in the order put."""

    def put(self, message: JsonObject) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


class Session:
    """A Phone for one page, alive from its `hello` until closed or the grace period ends."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        phone_config: PhoneConfig | None = None,
        locked: bool = False,
        on_closed: Callable[[Session], None] | None = None,
        on_cdr: OnCdr | None = None,
    ) -> None:
        self.config = config
        #: A short public name for logs; the resume token is the secret.
        self.name = secrets.token_hex(4)
        self.resume_token = secrets.token_urlsafe(32)
        #: True when the settings come from a saved component and the page may not change them.
        self.locked = locked
        self.media = MediaRequests()
        self.phone = Phone(
            phone_config or PhoneConfig(ws_servers=config.default_servers),
            media_factory=self._make_media,
            on_event=self._on_event,
        )
        self._on_closed = on_closed
        self._on_cdr = on_cdr
        self._seq = 0
        self._events: collections.deque[JsonObject] = collections.deque(maxlen=config.replay_events)
        self._outbox: Outbox | None = None
        self._grace: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    @property
    def attached(self) -> bool:
        return self._outbox is not None

    @property
    def seq(self) -> int:
        """The number of the latest event."""
        return self._seq

    def hello(self, outbox: Outbox, op_id: int | None, resumed: bool, last_seq: int) -> None:
        """Take over `outbox`: answer its hello, replay events after `last_seq`, resend media
        requests, in that order, with nothing else in between (no await here)."""
        previous, self._outbox = self._outbox, outbox
        if previous is not None and previous is not outbox:
            previous.close(4001, "the session was resumed on another connection")
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        outbox.put(
            result_reply(
                op_id,
                session=self.name,
                resume_token=self.resume_token,
                resumed=resumed,
                version=VERSION,
                seq=self._seq,
                config=public_config(self.phone.config),
            )
        )
        for event in self._events:
            if event["seq"] > last_seq:
                outbox.put(event)
        self.media.attach(outbox.put)

    def detach(self, outbox: Outbox) -> None:
        """`outbox`'s connection ended; unless another has taken over, start the grace period."""
        if self._outbox is not outbox or self.closed:
            return
        self._outbox = None
        self.media.attach(None)
        loop = asyncio.get_running_loop()
        self._grace = loop.call_later(self.config.grace_period, self._expire)
        logger.info("session %s: page gone, %g s to resume", self.name, self.config.grace_period)

    def run(self, op: Operation, outbox: Outbox) -> None:
        """Start `op`; its reply goes to `outbox`, the connection that asked (if still there).

        Each op runs as its own task: `answer` waits for the page's SDP, which arrives as a
        later message on the same connection, so the reader must not wait for the op."""
        if len(self._tasks) >= MAX_RUNNING:
            message = "too many operations in progress"
            outbox.put(ProtocolError("rate_limited", message, op.id).reply())
            return
        self._spawn(self._run(op, outbox))

    async def _run(self, op: Operation, outbox: Outbox) -> None:
        try:
            if op.op == "set_config":
                self._set_config(op)
                reply = result_reply(op.id)
            else:
                reply = result_reply(op.id, **await perform(self.phone, op))
        except ProtocolError as e:
            reply = e.reply()
        except Exception as e:
            logger.exception("session %s: %s failed", self.name, op.op)
            reply = ProtocolError("internal_error", f"{op.op} failed: {e}", op.id).reply()
        if self._outbox is outbox:
            outbox.put(reply)

    def _set_config(self, op: Operation) -> None:
        if self.locked:
            raise ProtocolError("forbidden", "this component's settings are fixed", op.id)
        try:
            apply_config(self.phone, dict(op.fields), self.config.default_servers)
        except ConfigError as e:
            raise config_error(e, op.id) from None

    def _on_event(self, event: PhoneEvent) -> None:
        self._seq += 1
        message = event_message(self._seq, event.to_dict())
        self._events.append(message)
        if self._outbox is not None:
            self._outbox.put(message)
        if isinstance(event, Ended) and self._on_cdr is not None:
            try:
                self._on_cdr(event.cdr)
            except Exception:
                logger.exception("session %s: storing the CDR failed", self.name)

    def notify(self, code: str, message: str) -> None:
        """An `error` event of the gateway's own (not from the Phone), numbered like others."""
        self._on_event(ErrorEvent(code, message))

    def _make_media(self, video: bool) -> Media:
        config = self.config
        return BrowserMedia(
            self.media,
            video=video,
            sdp_timeout=config.sdp_timeout,
            stats_timeout=config.stats_timeout,
        )

    def _expire(self) -> None:
        self._grace = None
        logger.info("session %s: not resumed within %g s", self.name, self.config.grace_period)
        # Closed for resumes now, not when the task below first runs: a hello in between
        # would attach a page to a session about to go.
        self._stop()
        self._spawn(self._release())

    async def close(self) -> None:
        """Hang up, unregister and forget the session. Safe to call twice."""
        if self.closed:
            return
        self._stop()
        await self._release()

    def _stop(self) -> None:
        self.closed = True
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        if self._on_closed is not None:
            self._on_closed(self)
        # Fail waiting media requests first, so the Phone does not wait for a page that is gone.
        self.media.close("the browser session is closed")

    async def _release(self) -> None:
        try:
            await self.phone.close()  # hangs up, letting the BYE or CANCEL go out
        except Exception:
            logger.exception("session %s: closing the Phone failed", self.name)
        current = asyncio.current_task()
        others = [t for t in self._tasks if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        if self._outbox is not None:
            self._outbox.close(1001, "session closed")
            self._outbox = None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
