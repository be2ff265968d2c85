"""Server transactions (RFC 3261 §17.2, RFC 6026 §8.5-8.7): absorb retransmissions, answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .events import AckReceived
from .headers import MutableHeaders, canonical
from .message import Message, Request, Response
from .timers import (
    Action,
    Sink,
    State,
    Step,
    Table,
    Timer,
    TimerSettings,
    Transaction,
    Trigger,
)

_TRYING, _PROCEEDING, _ACCEPTED = State.TRYING, State.PROCEEDING, State.ACCEPTED
_COMPLETED, _CONFIRMED, _TERMINATED = State.COMPLETED, State.CONFIRMED, State.TERMINATED
_SEND, _RESEND, _FAILED = Action.SEND, Action.RESEND, Action.TRANSPORT_FAILED
_REQUEST, _ACK = Trigger.RECEIVED_REQUEST, Trigger.RECEIVED_ACK
_TU_1XX, _TU_2XX, _TU_300_699 = Trigger.TU_1XX, Trigger.TU_2XX, Trigger.TU_300_699
_ERROR = Trigger.TRANSPORT_ERROR


class ServerTransaction(Transaction):
    """Absorbs retransmitted requests, answering them with the last response, and sends the TU's
    responses. The layer delivered the request (`RequestReceived`) when it created it."""

    __slots__ = ("last_response",)

    def __init__(
        self, id: str, request: Request, reliable: bool, sink: Sink, settings: TimerSettings
    ) -> None:
        super().__init__(id, request, reliable, sink, settings)
        self.last_response: Response | None = None
        """The response sent last: what a retransmitted request is answered with."""

    def start(self, now: float) -> None:
        self._arm_timers(now)

    def receive(self, request: Request, now: float) -> None:
        """A retransmission of the request, or an ACK, that matched this transaction (§17.2.3)."""
        self.transition(_ACK if request.method == "ACK" else _REQUEST, now, request)

    def respond(self, response: Response, now: float) -> None:
        """A response from the TU (§17.2.1, §17.2.2)."""
        if response.status < 200:
            trigger = _TU_1XX
        elif response.status < 300:
            trigger = _TU_2XX
        else:
            trigger = _TU_300_699
        self.transition(trigger, now, response)

    def transport_failed(self, now: float) -> None:
        self.transition(_ERROR, now)

    def _retransmission(self) -> Message:
        assert self.last_response is not None
        return self.last_response

    def _act_on_message(self, action: Action, message: Message | None) -> None:
        if action is _SEND:
            assert isinstance(message, Response)
            self._deadlines.pop(Timer.TRYING, None)  # the TU answered: no 100 Trying of ours
            self.last_response = message
            self._sink.transmit(message)
        elif action is _RESEND:
            if self.last_response is not None:
                self._sink.transmit(self.last_response)
        elif action is Action.SEND_TRYING:
            self.last_response = make_trying(self.request)
            self._sink.transmit(self.last_response)
        elif action is Action.PASS_UP:
            assert isinstance(message, Request)
            self._sink.emit(AckReceived(message, self.id))
        else:  # pragma: no cover - the tables use no other action
            raise AssertionError(action)


class ServerInviteTransaction(ServerTransaction):
    """The INVITE server transaction (§17.2.1, with the Accepted state of RFC 6026 §8.6)::

                             | INVITE: RequestReceived; arm 100 Trying (200 ms)
                             v
      INVITE: resend   +-------------+  transport error: TransportFailed
      last 1xx;   +----| Proceeding  |----------------------------------------+
      1xx from TU:+--->|             |                                        |
      send; 100        +-------------+                                        |
      Trying timer:      |    |  2xx from TU: send                            |
      send 100           |    +-------------------------+                     |
                         | 300-699 from TU: send        v                     |
                         v                       +-------------+              |
                   +-------------+               |  Accepted   |---+ (see     |
      INVITE:  +---|  Completed  |               |  (arm L)    |   |  below)  |
      resend;  |   |  (arm G on  |               |             |<--+          |
      Timer G: +-->|  UDP, H)    |               +-------------+              |
      resend,      +-------------+                      |                     |
      double G       |          |  Timer H: TimedOut;   | Timer L             |
      up to T2       | ACK      |  transport error:     |                     |
                     v          |  TransportFailed      |                     |
                   +---------+  |                       |                     |
      ACK, INVITE: |Confirmed|  |                       |                     |
      absorbed     | (arm I) |  |                       |                     |
                   +---------+  |                       |                     |
                     | Timer I  |                       |                     |
                     v          v                       v                     v
                   +----------------------------------------------------------+
                   |                        Terminated                        |
                   +----------------------------------------------------------+

    In Accepted, the TU's 2xx retransmissions are sent, INVITE retransmissions absorbed, an ACK
    that matches is passed up (`AckReceived`) and a transport error reported without leaving.
    A 2xx is sent once: the TU retransmits it (§13.3.1.4) through this transaction while it is
    Accepted. A response from the TU after a final non-2xx one, or a 1xx or 300-699 after a
    2xx, raises `InvalidStateError`.
    """

    __slots__ = ()

    INITIAL = _PROCEEDING
    TABLE: ClassVar[Table] = {
        _PROCEEDING: {
            _REQUEST: (_PROCEEDING, (_RESEND,)),  # the last provisional, if any (§17.2.1)
            Timer.TRYING: (_PROCEEDING, (Action.SEND_TRYING,)),
            _TU_1XX: (_PROCEEDING, (_SEND,)),
            _TU_2XX: (_ACCEPTED, (_SEND,)),
            _TU_300_699: (_COMPLETED, (_SEND,)),
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _COMPLETED: {
            _REQUEST: (_COMPLETED, (_RESEND,)),
            Timer.G: (_COMPLETED, (Action.RETRANSMIT,)),
            _ACK: (_CONFIRMED, ()),
            Timer.H: (_TERMINATED, (Action.TIMED_OUT,)),
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _CONFIRMED: {
            _ACK: (_CONFIRMED, ()),  # retransmitted ACKs are absorbed
            _REQUEST: (_CONFIRMED, ()),
            Timer.I: (_TERMINATED, ()),
        },
        _ACCEPTED: {  # RFC 6026 §8.6, §8.7
            _REQUEST: (_ACCEPTED, ()),  # absorbed: not passed up, not answered
            _ACK: (_ACCEPTED, (Action.PASS_UP,)),
            _TU_2XX: (_ACCEPTED, (_SEND,)),
            _ERROR: (_ACCEPTED, (_FAILED,)),
            Timer.L: (_TERMINATED, ()),
        },
        _TERMINATED: {},
    }
    TIMERS: ClassVar[Mapping[State, frozenset[Timer]]] = {
        _PROCEEDING: frozenset({Timer.TRYING}),
        _COMPLETED: frozenset({Timer.G, Timer.H}),
        _CONFIRMED: frozenset({Timer.I}),
        _ACCEPTED: frozenset({Timer.L}),
    }


_FINAL: dict[Trigger | Timer, Step] = {
    _TU_2XX: (_COMPLETED, (_SEND,)),
    _TU_300_699: (_COMPLETED, (_SEND,)),
}


class ServerNonInviteTransaction(ServerTransaction):
    """The non-INVITE server transaction (§17.2.2)::

                             | request: RequestReceived
                             v
      request:         +-------------+
      absorbed    +----|   Trying    |
                  +--->|             |
                       +-------------+
                         |    | 1xx from TU: send
            200-699      |    v
            from TU:     | +-------------+  transport error: TransportFailed
            send         | | Proceeding  |--------------------------------->|
      request: resend+---|-|             |                                  |
      last 1xx; 1xx  +-->| +-------------+                                  |
      from TU: send      |   | 200-699 from TU: send                        |
                         v   v                                              |
                       +-------------+  transport error: TransportFailed    |
      request:     +---|  Completed  |------------------------------------->|
      resend final +-->|  (arm J)    |                                      |
                       +-------------+                                      |
                         | Timer J                                          |
                         v                                                  v
                       +----------------------------------------------------+
                       |                     Terminated                     |
                       +----------------------------------------------------+

    A response from the TU in Completed raises `InvalidStateError` (§17.2.2 has it discarded).
    """

    __slots__ = ()

    INITIAL = _TRYING
    TABLE: ClassVar[Table] = {
        _TRYING: {
            _REQUEST: (_TRYING, ()),
            _TU_1XX: (_PROCEEDING, (_SEND,)),
            **_FINAL,
        },
        _PROCEEDING: {
            _REQUEST: (_PROCEEDING, (_RESEND,)),
            _TU_1XX: (_PROCEEDING, (_SEND,)),
            **_FINAL,
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _COMPLETED: {
            _REQUEST: (_COMPLETED, (_RESEND,)),
            Timer.J: (_TERMINATED, ()),
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _TERMINATED: {},
    }
    TIMERS: ClassVar[Mapping[State, frozenset[Timer]]] = {_COMPLETED: frozenset({Timer.J})}


def make_trying(request: Request) -> Response:
    """The 100 Trying a server transaction sends by itself (§17.2.1, §8.2.6.1).

    It copies Via, From, To (adding no tag), Call-ID, CSeq and any Timestamp of the request.
    """
    out = MutableHeaders()
    for name, value in request.headers:
        if canonical(name) in ("via", "from", "to", "call-id", "cseq", "timestamp"):
            out.add(name, value)
    out.add("Content-Length", "0")
    return Response(100, "Trying", out.freeze())
