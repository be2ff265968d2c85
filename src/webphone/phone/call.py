r"""One call: INVITE out or in, answer, hold by re-INVITE, DTMF, hang-up, and its CDR.

```
 outgoing:  CALLING --18x--> RINGING --2xx--> ACTIVE --BYE--> ENDED
                 \_______________\____ 3xx-6xx, CANCEL, time-out ____/
 incoming:  INCOMING --answer()--> ACTIVE --BYE--> ENDED
                 \___ decline, CANCEL ___________________/
```
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..sip import Request, Response
from ..sip._useragent import UserAgentConfig, capabilities
from ..sip.builders import REASONS, info_dtmf
from ..sip.dialog import Dialog, DialogId
from ..sip.errors import InvalidStateError, ParseError
from ..sip.requests import cancel, invite
from ..sip.sdp import parse_sdp
from ..sip.timers import T1, T2
from ..sip.uri import SipUri
from .cdr import Cdr, EndedBy
from .events import Answered, DtmfReceived, Ended, Error, HoldChanged, PhoneEvent, RingingOut
from .media import Direction, Media, MediaError
from .useragent import UserAgent

logger = logging.getLogger(__name__)


class CallState(Enum):
    CALLING = "calling"
    RINGING = "ringing"
    INCOMING = "incoming"
    ACTIVE = "active"
    ENDED = "ended"


_TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    CallState.CALLING: frozenset({CallState.RINGING, CallState.ACTIVE, CallState.ENDED}),
    CallState.RINGING: frozenset({CallState.ACTIVE, CallState.ENDED}),
    CallState.INCOMING: frozenset({CallState.ACTIVE, CallState.ENDED}),
    CallState.ACTIVE: frozenset({CallState.ENDED}),
    CallState.ENDED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class CallContext:
    """What a call needs from its Phone."""

    ua: UserAgent
    config: UserAgentConfig
    emit: Callable[[PhoneEvent], None]
    dtmf_mode: str
    on_ended: Callable[[Call], None]


class Call:
    """A call of a Phone. Create with `Call.outgoing(...)` or `Call.incoming(...)`."""

    def __init__(self, ctx: CallContext, media: Media, cdr: Cdr, state: CallState) -> None:
        self._ctx = ctx
        self.media = media
        self.cdr = cdr
        self._state = state
        self.dialog: Dialog | None = None
        self.local_hold = False
        self.remote_hold = False
        self.muted = False
        self._invite: Request | None = None  # the INVITE as last sent or received
        self._local_tag = ctx.ua.ids.tag()
        self._provisional = asyncio.Event()
        self._cancelling = False
        self._ack: Request | None = None  # our ACK, sent again for a retransmitted 2xx
        self._ok: Response | None = None  # our 2xx, sent again until its ACK (§13.3.1.4)
        self._acked = asyncio.Event()
        self._offerless = False
        self._reinviting = False
        self._dtmf_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.ended = asyncio.Event()

    @property
    def call_id(self) -> str:
        return self.cdr.call_id

    @property
    def state(self) -> CallState:
        return self._state

    def _transition(self, new: CallState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise InvalidStateError(f"call {self.call_id}: from {self._state.name} to {new.name}")
        logger.debug("call %s: %s -> %s", self.call_id, self._state.name, new.name)
        self._state = new

    def matches(self, message: Request | Response) -> bool:
        return self.dialog is not None and DialogId.of_received(message) == self.dialog.id

    def is_invite(self, request: Request) -> bool:
        """Whether `request` (a CANCEL's INVITE, say) is this call's initial INVITE."""
        return self._invite is not None and request.call_id == self._invite.call_id

    # Outgoing.

    @classmethod
    def outgoing(cls, ctx: CallContext, media: Media, target: SipUri, server: str | None) -> Call:
        cdr = Cdr(
            call_id=ctx.ua.ids.call_id(),
            direction="outgoing",
            from_uri=str(ctx.config.aor),
            from_name=ctx.config.display_name,
            to_uri=str(target),
            server=server,
            started_at=time.time(),
            cli=ctx.config.aor.user,
        )
        return cls(ctx, media, cdr, CallState.CALLING)

    async def dial(self, target: SipUri) -> None:
        """Send the INVITE and follow it to the end of the call set-up."""
        try:
            offer = await self.media.create_offer()
        except MediaError as e:
            await self._end("system", None, f"media failed: {e}", error="media_failed")
            return
        request = invite(
            self._ctx.config,
            self._ctx.ua.ids,
            target,
            sdp=offer.encode(),
            call_id=self.call_id,
            from_tag=self._local_tag,
        )
        exchange = await self._ctx.ua.request(
            request, on_provisional=self._on_provisional, on_sent=self._sent_invite
        )
        response = exchange.response
        if response.is_success:
            await self._accepted(exchange.request, response)
        elif self._state is not CallState.ENDED:
            by: EndedBy = "local" if self._cancelling else "remote"
            if response.status in (408, 503) and not response.to.tag:
                by = "system"  # made up locally: a time-out or a lost connection
            await self._end(by, response.status, response.reason or _reason(response.status))

    def _sent_invite(self, request: Request) -> None:
        self._invite = request

    def _on_provisional(self, response: Response, request: Request) -> None:
        self._provisional.set()
        if response.status in (180, 183) and self._state is CallState.CALLING:
            self._transition(CallState.RINGING)
            self.cdr.ringing_at = time.time()
            self._ctx.emit(RingingOut(self.call_id, response.status, bool(response.body)))

    async def _accepted(self, request: Request, response: Response) -> None:
        config, ids = self._ctx.config, self._ctx.ua.ids
        self.dialog = Dialog.uac(request, response, config, ids)
        self._ack = self.dialog.ack(request)
        self._ctx.ua.send_ack(self._ack)
        if self._state is CallState.ENDED:  # hung up while the 200 was on its way
            self._spawn(self._send_bye())
            return
        try:
            await self.media.set_answer(response.body.decode())
        except (MediaError, UnicodeDecodeError) as e:
            self._spawn(self._send_bye())
            await self._end("system", 488, f"unusable SDP answer: {e}", error="media_failed")
            return
        self._transition(CallState.ACTIVE)
        self.cdr.answered_at = time.time()
        self.cdr.sip_status = 200
        self.cdr.to_name = response.to.display_name
        self._ctx.emit(Answered(self.call_id, "outgoing", str(response.to.uri)))

    def stray_response(self, response: Response) -> None:
        """A 2xx again (its ACK was lost, RFC 6026): the same ACK again."""
        if self._ack is not None and response.is_success and response.cseq.method == "INVITE":
            self._ctx.ua.resend(self._ack)

    # Incoming.

    @classmethod
    def incoming(cls, ctx: CallContext, media: Media, request: Request, server: str | None) -> Call:
        caller = request.from_
        cdr = Cdr(
            call_id=request.call_id,
            direction="incoming",
            from_uri=str(caller.uri),
            from_name=caller.display_name,
            to_uri=str(request.to.uri),
            server=server,
            started_at=time.time(),
            cli=getattr(caller.uri, "user", None),
        )
        call = cls(ctx, media, cdr, CallState.INCOMING)
        call._invite = request
        return call

    def ring(self) -> None:
        """Answer the INVITE with 180 Ringing; the Phone emits RingingIn."""
        assert self._invite is not None
        self._offerless = not self._invite.body
        self.cdr.ringing_at = time.time()
        self._ctx.ua.respond(self._invite, 180, to_tag=self._local_tag, headers=self._contact())

    async def answer(self) -> None:
        if self._state is not CallState.INCOMING or self._invite is None:
            raise InvalidStateError(f"no incoming call to answer (call is {self._state.value})")
        request = self._invite
        try:
            if self._offerless:  # RFC 3261 §13.2.1: our offer in the 2xx, the answer in ACK
                sdp = await self.media.create_offer()
            else:
                sdp = await self.media.create_answer(request.body.decode())
        except (MediaError, UnicodeDecodeError) as e:
            self._ctx.ua.respond(request, 488, to_tag=self._local_tag)
            await self._end("system", 488, f"unusable SDP offer: {e}", error="media_failed")
            return
        if self._state is not CallState.INCOMING:  # cancelled while we made the answer
            return
        self.dialog = Dialog.uas(request, self._local_tag, self._ctx.config, self._ctx.ua.ids)
        self._ok = self._ctx.ua.respond(
            request,
            200,
            to_tag=self._local_tag,
            headers=[*self._contact(), *capabilities(self._ctx.config)],
            body=sdp.encode(),
        )
        self._transition(CallState.ACTIVE)
        self.cdr.answered_at = time.time()
        self.cdr.sip_status = 200
        self._spawn(self._retransmit_ok())
        self._ctx.emit(Answered(self.call_id, "incoming", self.cdr.from_uri))

    async def _retransmit_ok(self) -> None:
        """Send the 2xx again at T1, 2·T1 ... T2 until the ACK; BYE after 64·T1 (§13.3.1.4)."""
        interval, waited = T1, 0.0
        while waited < 64 * T1:
            try:
                await asyncio.wait_for(self._acked.wait(), interval)
                return
            except TimeoutError:
                waited += interval
                interval = min(2 * interval, T2)
                if self._ok is not None and self._state is CallState.ACTIVE:
                    self._ctx.ua.resend(self._ok)
        if self._state is CallState.ACTIVE:
            await self._send_bye()
            await self._end("system", 408, "no ACK for our 200 OK", error="call_failed")

    async def cancelled(self) -> None:
        """The caller gave up before we answered (§9.2): 487 to the INVITE."""
        if self._state is CallState.INCOMING and self._invite is not None:
            self._ctx.ua.respond(self._invite, 487, to_tag=self._local_tag)
            await self._end("remote", 487, "cancelled by the caller")

    async def decline(self, status: int = 603) -> None:
        if self._state is CallState.INCOMING and self._invite is not None:
            self._ctx.ua.respond(self._invite, status, to_tag=self._local_tag)
            await self._end("local", status, _reason(status))

    # In the dialog.

    async def on_request(self, transaction_id: str, request: Request) -> None:
        """An in-dialog request for this call (the Phone matched it by dialog id)."""
        ua, dialog = self._ctx.ua, self.dialog
        assert dialog is not None
        if request.method == "ACK":
            if request.cseq.seq == (self._invite.cseq.seq if self._invite else -1):
                self._acked.set()
                if dialog.state.name == "EARLY":
                    dialog.confirm()
                if self._offerless and request.body:
                    self._offerless = False
                    await self._apply_answer(request.body)
            return
        if request.method == "INVITE" and self._reinviting:
            ua.respond(request, 491)  # glare: both sent a re-INVITE (§14.2)
            return
        status = dialog.receive_request(request)
        if status is not None:
            ua.respond(request, status)
        elif request.method == "BYE":
            ua.respond(request, 200)
            await self._end("remote", self.cdr.sip_status, "the other party hung up")
        elif request.method in ("INVITE", "UPDATE"):
            await self._reoffered(request)
        elif request.method == "INFO":
            self._info(request)
        else:  # OPTIONS and anything else a dialog may carry
            ua.respond(request, 200, headers=capabilities(self._ctx.config))

    async def _reoffered(self, request: Request) -> None:
        """A re-INVITE or UPDATE from the far end: hold, unhold, or a refresh."""
        ua = self._ctx.ua
        if not request.body:
            ua.respond(request, 200, headers=self._contact())  # a session refresh, no offer
            return
        try:
            offered = parse_sdp(request.body).effective_direction()
            remote_hold = offered in ("sendonly", "inactive")
            ours: Direction = "sendonly" if self.local_hold else "sendrecv"
            answer = await self.media.create_answer(request.body.decode(), ours)
        except (MediaError, ParseError, UnicodeDecodeError) as e:
            logger.info("re-offer refused: %s", e)
            ua.respond(request, 488)
            return
        ua.respond(request, 200, headers=self._contact(), body=answer.encode())
        if remote_hold != self.remote_hold:
            self.remote_hold = remote_hold
            self._ctx.emit(HoldChanged(self.call_id, self.local_hold, self.remote_hold))

    def _info(self, request: Request) -> None:
        ua = self._ctx.ua
        if request.content_type not in ("application/dtmf-relay", "application/dtmf"):
            ua.respond(request, 415 if request.body else 200)
            return
        digit = _dtmf_digit(request.body)
        if digit is None:
            ua.respond(request, 400, "Bad DTMF body")
            return
        ua.respond(request, 200)
        self._ctx.emit(DtmfReceived(self.call_id, digit, "info"))

    async def _apply_answer(self, body: bytes) -> None:
        try:
            await self.media.set_answer(body.decode())
        except (MediaError, UnicodeDecodeError) as e:
            await self._send_bye()
            await self._end("system", 488, f"unusable SDP answer: {e}", error="media_failed")

    # Actions while in the call.

    async def set_hold(self, hold: bool) -> None:
        """Re-INVITE with sendonly (hold) or sendrecv (unhold), RFC 3264 §8.4."""
        if self._state is not CallState.ACTIVE or self.dialog is None:
            raise InvalidStateError(f"hold needs an answered call (call is {self._state.value})")
        if hold == self.local_hold:
            return
        direction: Direction = "sendonly" if hold else "sendrecv"
        if await self._reinvite(direction):
            self.local_hold = hold
            # sendonly lets us send music on hold; we have none, and the held party must not
            # hear our microphone, so it gets silence until unhold.
            self.media.mute(hold or self.muted)
            self._ctx.emit(HoldChanged(self.call_id, self.local_hold, self.remote_hold))

    def set_mute(self, muted: bool) -> None:
        """Mute: the far end gets silence; packets keep flowing, so no SDP change."""
        self.muted = muted
        self.media.mute(muted or self.local_hold)

    async def _reinvite(self, direction: Direction) -> bool:
        if self._reinviting:
            raise InvalidStateError("a re-INVITE is already in progress")
        self._reinviting = True
        try:
            if self.cdr.direction == "incoming":
                # §14.1: the callee sends no re-INVITE before the ACK for its 200 has come.
                await asyncio.wait_for(self._acked.wait(), 64 * T1)
            for _ in range(3):
                dialog = self.dialog
                if dialog is None or self._state is not CallState.ACTIVE:
                    return False
                offer = await self.media.create_offer(direction)
                request = dialog.create_request("INVITE", offer.encode(), "application/sdp")
                exchange = await self._ctx.ua.request(request)
                response = exchange.response
                dialog.receive_response(response)
                if response.is_success:
                    self._ctx.ua.send_ack(dialog.ack(exchange.request))
                    await self._apply_answer(response.body)
                    return self._state is CallState.ACTIVE
                if response.status == 491:  # §14.1: the Call-ID's owner waits 2.1-4 s, else 0-2 s
                    owner = self.cdr.direction == "outgoing"
                    await asyncio.sleep(random.uniform(2.1, 4.0) if owner else random.uniform(0, 2))
                    continue
                if response.status in (408, 481):  # the dialog is gone (§12.2.1.2)
                    await self._end("system", response.status, "the call was lost")
                    return False
                self._ctx.emit(
                    Error("hold_failed", f"re-INVITE refused: {response.status}", response.status)
                )
                return False
            return False
        finally:
            self._reinviting = False

    async def send_dtmf(self, digit: str) -> None:
        if self._state is not CallState.ACTIVE or self.dialog is None:
            raise InvalidStateError(f"DTMF needs an answered call (call is {self._state.value})")
        async with self._dtmf_lock:  # digits leave in the order they were pressed
            mode = self._ctx.dtmf_mode
            if mode != "info" and await self.media.send_dtmf(digit):
                return
            if mode == "rfc4733":
                self._ctx.emit(Error("dtmf_failed", "telephone-event was not negotiated"))
                return
            response = (await self._ctx.ua.request(info_dtmf(self.dialog, digit))).response
            if not response.is_success:
                self._ctx.emit(
                    Error("dtmf_failed", f"INFO refused: {response.status}", response.status)
                )

    async def hangup(self) -> None:
        """End the call whatever its state: BYE, CANCEL or decline."""
        if self._state is CallState.ACTIVE:
            self._spawn(self._send_bye())
            await self._end("local", self.cdr.sip_status, "hung up")
        elif self._state in (CallState.CALLING, CallState.RINGING):
            self._cancelling = True
            self._spawn(self._send_cancel())
            await self._end("local", 487, "cancelled")
        elif self._state is CallState.INCOMING:
            await self.decline()

    async def _send_cancel(self) -> None:
        """CANCEL once a provisional response came (§9.1: not before)."""
        try:
            await asyncio.wait_for(self._provisional.wait(), 64 * T1)
        except TimeoutError:
            return
        if self._invite is not None and self.dialog is None:
            await self._ctx.ua.request(cancel(self._invite))

    async def _send_bye(self) -> None:
        if self.dialog is not None and self.dialog.state.name != "TERMINATED":
            try:
                bye = self.dialog.create_request("BYE")
            except InvalidStateError:
                return
            response = (await self._ctx.ua.request(bye)).response
            if not response.is_success:
                logger.info("BYE answered %s", response.status)

    async def _end(
        self, by: EndedBy, status: int | None, reason: str, *, error: str | None = None
    ) -> None:
        if self._state is CallState.ENDED:
            return
        self._transition(CallState.ENDED)
        self._acked.set()
        self.cdr.ended_at = time.time()
        self.cdr.ended_by = by
        self.cdr.sip_status = status
        self.cdr.reason = reason
        try:
            self.cdr.media = (await self.media.refresh_stats()).to_dict()
        except Exception:
            logger.exception("media stats failed")
        await self.media.close()
        if error is not None:
            self._ctx.emit(Error(error, reason, status, self.call_id))
        self._ctx.on_ended(self)
        self._ctx.emit(Ended(self.call_id, self.cdr.to_dict()))
        self.ended.set()

    async def close(self, timeout: float = 2.0) -> None:
        """Let signalling in flight (the BYE or CANCEL of a hang-up) finish, up to `timeout`
        seconds, then stop what is left (the Phone is closing)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _contact(self) -> list[tuple[str, str]]:
        return [("Contact", f"<{self._ctx.config.dialog_contact}>")]

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _dtmf_digit(body: bytes) -> str | None:
    """`Signal=5` (application/dtmf-relay) or a bare `5` (application/dtmf)."""
    text = body.decode("ascii", "replace").strip()
    for line in text.splitlines():
        name, eq, value = line.partition("=")
        if eq and name.strip().lower() == "signal":
            text = value.strip()
            break
    return text.upper() if len(text) == 1 and text.upper() in "0123456789*#ABCD" else None


def _reason(status: int) -> str:
    return REASONS.get(status, f"status {status}")
