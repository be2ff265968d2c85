"""Dialogs (RFC 3261 §12): the state two user agents share, and the requests sent inside one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from ._useragent import ExtraHeaders, UserAgentConfig, build_request, capabilities
from .address import NameAddr
from .errors import InvalidStateError, ParseError
from .headers import canonical
from .ids import Ids
from .message import Request, Response
from .requests import with_credentials
from .uri import SipUri, Uri

log = logging.getLogger(__name__)

#: Methods whose request and 2xx replace the remote target (RFC 3261 §12.2, RFC 3311 §5).
TARGET_REFRESH = frozenset({"INVITE", "UPDATE"})


class DialogState(Enum):
    """The life of a dialog (§12)::

        1xx with To tag        2xx (sent or received)
        ---------------> EARLY ----------------------> CONFIRMED
                           |                               |
        non-2xx final      |  BYE, 408/481                 |  BYE, 408/481
        (§12.3)            v                               v
                           +-------------> TERMINATED <----+

    A 2xx straight away creates the dialog CONFIRMED.
    """

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


_TRANSITIONS: dict[DialogState, frozenset[DialogState]] = {
    DialogState.EARLY: frozenset({DialogState.CONFIRMED, DialogState.TERMINATED}),
    DialogState.CONFIRMED: frozenset({DialogState.TERMINATED}),
    DialogState.TERMINATED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class DialogId:
    """Call-ID, local tag and remote tag, as seen from this UA (§12)."""

    call_id: str
    local_tag: str
    remote_tag: str

    @classmethod
    def of_received(cls, message: Request | Response) -> DialogId | None:
        """The id, from our side, of the dialog a received message belongs to.

        A request we receive names us in To; a response answers a request we sent, so we are
        in From. None when our tag is missing (a request outside any dialog); a missing peer
        tag counts as empty (an RFC 2543 peer, §12.1.1, §12.1.2).
        """
        return cls._of(message, ours_in_to=isinstance(message, Request))

    @classmethod
    def of_sent(cls, message: Request | Response) -> DialogId | None:
        """The id, from our side, of the dialog a message we send belongs to."""
        return cls._of(message, ours_in_to=isinstance(message, Response))

    @classmethod
    def _of(cls, message: Request | Response, ours_in_to: bool) -> DialogId | None:
        ours, theirs = (message.to, message.from_) if ours_in_to else (message.from_, message.to)
        return cls(message.call_id, ours.tag, theirs.tag or "") if ours.tag else None


@dataclass(eq=False, slots=True, kw_only=True)
class Dialog:
    """One dialog's state (§12.1): ids, parties, remote target, route set, CSeq numbers.

    Make one with `Dialog.uac` (from the INVITE sent and a 1xx with To tag or a 2xx) or
    `Dialog.uas` (from the INVITE received and the To tag we answer with). Several early dialogs
    from one forked INVITE differ by remote tag: keep them in a dict by `DialogId`.
    """

    id: DialogId
    local_party: NameAddr  # From of the requests we send, our tag included
    remote_party: NameAddr  # To of the requests we send, the peer's tag included
    remote_target: Uri  # the peer's Contact, our Request-URI
    route_set: tuple[Uri, ...]
    local_seq: int | None  # None until a UAS sends its first request
    remote_seq: int | None  # None until a UAC receives its first request
    secure: bool
    is_uac: bool
    config: UserAgentConfig = field(repr=False)
    ids: Ids = field(repr=False)
    _state: DialogState

    @classmethod
    def uac(cls, invite: Request, response: Response, config: UserAgentConfig, ids: Ids) -> Dialog:
        """The caller's dialog from its INVITE and a 1xx with To tag (early) or 2xx (§12.1.2)."""
        local_tag = invite.from_.tag
        if invite.method != "INVITE" or not local_tag:
            raise InvalidStateError("a dialog starts from an INVITE with a From tag")
        if not 100 < response.status < 300:
            raise InvalidStateError(f"a {response.status} response creates no dialog (§12.1)")
        remote_tag = response.to.tag
        if response.is_provisional and not remote_tag:
            raise InvalidStateError("a 1xx without To tag creates no dialog (§12.1)")
        answers = (response.call_id, response.from_.tag, response.cseq)
        if answers != (invite.call_id, local_tag, invite.cseq):
            raise InvalidStateError("the response does not answer this INVITE")
        if response.is_success or response.contacts:
            target = _contact(response, "a response creating a dialog")
        else:
            target = invite.uri  # tolerate a 1xx without Contact until the 2xx brings one
        return cls(
            id=DialogId(invite.call_id, local_tag, remote_tag or ""),
            local_party=invite.from_,
            remote_party=response.to,
            remote_target=target,
            # §12.1.2: the Record-Route URIs in reverse order, all URI parameters kept.
            route_set=tuple(rr.uri for rr in reversed(response.record_routes)),
            local_seq=invite.cseq.seq,
            remote_seq=None,
            secure=_secure(invite),
            _state=DialogState.CONFIRMED if response.is_success else DialogState.EARLY,
            is_uac=True,
            config=config,
            ids=ids,
        )

    @classmethod
    def uas(
        cls,
        invite: Request,
        local_tag: str,
        config: UserAgentConfig,
        ids: Ids,
        *,
        confirmed: bool = False,
    ) -> Dialog:
        """The callee's dialog from a received INVITE and its To tag (§12.1.1).

        Early, for a 1xx; `confirmed=True` when it starts with the 2xx. Raises ParseError
        (400) when the INVITE lacks the single Contact a dialog needs.
        """
        if invite.method != "INVITE" or not local_tag or invite.to.tag:
            raise InvalidStateError("a dialog starts from an INVITE without To tag, and our tag")
        return cls(
            id=DialogId(invite.call_id, local_tag, invite.from_.tag or ""),
            local_party=invite.to.with_param("tag", local_tag),
            remote_party=invite.from_,
            remote_target=_contact(invite, "an INVITE"),
            # §12.1.1: the Record-Route URIs in order, all URI parameters kept.
            route_set=tuple(rr.uri for rr in invite.record_routes),
            local_seq=None,
            remote_seq=invite.cseq.seq,
            secure=_secure(invite),
            _state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
            is_uac=False,
            config=config,
            ids=ids,
        )

    # -- state -------------------------------------------------------------------------------

    @property
    def state(self) -> DialogState:
        return self._state

    @property
    def call_id(self) -> str:
        return self.id.call_id

    @property
    def local_uri(self) -> Uri:
        return self.local_party.uri

    @property
    def remote_uri(self) -> Uri:
        return self.remote_party.uri

    def confirm(self) -> None:
        """EARLY -> CONFIRMED; the UAS calls it when it sends its 2xx."""
        self._transition(DialogState.CONFIRMED)

    def terminate(self) -> None:
        """-> TERMINATED, e.g. when the INVITE transaction times out."""
        self._transition(DialogState.TERMINATED)

    def _transition(self, new: DialogState) -> None:
        old = self._state
        if new not in _TRANSITIONS[old]:
            raise InvalidStateError(f"dialog {self.id.call_id}: from {old.name} to {new.name}")
        self._state = new
        log.debug("dialog %s: %s -> %s", self.id.call_id, old.name, new.name)

    def matches(self, message: Request | Response) -> bool:
        """Whether a received request or response belongs to this dialog."""
        return DialogId.of_received(message) == self.id

    # -- receiving ---------------------------------------------------------------------------

    def check_request(self, request: Request) -> int | None:
        """The status to reject a received in-dialog request with, or None to accept it.

        481 when it is not this dialog's or the dialog is over; 500 when its CSeq is below the
        last one received (§12.2.2). ACK is never rejected: it gets no response.
        """
        if request.method == "ACK":
            return None
        if not self.matches(request) or self._state is DialogState.TERMINATED:
            return 481
        if self.remote_seq is not None and request.cseq.seq < self.remote_seq:
            return 500
        return None

    def receive_request(self, request: Request) -> int | None:
        """`check_request`, then, when accepted, record its CSeq and apply it (§12.2.2).

        A target refresh takes the peer's new Contact; a BYE ends the dialog (§15.1.2).
        """
        status = self.check_request(request)
        if status is not None or request.method == "ACK":
            return status
        self.remote_seq = request.cseq.seq
        if request.method in TARGET_REFRESH and request.contacts:
            self.remote_target = request.contacts[0].uri
        if request.method == "BYE":
            self._transition(DialogState.TERMINATED)
        return None

    def receive_response(self, response: Response) -> DialogState:
        """Apply a response to a request this UA sent in the dialog; gives the state after."""
        if not self.matches(response):
            raise InvalidStateError(f"response of another dialog: {DialogId.of_received(response)}")
        method, status = response.cseq.method, response.status
        if self._state is DialogState.TERMINATED or status < 200:
            return self._state
        if self._state is DialogState.EARLY and self.is_uac and method == "INVITE":
            if response.is_success:
                # §13.2.2.4: confirmed, and the route set is recomputed from the 2xx.
                self.route_set = tuple(rr.uri for rr in reversed(response.record_routes))
                self.remote_target = _contact(response, "a 2xx to INVITE")
                self._transition(DialogState.CONFIRMED)
            else:
                self._transition(DialogState.TERMINATED)  # §12.3: non-2xx ends early dialogs
        elif status in (408, 481) or method == "BYE":
            self._transition(DialogState.TERMINATED)  # §12.2.1.2, §15.1.1
        elif response.is_success and method in TARGET_REFRESH and response.contacts:
            self.remote_target = response.contacts[0].uri  # §12.2.1.2
        return self._state

    # -- sending -----------------------------------------------------------------------------

    def create_request(
        self,
        method: str,
        body: bytes = b"",
        content_type: str | None = None,
        headers: ExtraHeaders = (),
    ) -> Request:
        """A request inside the dialog: BYE, re-INVITE, UPDATE, INFO, OPTIONS ... (§12.2.1.1).

        To, From, Call-ID from the dialog, the next local CSeq, Request-URI and Route from the
        remote target and route set (loose or strict routing); target refreshes carry Contact.
        """
        if method in ("ACK", "CANCEL"):
            raise InvalidStateError(f"{method} is not created this way: use ack() or cancel()")
        if self._state is DialogState.TERMINATED:
            raise InvalidStateError(f"{method} in terminated dialog {self.id.call_id}")
        if self._state is DialogState.EARLY:
            if method == "BYE" and not self.is_uac:
                raise InvalidStateError("the callee must not send BYE on an early dialog (§15)")
            if method == "INVITE":  # the initial INVITE is still pending
                raise InvalidStateError("no re-INVITE while an INVITE is in progress (§14.1)")
        self.local_seq = self._next_seq()
        refresh = method in TARGET_REFRESH
        return self._request(
            method,
            self.local_seq,
            contact=f"<{self.config.dialog_contact}>" if refresh else None,
            headers=[*(capabilities(self.config) if refresh else ()), *headers],
            body=body,
            content_type=content_type,
        )

    def ack(self, invite: Request, body: bytes = b"", content_type: str | None = None) -> Request:
        """The ACK for a 2xx to `invite`, sent by the UA core (§13.2.2.4).

        Built like any in-dialog request but with the INVITE's CSeq number and credentials; a
        new branch, as it is a transaction of its own. `body` carries an answer when the 2xx
        had the offer.
        """
        initial = DialogId(self.id.call_id, self.id.local_tag, "")  # no To tag yet
        if invite.method != "INVITE" or DialogId.of_sent(invite) not in (self.id, initial):
            raise InvalidStateError("ACK for an INVITE sent in another dialog")
        if self._state is not DialogState.CONFIRMED:
            raise InvalidStateError(f"ACK for a 2xx in a dialog that is {self._state.name}")
        credentials = [
            (name, value)
            for name, value in invite.headers
            if canonical(name) in ("authorization", "proxy-authorization")
        ]
        return self._request(
            "ACK", invite.cseq.seq, headers=credentials, body=body, content_type=content_type
        )

    def with_credentials(self, request: Request, name: str, value: str) -> Request:
        """An in-dialog request again with credentials after a 401/407: next CSeq (§22.2)."""
        if DialogId.of_sent(request) != self.id:
            raise InvalidStateError("request of another dialog")
        self.local_seq = self._next_seq()
        return with_credentials(request, self.ids, name, value, cseq=self.local_seq)

    def _next_seq(self) -> int:
        if self.local_seq is None:
            # §12.2.1.1: the UAS picks an initial value for its first request (below 2**31).
            return 1 + int(self.ids.hex(2), 16)
        return self.local_seq + 1

    def _request(
        self,
        method: str,
        seq: int,
        *,
        contact: str | None = None,
        headers: ExtraHeaders = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Request:
        return build_request(
            method,
            self.remote_target,
            self.config,
            self.ids,
            to=self.remote_party,
            from_=self.local_party,
            call_id=self.id.call_id,
            cseq=seq,
            route_set=self.route_set,
            contact=contact,
            headers=headers,
            body=body,
            content_type=content_type,
        )


def _contact(message: Request | Response, what: str) -> Uri:
    """The remote target: the single Contact of a dialog-creating message (§12.1.1, §12.1.2)."""
    contacts = message.contacts
    if len(contacts) != 1:
        raise ParseError(f"{what} needs exactly one Contact, got {len(contacts)}")
    return contacts[0].uri


def _secure(invite: Request) -> bool:
    """§12.1.1, §12.1.2: sent or received over TLS (or WSS) with a SIPS Request-URI."""
    uri = invite.uri
    is_sips = isinstance(uri, SipUri) and uri.scheme.lower() == "sips"
    return is_sips and invite.via.transport in ("TLS", "WSS")
