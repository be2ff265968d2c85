"""The server core, sans-IO: registrar, authenticating stateful proxy and service dispatch.

    core = ServerCore(config, users, services={"echo"})
    core.receive(message, origin, now)        # every parsed message and where it came from
    for message, target in core.messages_to_send():
        ...                                   # UDP datagram or flow send
    while (event := core.next_event()) is not None:
        ...                                   # ServiceInviteReceived and friends
    core.handle_timer(now) at core.get_timer()

Requests take one of these paths: CANCEL (§16.10); inside a service dialog; inside any other
dialog (To tag: routed by Route, never challenged, §16.4); REGISTER (§10.3, 401); OPTIONS for the
server itself; otherwise authenticated (407), then a built-in service or every contact of the
Request-URI's user (§16.5, §16.6).
"""

from __future__ import annotations

import logging
from collections.abc import Container

from webphone.sip import InvalidStateError, Message, ParseError, Request, Response, SipUri
from webphone.sip.builders import REASONS, make_response
from webphone.sip.events import (
    AckReceived,
    Event,
    RequestReceived,
    ResponseReceived,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
)
from webphone.sip.ids import Ids
from webphone.sip.transaction import TransactionLayer

from .auth import Authenticator, CachedDirectory, UserDirectory
from .config import ServerConfig
from .dialogs import ServiceDialogs
from .events import (
    DialogKey,
    ServiceAckReceived,
    ServiceCancelled,
    ServiceEvent,
    ServiceRequestReceived,
)
from .proxy import Proxy
from .registrar import Origin, Registrar
from .router import Branches, Refusal, Router
from .routing import Hops, Target, fix_top_via

logger = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, MESSAGE, NOTIFY, REFER"


