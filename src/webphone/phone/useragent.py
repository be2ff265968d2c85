"""The asyncio glue of a SIP user agent: transport in, transaction layer, one timer, and out.

Receive → feed the transaction layer → dispatch its events → flush what it wants sent →
re-arm the single loop timer (STYLE: aioquic's protocol.py). Client requests are awaited as
futures that resolve with the final response; 401/407 challenges are answered here, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..sip import Request, Response
from ..sip.builders import make_response
from ..sip.digest import parse_challenge_headers
from ..sip.digest_client import AuthDecision, DigestClient
from ..sip.errors import InvalidStateError, ParseError
from ..sip.events import (
    AckReceived,
    Event,
    RequestReceived,
    ResponseReceived,
    StrayResponseReceived,
    TransactionTimedOut,
    TransportFailed,
)
from ..sip.ids import Ids
from ..sip.requests import with_credentials
from ..sip.transaction import TransactionLayer
from ..transport import SipWebSocketClient, TransportError

logger = logging.getLogger(__name__)

#: Where a request the UA core received is handed: (server transaction id, request).
RequestHandler = Callable[[str, Request], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request as finally sent (after any authentication retry) and its final response."""

    request: Request
    response: Response


class _Pending:
    __slots__ = ("future", "on_provisional", "request")

    def __init__(
        self, request: Request, on_provisional: Callable[[Response, Request], None] | None
    ) -> None:
        self.request = request
        self.future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.on_provisional = on_provisional


