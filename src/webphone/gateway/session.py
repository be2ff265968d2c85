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
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from ..phone import Ended, Phone, PhoneConfig, PhoneEvent, Registered, RingingIn, Unregistered
from ..phone import Error as ErrorEvent
from ..phone.config import ConfigError
from ..phone.media import Media
from ..sip import SipUri
from .access import SavedComponent
from .browser_media import BrowserMedia
from .config import GatewayConfig
from .hooks import GatewayHooks
from .media_requests import MediaRequests
from .operations import apply_config, config_error, perform, public_config
from .policy import CallRefusedError, refused_cdr
from .protocol import (
    VERSION,
    JsonObject,
    Operation,
    ProtocolError,
    event_message,
    result_reply,
)
from .records import started

__all__ = ["Outbox", "Session"]

logger = logging.getLogger(__name__)

#: Operations of one session in progress at once (most take a SIP round trip at most).
MAX_RUNNING = 32
#: Told each call's CDR as the call ends (to store it).
OnCdr = Callable[[dict[str, Any]], None]
#: The dial policy: let a call of the session to the target go, or raise `CallRefusedError`.
Admit = Callable[["Session", SipUri], None]


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
        component: SavedComponent | None = None,
        origin: str | None = None,
        client: str | None = None,
        hooks: GatewayHooks | None = None,
        admit: Admit | None = None,
        on_closed: Callable[[Session], None] | None = None,
        on_cdr: OnCdr | None = None,
    ) -> None:
        self.config = config
        #: A short public name for logs; the resume token is the secret.
        self.name = secrets.token_hex(4)
        self.resume_token = secrets.token_urlsafe(32)
        #: The saved component whose account the session uses (None: the page's own settings).
        self.component = component
        #: The page's origin and IP address, from the WebSocket handshake that opened it.
        self.origin = origin
        self.client = client
        #: Whether the Phone is registered now (from its events).
        self.registered = False
        self.media = MediaRequests()
        self.phone = Phone(
            component.phone_config if component else PhoneConfig(ws_servers=config.default_servers),
            media_factory=self._make_media,
            on_event=self._on_event,
        )
        self._hooks = hooks or GatewayHooks()
        self._admit = admit
        self._dialling = 0  # make_call operations between the policy check and the call
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
    def component_id(self) -> str | None:
        return self.component.id if self.component else None

    @property
    def user(self) -> str | None:
        """The SIP user name the session registers and calls with."""
        return self.phone.config.username or None

    @property
    def in_call(self) -> bool:
        """A call is going on, or being dialled (the dial policy counts it already)."""
        return self.phone.call is not None or self._dialling > 0

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
                config=public_config(self.phone.config)
                | dict(self.component.public if self.component else {}),
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
        began = time.perf_counter()
        try:
            if op.op == "set_config":
                self._set_config(op)
                reply = result_reply(op.id)
            elif op.op == "make_call":
                reply = result_reply(op.id, **await self._make_call(op))
            else:
                reply = result_reply(op.id, **await perform(self.phone, op))
        except ProtocolError as e:
            reply = e.reply()
        except Exception as e:
            logger.exception("session %s: %s failed", self.name, op.op)
            reply = ProtocolError("internal_error", f"{op.op} failed: {e}", op.id).reply()
        error = reply["code"] if reply["type"] == "error" else None
        self._hooks.operation_done(op.op, time.perf_counter() - began, error)
        if self._outbox is outbox:
            outbox.put(reply)

    async def _make_call(self, op: Operation) -> JsonObject:
        """make_call, through the component's dial policy; a call that starts is recorded."""
        if self._admit is not None and self.phone.call is None:
            try:
                target = self.phone.config.target_uri(op.fields["address"])
            except ConfigError as e:
                raise config_error(e, op.id) from None
            try:
                self._admit(self, target)
            except CallRefusedError as e:
                logger.info("session %s: call to %s refused: %s", self.name, target, e)
                self._hooks.call_refused(self, refused_cdr(self.phone.config, target, e), e.code)
                raise ProtocolError(e.code, str(e), op.id) from None
        self._dialling += 1
        try:
            result = await perform(self.phone, op)
        finally:
            self._dialling -= 1
        call = self.phone.call
        if call is not None and call.call_id == result.get("call_id"):
            self._hooks.call_started(self, started(call.cdr.to_dict()))
        return result

    def _set_config(self, op: Operation) -> None:
        if self.component is not None:  # a saved component's settings are fixed
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
        if isinstance(event, Registered | Unregistered):
            self.registered = isinstance(event, Registered)
        elif isinstance(event, RingingIn) and self.phone.call is not None:
            self._hooks.call_started(self, started(self.phone.call.cdr.to_dict()))
        self._hooks.phone_event(self, event)
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
