"""One call to a built-in service: the server as the called user agent (RFC 3261 §8.2, §13.3)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from enum import Enum
from typing import Any, Protocol

from webphone.sip import InvalidStateError, NameAddr, ParseError, Request, Response
from webphone.sip.builders import ALLOW, UserAgentConfig, make_response
from webphone.sip.dialog import Dialog
from webphone.sip.ids import Ids
from webphone.sip.timers import T1, T2

from .events import DialogKey
from .routing import Target

logger = logging.getLogger(__name__)


class CallState(Enum):
    """INCOMING -> EARLY (1xx with tag) -> ANSWERED (2xx sent) -> CONFIRMED (ACK) -> ENDED;
    ENDED from any state (rejected, cancelled, BYE either way, no ACK, peer gone)."""

    INCOMING = "incoming"
    EARLY = "early"
    ANSWERED = "answered"
    CONFIRMED = "confirmed"
    ENDED = "ended"


class ServiceHost(Protocol):
    """What a `ServiceCall` needs from the server that runs it."""

    def respond(self, call: ServiceCall, transaction_id: str, response: Response) -> None: ...

    def send_request(self, call: ServiceCall, request: Request) -> str: ...

    def forget(self, call: ServiceCall) -> None: ...


class ServiceCall:
    """The INVITE a service received, the dialog it answers with, and the call's events."""

    def __init__(
        self,
        host: ServiceHost,
        key: DialogKey,
        service: str,
        request: Request,
        transaction_id: str,
        peer: Target,
        config: UserAgentConfig,
        ids: Ids,
    ) -> None:
        self.key = key
        self.service = service
        self.request = request
        """The INVITE."""
        self.peer = peer
        """Where the caller is (its flow, or its UDP address)."""
        self.state = CallState.INCOMING
        self.end_reason: str | None = None
        self.dialog: Dialog | None = None
        self._host = host
        self._tid = transaction_id
        self._config = config
        self._ids = ids
        self._acks: dict[int, asyncio.Event] = {}  # INVITE CSeq -> its ACK came
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._ended = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def caller(self) -> NameAddr:
        return self.request.from_

    @property
    def offer(self) -> bytes:
        """The SDP offer of the INVITE (empty when the caller wants an offer in the 2xx)."""
        return self.request.body

    @property
    def local_tag(self) -> str:
        return self.key[1]

    @property
    def final_sent(self) -> bool:
        return self.state not in (CallState.INCOMING, CallState.EARLY)

    # Answering the INVITE.

    def respond(
        self,
        status: int,
        reason: str | None = None,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Send a response to the INVITE; a 1xx or 2xx makes the dialog (§12.1.1)."""
        if self.final_sent:
            raise InvalidStateError(f"call {self.key[0]}: already answered ({self.state.value})")
        extra = list(headers)
        if 100 < status < 300:
            extra.append(("Contact", f"<{self._config.contact}>"))
            if status >= 200:
                extra.append(("Allow", ", ".join(ALLOW)))
            if self.dialog is None:
                self.dialog = Dialog.uas(self.request, self.local_tag, self._config, self._ids)
        tag = None if status == 100 else self.local_tag
        response = make_response(
            self.request, status, reason, to_tag=tag, headers=extra, body=body,
            content_type=content_type,
        )  # fmt: skip
        self._host.respond(self, self._tid, response)
        if status < 200:
            if status > 100:
                self.state = CallState.EARLY
        elif status < 300:
            assert self.dialog is not None
            self.dialog.confirm()
            self.state = CallState.ANSWERED
            self._spawn(self._deliver_2xx(self._tid, response, self.request.cseq.seq))
        else:
            self._end(f"rejected with {status}")

    def ring(self) -> None:
        self.respond(180)

    def answer(self, sdp: bytes, content_type: str = "application/sdp") -> None:
        self.respond(200, body=sdp, content_type=content_type)

    def reject(self, status: int = 486, reason: str | None = None) -> None:
        self.respond(status, reason)

    # Events.

    async def confirmed(self) -> bool:
        """Wait for the ACK of the 2xx: True, or False when the call ended first."""
        ack = self._acks.setdefault(self.request.cseq.seq, asyncio.Event())
        ended = asyncio.ensure_future(self._ended.wait())
        acked = asyncio.ensure_future(ack.wait())
        try:
            await asyncio.wait({ended, acked}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            acked.cancel()
        return ack.is_set()

    async def ended(self) -> str:
        """Wait for the end of the call; gives why it ended."""
        await self._ended.wait()
        return self.end_reason or "ended"

    # Requests the service sends.

    async def send(
        self, method: str, body: bytes = b"", content_type: str | None = None
    ) -> Response:
        """A request in the dialog (INFO, re-INVITE ...); its final response (408 on timeout)."""
        if self.dialog is None or self.state is CallState.ENDED:
            raise InvalidStateError(f"no dialog to send {method} in")
        request = self.dialog.create_request(method, body, content_type)
        tid = self._host.send_request(self, request)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[tid] = future
        try:
            response = await future
        finally:
            self._pending.pop(tid, None)
        if self.dialog is not None:
            self.dialog.receive_response(response)
        return response

    async def hangup(self) -> None:
        """End the call: BYE once answered (§15.1.1), else 480 to the INVITE."""
        if self.state is CallState.ENDED:
            return
        if not self.final_sent:
            self.reject(480)
            return
        try:
            await self.send("BYE")
        finally:
            self._end("hung up")

    # Input from the server.

    def on_ack(self, ack: Request) -> None:
        self._acks.setdefault(ack.cseq.seq, asyncio.Event()).set()
        if self.state is CallState.ANSWERED:
            self.state = CallState.CONFIRMED

    def on_bye(self, transaction_id: str, request: Request) -> None:
        self.reply(transaction_id, request, 200)
        self._end("remote hung up")

    def on_cancel(self) -> None:
        self._end("cancelled")

    def on_response(self, transaction_id: str, response: Response) -> None:
        future = self._pending.get(transaction_id)
        if future is not None and not future.done():
            future.set_result(response)

    def on_peer_gone(self, reason: str) -> None:
        self._end(reason)

    def check_request(self, request: Request) -> int | None:
        """The status to refuse an in-dialog request with (481, 500), else None (§12.2.2)."""
        if self.dialog is None:
            return 481
        return self.dialog.receive_request(request)

    def reply(
        self, transaction_id: str, request: Request, status: int, reason: str | None = None,
        *, body: bytes = b"", content_type: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:  # fmt: skip
        """Answer an in-dialog request; a 2xx to a re-INVITE is retransmitted until its ACK."""
        extra = list(headers)
        if request.method == "INVITE" and 200 <= status < 300:
            extra.append(("Contact", f"<{self._config.contact}>"))
        response = make_response(
            request, status, reason, headers=extra, body=body, content_type=content_type
        )
        self._host.respond(self, transaction_id, response)
        if request.method == "INVITE" and 200 <= status < 300:
            self._spawn(self._deliver_2xx(transaction_id, response, request.cseq.seq))

    def close(self) -> None:
        """The server is closing: end without signalling."""
        self._end("server closed")

    # Internals.

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_2xx(self, tid: str, response: Response, seq: int) -> None:
        """§13.3.1.4: resend the 2xx (T1 doubling up to T2) until the ACK; BYE after 64*T1."""
        ack = self._acks.setdefault(seq, asyncio.Event())
        interval, waited = T1, 0.0
        while waited < 64 * T1:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await ack.wait()
                    return
            waited += interval
            if not self.peer.flow_id:  # only unreliable transports need the resends
                try:
                    self._host.respond(self, tid, response)
                except InvalidStateError:
                    break
            interval = min(2 * interval, T2)
        if not ack.is_set() and self.state is not CallState.ENDED:
            logger.info("call %s to %s: no ACK for the 2xx, hanging up", self.key[0], self.service)
            with contextlib.suppress(InvalidStateError, ParseError):
                await self.hangup()

    def _end(self, reason: str) -> None:
        if self.state is CallState.ENDED:
            return
        self.state = CallState.ENDED
        self.end_reason = reason
        self._ended.set()
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self._host.forget(self)