class UserAgent:
    """Sends requests and responses over one SIP-over-WebSocket client, through transactions."""

    def __init__(
        self,
        transport: SipWebSocketClient,
        ids: Ids,
        *,
        username: str,
        password: str,
        on_request: RequestHandler,
        on_stray_response: Callable[[Response], None],
    ) -> None:
        self.transport = transport
        self.ids = ids
        self.transactions = TransactionLayer(ids)
        self._on_request = on_request
        self._on_stray_response = on_stray_response
        self._pending: dict[str, _Pending] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._outbox: asyncio.Queue[Request | Response] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # One digest state per header pair: a registrar and a proxy may share a realm.
        self._www = DigestClient(username, password, cnonce=lambda: ids.hex(8))
        self._proxy = DigestClient(username, password, cnonce=lambda: ids.hex(8))

    @property
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def start(self) -> None:
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for task in [*self._tasks, *([self._writer] if self._writer else [])]:
            task.cancel()
        for task in [*self._tasks, *([self._writer] if self._writer else [])]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._writer = None
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.cancel()

    # Requests we send.

    async def request(
        self,
        request: Request,
        *,
        on_provisional: Callable[[Response, Request], None] | None = None,
        on_sent: Callable[[Request], None] | None = None,
    ) -> Exchange:
        """Send `request` in a client transaction; answer one 401/407; give the final response.

        A transaction time-out gives a 408, a transport failure a 503, as RFC 3261 §8.1.3.1
        says to treat them. `on_sent` sees every version of the request that goes out.
        """
        answered_challenge = False
        while True:
            if on_sent is not None:
                on_sent(request)
            response = await self._send(request, on_provisional)
            if response.status not in (401, 407) or answered_challenge:
                return Exchange(request, response)
            retry = self._authenticated(request, response)
            if retry is None:
                return Exchange(request, response)
            request, answered_challenge = retry, True

    def _authenticated(self, request: Request, response: Response) -> Request | None:
        """The request again with credentials for the challenge, or None to give up."""
        proxy = response.status == 407
        client = self._proxy if proxy else self._www
        challenge_header = "Proxy-Authenticate" if proxy else "WWW-Authenticate"
        credentials_header = "Proxy-Authorization" if proxy else "Authorization"
        try:
            challenges = parse_challenge_headers(response.headers.get_all(challenge_header))
        except ParseError as e:
            logger.warning("unusable %s challenge: %s", response.status, e)
            return None
        # Credentials sent before any challenge in this exchange (a refresh reusing the last
        # nonce) may simply be out of date, after a server restart say: the first challenge
        # is always answered; a second one means the password is wrong (`request` gives up).
        if client.challenged(challenges, sent=()) is not AuthDecision.RETRY:
            return None
        credentials = client.authorization(request.method, str(request.uri), request.body)
        if not credentials:
            return None
        return with_credentials(request, self.ids, credentials_header, str(credentials[0]))

    def preauthorized(self, request: Request) -> Request:
        """A REGISTER refresh with credentials for the last challenge (its nonce again, nc + 1),
        so that the registrar need not challenge every refresh (RFC 7616 §3.4)."""
        credentials = self._www.authorization(request.method, str(request.uri), request.body)
        return (
            _with_header(request, "Authorization", str(credentials[0])) if credentials else request
        )

    async def _send(
        self, request: Request, on_provisional: Callable[[Response, Request], None] | None
    ) -> Response:
        if not self.transport.is_connected:
            return _synthetic(request, 503, "Not connected")
        try:
            tx = self.transactions.send_request(request, self.now)
        except InvalidStateError as e:
            raise TransportError(str(e), ()) from e
        pending = self._pending[tx.id] = _Pending(tx.request, on_provisional)
        self._flush()
        try:
            return await pending.future
        finally:
            self._pending.pop(tx.id, None)

    def send_ack(self, ack: Request) -> None:
        """The ACK for a 2xx: no transaction (RFC 3261 §13.2.2.4)."""
        self.transactions.send_stateless(ack)
        self._flush()

    # Responses we send.

    def respond(
        self,
        request: Request,
        status: int,
        reason: str | None = None,
        *,
        to_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Response:
        response = make_response(
            request,
            status,
            reason,
            to_tag=to_tag,
            headers=headers,
            body=body,
            content_type=content_type,
        )
        self.send_response(response)
        return response

    def send_response(self, response: Response) -> None:
        try:
            self.transactions.send_response(response, self.now)
        except InvalidStateError as e:  # the transaction ended meanwhile (a CANCEL won)
            logger.info("response %s not sent: %s", response.status, e)
        self._flush()

    def resend(self, message: Request | Response) -> None:
        """Send again outside any transaction: a 2xx retransmission (§13.3.1.4), a re-ACK."""
        self.transactions.send_stateless(message)
        self._flush()

    # Input from the transport.

    def receive(self, message: Request | Response) -> None:
        """Called by the transport for every message received."""
        try:
            self.transactions.receive(message, self.now)
        except ParseError as e:
            logger.warning("dropped a malformed message: %s", e)
        self._flush()

    # The loop: events out of the transaction layer, messages to the transport, the timer.

    def _flush(self) -> None:
        while (event := self.transactions.next_event()) is not None:
            self._dispatch(event)
        for message in self.transactions.messages_to_send():
            self._outbox.put_nowait(message)
        self._rearm()

    def _dispatch(self, event: Event) -> None:
        if isinstance(event, ResponseReceived):
            pending = self._pending.get(event.transaction_id)
            if pending is None or pending.future.done():
                self._on_stray_response(event.response)  # a retransmitted or forked 2xx
            elif event.response.status < 200:
                if pending.on_provisional is not None:
                    pending.on_provisional(event.response, pending.request)
            else:
                pending.future.set_result(event.response)
        elif isinstance(event, TransactionTimedOut | TransportFailed):
            pending = self._pending.get(event.transaction_id)
            if pending is not None and not pending.future.done():
                status, reason = (
                    (408, "Request Timeout")
                    if isinstance(event, TransactionTimedOut)
                    else (503, "Transport Failed")
                )
                pending.future.set_result(_synthetic(pending.request, status, reason))
        elif isinstance(event, RequestReceived):
            self._spawn(self._handle(event.transaction_id, event.request))
        elif isinstance(event, AckReceived):
            self._spawn(self._handle("", event.request))
        elif isinstance(event, StrayResponseReceived):
            self._on_stray_response(event.response)

    async def _handle(self, transaction_id: str, request: Request) -> None:
        try:
            await self._on_request(transaction_id, request)
        except Exception:
            logger.exception("handling %s failed", request.method)
            if request.method != "ACK" and transaction_id:
                self.respond(request, 500, "Server Internal Error")

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _rearm(self) -> None:
        deadline = self.transactions.get_timer()
        if self._timer is not None and (deadline is None or self._timer.when() != deadline):
            self._timer.cancel()
            self._timer = None
        if deadline is not None and self._timer is None:
            self._timer = asyncio.get_running_loop().call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.transactions.handle_timer(self.now)
        self._flush()

    async def _write(self) -> None:
        """The one writer: messages leave in the order the transaction layer queued them."""
        while True:
            message = await self._outbox.get()
            try:
                await self.transport.send(message)
            except TransportError as e:
                logger.info("could not send %s: %s", _first_line(message), e)


def _synthetic(request: Request, status: int, reason: str) -> Response:
    """A response made up locally for a request that got none (RFC 3261 §8.1.3.1)."""
    return make_response(request, status, reason)


def _with_header(request: Request, name: str, value: str) -> Request:
    headers = request.headers.mutable()
    headers.set(name, value)
    return request.with_headers(headers)


def _first_line(message: Request | Response) -> str:
    if isinstance(message, Request):
        return f"{message.method} {message.uri}"
    return f"{message.status} {message.reason}"
