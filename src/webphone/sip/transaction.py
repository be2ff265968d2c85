"""The SIP transaction layer (RFC 3261 §17, RFC 6026), sans-IO: messages and time in, events out.

    layer = TransactionLayer(ids)
    tx = layer.send_request(invite, now)          # a ClientTransaction; tx.id names it
    layer.receive(parse(data), now)               # whatever arrives from the transport
    while (event := layer.next_event()) is not None:
        ...                                       # RequestReceived, ResponseReceived, ...
    for message in layer.messages_to_send():      # requests, retransmissions, ACKs, 100 Trying
        transport.send(message)
    deadline = layer.get_timer()                  # arm one loop timer; when it fires:
    layer.handle_timer(now)

Outgoing messages carry no address: a request goes where the TU sent the request whose
branch its top Via carries (the ACK for a non-2xx too, §17.1.1.3), a response where its top Via
says (§18.2.2). Over a reliable transport (TCP, TLS, WS, WSS) Timers A, E and G are not armed
and D, I, J and K are zero; B, F, H, L and M run everywhere.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque

from .address import Via
from .errors import InvalidStateError, ParseError
from .events import AckReceived, Event, RequestReceived, StrayResponseReceived
from .headers import Headers, canonical, split_values
from .ids import MAGIC_COOKIE, Ids
from .message import Message, Request, Response
from .timers import State, Timer, TimerSettings, Transaction
from .transaction_client import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
    make_ack,
)
from .transaction_server import (
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
    make_trying,
)

__all__ = [
    "ClientInviteTransaction",
    "ClientNonInviteTransaction",
    "ClientTransaction",
    "ServerInviteTransaction",
    "ServerNonInviteTransaction",
    "ServerTransaction",
    "State",
    "Timer",
    "TimerSettings",
    "TransactionLayer",
    "is_reliable",
    "make_ack",
    "make_trying",
]

#: Transports that deliver in order and without loss (§18; RFC 7118 for WS and WSS).
RELIABLE_TRANSPORTS = frozenset({"TCP", "TLS", "SCTP", "TLS-SCTP", "WS", "WSS"})

_Key = tuple[str | int | None, ...]


def is_reliable(via: Via) -> bool:
    """Whether the transport a Via names is reliable; an unknown one counts as unreliable."""
    return via.transport.upper() in RELIABLE_TRANSPORTS


class TransactionLayer:
    """Every client and server transaction of one SIP element, matched by §17.1.3 and §17.2.3.

    Transaction ids are opaque strings, never reused. A terminated transaction is dropped at
    once; its last event is `TransactionTerminated`.
    """

    def __init__(self, ids: Ids, settings: TimerSettings | None = None) -> None:
        self._ids = ids
        self.settings = settings if settings is not None else TimerSettings()
        """T1, T2, T4 and the 100 Trying delay."""
        self._by_id: dict[str, ClientTransaction | ServerTransaction] = {}
        self._clients: dict[tuple[str, str], ClientTransaction] = {}
        self._servers: dict[_Key, ServerTransaction] = {}  # by §17.2.3 request matching
        self._replies: dict[_Key, ServerTransaction] = {}  # by the response the TU sends
        self._events: deque[Event] = deque()
        self._outgoing: list[Message] = []
        self._timers: list[tuple[float, int, str, Timer]] = []  # a heap; stale entries skipped
        self._compact_at = 256
        self._serial = itertools.count(1)  # for transaction ids
        self._order = itertools.count()  # breaks ties between equal deadlines

    def __len__(self) -> int:
        """The number of live transactions."""
        return len(self._by_id)

    def get(self, transaction_id: str) -> ClientTransaction | ServerTransaction | None:
        return self._by_id.get(transaction_id)

    # Input from the TU.

    def send_request(
        self, request: Request, now: float, reliable: bool | None = None
    ) -> ClientTransaction:
        """Start a client transaction for `request` and queue the request (§17.1).

        The TU writes the top Via (it knows its transport and sent-by, §8.1.1.7). Its branch is
        used as it is (a CANCEL carries the branch of its INVITE, §9.1) and must start with
        `z9hG4bK`; without one the layer adds a fresh branch, so `tx.request` is what was sent.
        `reliable` defaults to what the top Via's transport says. An ACK is no transaction:
        the ACK for a 2xx goes out with `send_stateless` (§13.2.2.4), the ACK for a 300-699
        response is sent by the INVITE transaction itself (§17.1.1.3).
        """
        if request.method == "ACK":
            raise InvalidStateError("an ACK starts no client transaction: use send_stateless")
        try:
            via, cseq = request.via, request.cseq
        except ParseError as e:
            raise InvalidStateError(f"cannot send {request.method}: {e}") from None
        if cseq.method != request.method:
            raise InvalidStateError(f"CSeq method {cseq.method} in a {request.method} request")
        branch = via.branch
        if branch is None:
            branch = self._ids.branch()
            request = _with_top_via(request, via.with_param("branch", branch))
        elif not branch.startswith(MAGIC_COOKIE):
            raise InvalidStateError(f"branch {branch!r} lacks the magic cookie {MAGIC_COOKIE}")
        key = (branch, request.method)
        if key in self._clients:
            raise InvalidStateError(f"a {request.method} transaction with branch {branch} exists")
        if reliable is None:
            reliable = is_reliable(via)
        cls = ClientInviteTransaction if request.method == "INVITE" else ClientNonInviteTransaction
        tid = f"c{next(self._serial)}/{request.method}/{branch}"
        tx = cls(tid, request, reliable, self, self.settings)
        self._by_id[tx.id] = self._clients[key] = tx
        tx.start(now)
        return tx

    def send_response(self, response: Response, now: float) -> None:
        """Send the TU's response through the server transaction it answers (§17.2).

        The transaction is found by the response's top Via and CSeq, which the response copies
        from the request (§8.2.6.2). Raises `InvalidStateError` when there is none (never
        created, or terminated) or when its state does not allow the response.
        """
        try:
            tx = self._replies.get(_reply_key(response, response.cseq.method))
        except ParseError as e:
            raise InvalidStateError(f"cannot send {response.status}: {e}") from None
        if tx is None:
            raise InvalidStateError(
                f"no server transaction for {response.status} to {response.cseq}"
            )
        tx.respond(response, now)

    def send_stateless(self, message: Message) -> None:
        """Queue a message outside any transaction: the ACK for a 2xx (§13.2.2.4), or a
        response sent statelessly (a 400 for a request `parse` refused, §8.2)."""
        self._outgoing.append(message)

    def transport_failed(self, transaction_id: str, now: float) -> None:
        """The transport could not send a message of the transaction (§17.1.4, §17.2.4).

        The transaction reports `TransportFailed` and, in most states, terminates. An unknown
        (already terminated) id is ignored.
        """
        tx = self._by_id.get(transaction_id)
        if tx is not None:
            tx.transport_failed(now)

    def abandon(self, transaction_id: str, now: float) -> None:
        """Give up an INVITE client transaction in Proceeding, which has no timer of its own:
        no final response came 64*T1 after the CANCEL (§9.1), or a proxy's Timer C fired
        (§16.6 step 11). It terminates silently; an unknown id is ignored."""
        tx = self._by_id.get(transaction_id)
        if tx is not None:
            if not isinstance(tx, ClientInviteTransaction):
                raise InvalidStateError(f"only an INVITE client transaction is abandoned: {tx}")
            tx.abandon(now)

    # Input from the transport.

    def receive(self, message: Message, now: float, reliable: bool | None = None) -> None:
        """A message from the transport; what it means comes out of `next_event`.

        `reliable` tells, for a request that creates a server transaction, whether it came over
        a reliable transport; by default its top Via's transport says. Raises `ParseError` only
        for an RFC 2543 request (no `z9hG4bK` branch) whose From or To cannot be parsed.
        """
        if isinstance(message, Response):
            self._receive_response(message, now)
        elif message.method == "ACK":
            tx = self._match_ack(message)
            if tx is None:  # the ACK for a 2xx: the TU's business (§17.2.3)
                self._events.append(AckReceived(message))
            else:
                tx.receive(message, now)
        else:
            self._receive_request(message, now, reliable)

    def _receive_response(self, response: Response, now: float) -> None:
        # §17.1.3: the top Via's branch and the CSeq method, so a CANCEL and its INVITE,
        # which share the branch, have transactions of their own.
        branch = response.via.branch
        tx = self._clients.get((branch, response.cseq.method)) if branch else None
        if tx is None:
            self._events.append(StrayResponseReceived(response))
        else:
            tx.receive(response, now)

    def _receive_request(self, request: Request, now: float, reliable: bool | None) -> None:
        key = _request_key(request, request.method, _to_tag(request))
        tx = self._servers.get(key)
        if tx is not None:  # a retransmission (§17.2.3)
            tx.receive(request, now)
            return
        via = request.via
        if reliable is None:
            reliable = is_reliable(via)
        cls = ServerInviteTransaction if request.method == "INVITE" else ServerNonInviteTransaction
        tid = f"s{next(self._serial)}/{request.method}/{via.branch or '-'}"
        tx = cls(tid, request, reliable, self, self.settings)
        self._by_id[tid] = self._servers[key] = tx
        self._replies[_reply_key(request, request.method)] = tx
        self._events.append(RequestReceived(tid, request))
        tx.start(now)

    def _match_ack(self, ack: Request) -> ServerTransaction | None:
        if _is_rfc3261(ack.via):  # the branch of the INVITE (§17.1.1.3); a 2xx's ACK has its own
            return self._servers.get(_request_key(ack, "INVITE", None))
        # RFC 2543 (§17.2.3): as the INVITE but for the method, and the To tag is that of the
        # response sent. The INVITE had no To tag, or (a re-INVITE) that same tag.
        tag = ack.to.tag
        for invite_tag in (None, tag):
            tx = self._servers.get(_request_key(ack, "INVITE", invite_tag))
            if tx is not None and tx.last_response is not None and tx.last_response.to.tag == tag:
                return tx
        return None

    def cancel_target(self, cancel: Request) -> ServerInviteTransaction | None:
        """The INVITE server transaction a CANCEL refers to, if it still exists (§9.2).

        Matched as by §17.2.3 with the method taken as INVITE: the same branch and sent-by, or
        for RFC 2543 the same Request-URI, tags, Call-ID, CSeq number and top Via.
        """
        tx = self._servers.get(_request_key(cancel, "INVITE", _to_tag(cancel)))
        return tx if isinstance(tx, ServerInviteTransaction) else None

    # Output.

    def next_event(self) -> Event | None:
        """The next event, or None when there is none (h11 style)."""
        return self._events.popleft() if self._events else None

    def messages_to_send(self) -> list[Message]:
        """The messages to send, in order, emptying the outgoing buffer."""
        out, self._outgoing = self._outgoing, []
        return out

    def get_timer(self) -> float | None:
        """The earliest deadline over all transactions, or None when no timer runs."""
        heap = self._timers
        while heap:
            if self._is_live(heap[0]):
                return heap[0][0]
            heapq.heappop(heap)
        return None

    def handle_timer(self, now: float) -> None:
        """Fire every timer whose deadline is `now` or earlier, earliest first."""
        heap = self._timers
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            if self._is_live(entry):
                self._by_id[entry[2]].fire(entry[3], now)

    def _is_live(self, entry: tuple[float, int, str, Timer]) -> bool:
        deadline, _, tid, timer = entry
        tx = self._by_id.get(tid)
        return tx is not None and tx.deadline(timer) == deadline

    # The `Sink` the transactions write to.

    def emit(self, event: Event) -> None:
        self._events.append(event)

    def transmit(self, message: Message) -> None:
        self._outgoing.append(message)

    def schedule(self, transaction: Transaction, timer: Timer, deadline: float) -> None:
        heapq.heappush(self._timers, (deadline, next(self._order), transaction.id, timer))
        if len(self._timers) > self._compact_at:  # cancelled timers linger until popped
            self._timers = [entry for entry in self._timers if self._is_live(entry)]
            heapq.heapify(self._timers)
            self._compact_at = max(256, 2 * len(self._timers))

    def discard(self, transaction: Transaction) -> None:
        """Forget a terminated transaction (bounded memory: §17.1.1.2 "destroyed")."""
        del self._by_id[transaction.id]
        request = transaction.request
        if isinstance(transaction, ClientTransaction):
            client_key = (request.via.branch or "", request.method)
            if self._clients.get(client_key) is transaction:
                del self._clients[client_key]
            return
        for index, key in (
            (self._servers, _request_key(request, request.method, _to_tag(request))),
            (self._replies, _reply_key(request, request.method)),
        ):
            if index.get(key) is transaction:
                del index[key]


def _is_rfc3261(via: Via) -> bool:
    branch = via.branch
    return branch is not None and branch.startswith(MAGIC_COOKIE)


def _to_tag(request: Request) -> str | None:
    """The To tag, needed only by RFC 2543 matching (it parses To)."""
    return None if _is_rfc3261(request.via) else request.to.tag


def _request_key(request: Request, method: str, to_tag: str | None) -> _Key:
    """What a request matches a server transaction by (§17.2.3); `method` is INVITE for ACK."""
    via = request.via
    if _is_rfc3261(via):
        return ("3261", via.branch, via.sent_by.lower(), method)
    cseq = request.cseq
    return (
        "2543",
        str(request.uri),
        request.from_.tag,
        request.call_id,
        cseq.seq,
        str(via),
        method,
        to_tag,
    )


def _reply_key(message: Message, method: str) -> _Key:
    """What a response finds its server transaction by: the fields it copies (§8.2.6.2)."""
    via = message.via
    if _is_rfc3261(via):
        return ("3261", via.branch, via.sent_by.lower(), method)
    return ("2543", str(via), message.call_id, message.cseq.seq, method, message.from_.tag)


def _with_top_via(request: Request, via: Via) -> Request:
    items: list[tuple[str, str]] = []
    done = False
    for name, value in request.headers:
        if not done and canonical(name) == "via":
            items.append((name, ", ".join([str(via), *split_values(value)[1:]])))
            done = True
        else:
            items.append((name, value))
    return request.replace(headers=Headers(items))