class ServerCore:
    """One SIP server's state: transactions, bindings, response contexts, service dialogs."""

    def __init__(
        self,
        config: ServerConfig,
        users: UserDirectory,
        services: Container[str] = frozenset(),
        *,
        ids: Ids | None = None,
        secret: bytes | None = None,
    ) -> None:
        self.config = config
        self.ids = ids or Ids()
        self.layer = TransactionLayer(self.ids)
        self.registrar = Registrar(config.min_expires, config.max_expires, config.default_expires)
        self.hops = Hops(self.registrar)
        self.users = CachedDirectory(users, config.user_cache_ttl)
        self.auth = Authenticator(
            self.users, domain=config.domain, algorithms=config.algorithms, secret=secret
        )
        self.services = services
        self.tag = self.ids.tag()  # the To tag of the final responses made here
        self.proxy = Proxy(self.layer, self.hops, self.tag)
        self.router = Router(self.hops, self.registrar, self.users, self.proxy)
        self.dialogs = ServiceDialogs()
        self._outbox: list[tuple[Message, Target]] = []

    # Input.

    def receive(self, message: Message, origin: Origin, now: float) -> None:
        """A message parsed by a listener. Never raises: bad input is answered or dropped."""
        try:
            if isinstance(message, Request):
                message = fix_top_via(message, origin)
                if _challenge_ahead(message):
                    # No credentials: the answer is ours and final (a challenge, mostly), so it
                    # goes statelessly, as Kamailio does: no transaction, no retransmissions
                    # of the 407 (§8.2.7); a lost one is asked again by the client's resend.
                    self._out_of_dialog(Target.of(origin), message, origin, now)
                else:
                    self.layer.receive(message, now, reliable=origin.flow_id is not None)
            else:
                self.layer.receive(message, now)
        except ParseError as e:  # a header read late (RFC 2543 From/To) was bad
            self._stateless_error(message, origin, e.status, str(e))
        except Exception:
            logger.exception("receiving %s failed", _describe(message))
            self._stateless_error(message, origin, 500, "")
        self._drain(origin, now)

    def flow_opened(
        self, flow_id: str, transport: str, remote: tuple[str, int], local: tuple[str, int]
    ) -> None:
        """A connection opened (WebSocket, TCP): responses and Record-Routes may use it."""
        self.hops.flow_opened(flow_id, transport, remote, local)

    def flow_closed(self, flow_id: str, now: float) -> None:
        """A connection closed: its bindings go (RFC 5626 §5.2), its branches fail."""
        self.registrar.flow_closed(flow_id)
        self.proxy.flow_closed(flow_id, now)
        self.dialogs.flow_closed(flow_id)
        self.hops.flow_closed(flow_id)
        self._drain(None, now)

    def get_timer(self) -> float | None:
        candidates = (self.layer.get_timer(), self.registrar.next_expiry())
        deadlines = [d for d in candidates if d is not None]
        return min(deadlines) if deadlines else None

    def handle_timer(self, now: float) -> None:
        self.layer.handle_timer(now)
        self.registrar.sweep(now)
        self._drain(None, now)

    # Output.

    def messages_to_send(self) -> list[tuple[Message, Target]]:
        out, self._outbox = self._outbox, []
        return out

    def next_event(self) -> ServiceEvent | None:
        events = self.dialogs.events
        return events.popleft() if events else None

    # For the service glue.

    def respond(self, transaction_id: str, response: Response, now: float) -> None:
        """Send a service's response through its server transaction (InvalidStateError if over)."""
        self.layer.send_response(response, now)
        self._drain(None, now)

    def send_in_dialog(self, key: DialogKey, request: Request, now: float) -> str:
        """Send a service's request (BYE ...) to its peer; the answer comes as an event."""
        peer = self.dialogs.peer(key)
        self.hops.expect(request.via.branch or "", peer)
        tx = self.layer.send_request(request, now, reliable=peer.flow_id is not None)
        self.dialogs.sent(tx.id, key, request)
        self._drain(None, now)
        return tx.id

    def end_dialog(self, key: DialogKey) -> None:
        """The service call is over: in-dialog requests for it now get 481."""
        self.dialogs.end(key)

    def local_for(self, target: Target) -> tuple[str, int]:
        return self.hops.local_for(target)

    # Events of the transaction layer.

    def _drain(self, origin: Origin | None, now: float) -> None:
        # Messages are routed before each event is handled: a TransactionTerminated after the
        # ACK for a 486 (Timer D is 0 on a connection) would otherwise forget its destination.
        layer = self.layer
        while True:
            self._route_output()
            event = layer.next_event()
            if event is None:
                return
            try:
                self._handle(event, origin, now)
            except ParseError as e:
                self._error(event, e.status, str(e), now)
            except Exception:
                logger.exception("handling %s failed", type(event).__name__)
                self._error(event, 500, "", now)

    def _route_output(self) -> None:
        outbox = self._outbox
        hops = self.hops
        for message in self.layer.messages_to_send():
            if isinstance(message, Request):
                target = hops.request_target(message)
            else:
                target = hops.response_target(message)
            if target is None:
                logger.debug("no destination for %s", _describe(message))
            else:
                outbox.append((message, target))

    def _handle(self, event: Event, origin: Origin | None, now: float) -> None:
        if isinstance(event, RequestReceived):
            assert origin is not None  # requests only come in through receive()
            self._on_request(event.transaction_id, event.request, origin, now)
        elif isinstance(event, ResponseReceived):
            self._on_response(event.transaction_id, event.response, now)
        elif isinstance(event, AckReceived):
            self._on_ack(event.request)
        elif isinstance(event, TransactionTimedOut):
            self._on_failure(event.transaction_id, 408, "Request Timeout", now)
        elif isinstance(event, TransportFailed):
            self._on_failure(event.transaction_id, 480, "Temporarily Unavailable (no flow)", now)
        elif isinstance(event, TransactionTerminated):
            self._on_terminated(event.transaction_id)
        # StrayResponseReceived: a stateful proxy drops it (RFC 6026 §8.9)

    def _error(self, event: Event, status: int, detail: str, now: float) -> None:
        if isinstance(event, RequestReceived):
            reason = f"{_reason(status)} ({detail[:80]})" if detail else None
            self._reply(event.transaction_id, event.request, status, now, reason)

    def _stateless_error(self, message: Message, origin: Origin, status: int, detail: str) -> None:
        if isinstance(message, Request) and message.method != "ACK":
            try:
                response = make_response(message, status, to_tag=self.tag)
            except Exception:  # the message cannot even be answered
                logger.info("dropped %s from %s: %s", _describe(message), origin.remote, detail)
                return
            self._outbox.append((response, Target.of(origin)))

    def _reply(
        self,
        tid: str | Target,
        request: Request,
        status: int,
        now: float,
        reason: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        response = make_response(request, status, reason, to_tag=self.tag, headers=headers)
        self._send_final(tid, response, now)

    def _send_final(self, tid: str | Target, response: Response, now: float) -> None:
        """Through the server transaction `tid`, or statelessly to a `Target`."""
        if isinstance(tid, Target):
            self._outbox.append((response, tid))
            return
        try:
            self.layer.send_response(response, now)
        except InvalidStateError as e:
            logger.debug("no reply %d: %s", response.status, e)

    # Requests.

    def _on_request(self, tid: str, request: Request, origin: Origin, now: float) -> None:
        method = request.method
        if method == "CANCEL":
            self._on_cancel(tid, request, now)
            return
        to_tag = request.to.tag
        if to_tag:
            key = (request.call_id, to_tag)
            if key in self.dialogs:
                self.dialogs.events.append(ServiceRequestReceived(key, tid, request))
            else:
                self._forward(tid, request, origin, now, in_dialog=True)
            return
        self._out_of_dialog(tid, request, origin, now)

    def _out_of_dialog(
        self, tid: str | Target, request: Request, origin: Origin, now: float
    ) -> None:
        """A request outside any dialog; `tid` is its server transaction, or (for a request
        without credentials) the Target to answer statelessly."""
        method = request.method
        if method == "REGISTER":
            self._register(tid, request, origin, now)
            return
        uri = request.uri
        user = uri.user if isinstance(uri, SipUri) else None
        routes = "route" in request.headers
        if method == "OPTIONS" and not routes and (user is None or request.max_forwards == 0):
            self._reply(tid, request, 200, now, None, [("Allow", ALLOW)])
            return
        if request.max_forwards == 0:
            self._reply(tid, request, 483, now)
            return
        if "proxy-require" in request.headers:  # §16.3 step 5: we support no extension
            unsupported = ", ".join(request.headers.values("proxy-require"))
            self._reply(tid, request, 420, now, None, [("Unsupported", unsupported)])
            return
        # Only the users of the directory may make calls (§22.3).
        result = self.auth.check(request, now, proxy=True)
        if result.user is None:
            challenge = self.auth.challenge(
                request, now, proxy=True, stale=result.stale, to_tag=self.tag
            )
            self._send_final(tid, challenge, now)
            return
        caller = request.from_.uri
        if not isinstance(caller, SipUri) or caller.user != result.user:
            self._reply(tid, request, 403, now, "Forbidden (From is not the authenticated user)")
            return
        assert isinstance(tid, str)  # a request with credentials has a transaction
        if routes:
            self._forward(tid, request, origin, now, in_dialog=False)
        elif user is None:
            self._reply(tid, request, 404 if isinstance(uri, SipUri) else 416, now)
        elif user in self.services:
            self._service(tid, request, user, origin, now)
        else:
            self._forward(tid, request, origin, now, user=user)

    def _register(self, tid: str | Target, request: Request, origin: Origin, now: float) -> None:
        result = self.auth.check(request, now, proxy=False)
        if result.user is None:
            response = self.auth.challenge(
                request, now, proxy=False, stale=result.stale, to_tag=self.tag
            )
            self._send_final(tid, response, now)
            return
        aor = request.to.uri
        if not isinstance(aor, SipUri) or aor.user != result.user:
            self._reply(tid, request, 403, now, "Forbidden (To is not the authenticated user)")
            return
        outcome = self.registrar.register(request, result.user, origin, now)
        self._reply(tid, request, outcome.status, now, outcome.reason, list(outcome.headers))

    def _forward(
        self,
        tid: str,
        request: Request,
        origin: Origin,
        now: float,
        *,
        user: str | None = None,
        in_dialog: bool = False,
    ) -> None:
        """To the contacts of `user` (§16.5), else along the Route (§16.4)."""
        inbound = Target.of(origin)
        branches: Branches | Refusal
        if user is not None:
            branches = self.router.contacts(request, user, inbound, now)
        else:
            branches = self.router.along_route(request, inbound, in_dialog=in_dialog)
        if isinstance(branches, Refusal):
            self._reply(tid, request, branches.status, now, branches.reason)
        else:
            self.proxy.forward(tid, request, inbound, branches, now)

    def _on_ack(self, ack: Request) -> None:
        """An ACK for a 2xx: the service's, or forwarded statelessly along its route (§16.11)."""
        to_tag = ack.to.tag
        key = (ack.call_id, to_tag or "")
        if key in self.dialogs:
            self.dialogs.events.append(ServiceAckReceived(key, ack))
        elif to_tag != self.tag:
            # (An ACK with our tag is for a final response made here, a 407 say, that came with
            # another branch than the INVITE's, §17.1.1.3, so no transaction took it: dropped.)
            forwarded = self.router.ack(ack)
            if forwarded is not None:
                self._outbox.append(forwarded)

    def _on_cancel(self, tid: str, cancel: Request, now: float) -> None:
        invite = self.layer.cancel_target(cancel)
        if invite is None:
            self._reply(tid, cancel, 481, now)
            return
        self._reply(tid, cancel, 200, now)  # §9.2: the CANCEL itself succeeded
        key = self.dialogs.of_invite(invite.id)
        if key is not None:
            response = make_response(invite.request, 487, to_tag=key[1])
            try:
                self.layer.send_response(response, now)
            except InvalidStateError:
                return  # already answered: too late to cancel (§9.2)
            self.dialogs.events.append(ServiceCancelled(key))
        else:
            self.proxy.cancel(invite.id, now)

    def _service(self, tid: str, request: Request, name: str, origin: Origin, now: float) -> None:
        if request.method == "OPTIONS":
            self._reply(tid, request, 200, now, None, [("Allow", ALLOW)])
            return
        if request.method != "INVITE":
            self._reply(tid, request, 405, now, None, [("Allow", ALLOW)])
            return
        if len(request.contacts) != 1:  # a dialog needs the caller's Contact (§12.1.1)
            self._reply(tid, request, 400, now, "Bad Request (INVITE needs one Contact)")
            return
        key = (request.call_id, self.ids.tag())
        self.dialogs.start(key, name, tid, request, Target.of(origin))

    # Responses and transaction ends.

    def _on_response(self, tid: str, response: Response, now: float) -> None:
        if not self.proxy.on_response(tid, response, now):
            self.dialogs.on_response(tid, response)

    def _on_failure(self, tid: str, status: int, reason: str, now: float) -> None:
        if not self.proxy.on_failure(tid, status, reason, now):
            self.dialogs.on_failure(tid, status, reason, self.tag)

    def _on_terminated(self, tid: str) -> None:
        self.proxy.on_terminated(tid)
        branch = self.dialogs.on_terminated(tid)
        if branch is not None:
            self.hops.release(branch)


def _reason(status: int) -> str:
    return REASONS.get(status, "Error")


def _describe(message: Message) -> str:
    if isinstance(message, Request):
        return f"{message.method} {message.uri}"
    return f"{message.status} response"


def _challenge_ahead(request: Request) -> bool:
    """A request outside a dialog without credentials: whatever it is, we answer it ourselves
    with a final response (a challenge, OPTIONS for us, 483, 420 ...)."""
    headers = request.headers
    return (
        request.method not in ("ACK", "CANCEL")
        and "authorization" not in headers
        and "proxy-authorization" not in headers
        and not request.to.tag
    )
