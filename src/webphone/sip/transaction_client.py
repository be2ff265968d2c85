"""Client transactions (RFC 3261 §17.1, RFC 6026 §8.4): send, retransmit, pass responses up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from .events import ResponseReceived
from .headers import MutableHeaders, canonical, split_values
from .message import Message, Request, Response
from .timers import Action, State, Step, Table, Timer, Transaction, Trigger

_CALLING, _TRYING, _PROCEEDING = State.CALLING, State.TRYING, State.PROCEEDING
_ACCEPTED, _COMPLETED, _TERMINATED = State.ACCEPTED, State.COMPLETED, State.TERMINATED
_PASS_UP, _SEND_ACK, _RETRANSMIT = Action.PASS_UP, Action.SEND_ACK, Action.RETRANSMIT
_TIMED_OUT, _FAILED = Action.TIMED_OUT, Action.TRANSPORT_FAILED
_1XX, _2XX, _300_699 = Trigger.RECEIVED_1XX, Trigger.RECEIVED_2XX, Trigger.RECEIVED_300_699
_ERROR = Trigger.TRANSPORT_ERROR


class ClientTransaction(Transaction):
    """Sends its request, retransmits it on UDP, and passes the responses up to the TU."""

    __slots__ = ()

    def start(self, now: float) -> None:
        self._sink.transmit(self.request)
        self._arm_timers(now)

    def receive(self, response: Response, now: float) -> None:
        """A response that matched this transaction (§17.1.3)."""
        if response.status < 200:
            trigger = _1XX
        elif response.status < 300:
            trigger = _2XX
        else:
            trigger = _300_699
        self.transition(trigger, now, response)

    def transport_failed(self, now: float) -> None:
        self.transition(_ERROR, now)

    def abandon(self, now: float) -> None:
        self.transition(Trigger.TU_ABANDONED, now)

    def _retransmission(self) -> Message:
        return self.request

    def _act_on_message(self, action: Action, message: Message | None) -> None:
        assert isinstance(message, Response)
        if action is _PASS_UP:
            self._sink.emit(ResponseReceived(self.id, message))
        elif action is _SEND_ACK:
            self._sink.transmit(make_ack(self.request, message))
        else:  # pragma: no cover - the tables use no other action
            raise AssertionError(action)


class ClientInviteTransaction(ClientTransaction):
    """The INVITE client transaction (§17.1.1, with the Accepted state of RFC 6026 §8.4)::

                             | INVITE sent; arm A (UDP) and B
                             v
      Timer A:         +-------------+  Timer B: TimedOut;
      resend,     +----|   Calling   |  transport error: TransportFailed
      double A    +--->|             |--------------------------------------+
                       +-------------+                                      |
                         |    |    |  2xx: to TU                            |
                         |    |    +--------------------+                   |
            300-699:     |    | 1xx: to TU              v                   |
            to TU, ACK   |    v                  +-------------+            |
                         | +-------------+  2xx: |  Accepted   |---+ 2xx:   |
          1xx: to TU +---|-| Proceeding  |------>|  (arm M)    |   | to TU  |
                     +-->| |             | to TU |             |<--+        |
                         | +-------------+       +-------------+            |
                         |   |    |  transport error;   |                   |
                         |   |    |  abandoned by TU    | Timer M           |
                         |   |    +---------------------|------------------>|
                         |   | 300-699: to TU, ACK      |                   |
                         v   v                          |                   |
                       +-------------+                  |                   |
      300-699:     +---|  Completed  |                  |                   |
      ACK again    +-->|  (arm D)    |                  |                   |
                       +-------------+                  |                   |
                         | Timer D; transport error     |                   |
                         v                              v                   v
                       +----------------------------------------------------+
                       |                     Terminated                     |
                       +----------------------------------------------------+

    The ACK for a 300-699 response is built here (§17.1.1.3); a 2xx passes up and the TU sends
    its ACK (§13.2.2.4). Accepted passes every 2xx up, retransmitted or forked; 1xx and 300-699
    responses are dropped there.
    """

    __slots__ = ()

    INITIAL = _CALLING
    TABLE: ClassVar[Table] = {
        _CALLING: {
            Timer.A: (_CALLING, (_RETRANSMIT,)),
            Timer.B: (_TERMINATED, (_TIMED_OUT,)),
            _1XX: (_PROCEEDING, (_PASS_UP,)),
            _2XX: (_ACCEPTED, (_PASS_UP,)),
            _300_699: (_COMPLETED, (_PASS_UP, _SEND_ACK)),
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _PROCEEDING: {
            _1XX: (_PROCEEDING, (_PASS_UP,)),
            _2XX: (_ACCEPTED, (_PASS_UP,)),
            _300_699: (_COMPLETED, (_PASS_UP, _SEND_ACK)),
            _ERROR: (_TERMINATED, (_FAILED,)),  # e.g. the WebSocket closed while ringing
            # No final response 64*T1 after a CANCEL (§9.1), or Timer C in a proxy (§16.6)
            Trigger.TU_ABANDONED: (_TERMINATED, ()),
        },
        _ACCEPTED: {  # RFC 6026 §8.4; 1xx and 300-699 are dropped
            _2XX: (_ACCEPTED, (_PASS_UP,)),
            Timer.M: (_TERMINATED, ()),
        },
        _COMPLETED: {
            _300_699: (_COMPLETED, (_SEND_ACK,)),  # a retransmission: ACK it, do not pass up
            Timer.D: (_TERMINATED, ()),
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _TERMINATED: {},
    }
    TIMERS: ClassVar[Mapping[State, frozenset[Timer]]] = {
        _CALLING: frozenset({Timer.A, Timer.B}),
        _COMPLETED: frozenset({Timer.D}),
        _ACCEPTED: frozenset({Timer.M}),
    }


_FINAL: dict[Trigger | Timer, Step] = {
    _2XX: (_COMPLETED, (_PASS_UP,)),
    _300_699: (_COMPLETED, (_PASS_UP,)),
}


class ClientNonInviteTransaction(ClientTransaction):
    """The non-INVITE client transaction (§17.1.2)::

                           | request sent; arm E (UDP) and F
                           v
    Timer E:         +-------------+  Timer F: TimedOut;
    resend,     +----|   Trying    |  transport error: TransportFailed
    double E    +--->|             |--------------------------------------+
    up to T2         +-------------+                                      |
                       |    | 1xx: to TU                                  |
          200-699:     |    v                                             |
          to TU        | +-------------+  Timer F: TimedOut;              |
        1xx: to TU;+---|-| Proceeding  |  transport error: TransportFailed|
        Timer E:   |   | |  (E and F   |--------------------------------->|
        resend,    +-->| |  run on)    |                                  |
        E = T2         | +-------------+                                  |
                       |   | 200-699: to TU                               |
                       v   v                                              |
                     +-------------+                                      |
    200-699:     +---|  Completed  |                                      |
    absorbed     +-->|  (arm K)    |                                      |
                     +-------------+                                      |
                       | Timer K                                          |
                       v                                                  v
                     +----------------------------------------------------+
                     |                     Terminated                     |
                     +----------------------------------------------------+
    """

    __slots__ = ()

    INITIAL = _TRYING
    TABLE: ClassVar[Table] = {
        _TRYING: {
            Timer.E: (_TRYING, (_RETRANSMIT,)),
            Timer.F: (_TERMINATED, (_TIMED_OUT,)),
            _1XX: (_PROCEEDING, (_PASS_UP,)),
            **_FINAL,
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _PROCEEDING: {
            Timer.E: (_PROCEEDING, (Action.RETRANSMIT_AT_T2,)),
            Timer.F: (_TERMINATED, (_TIMED_OUT,)),
            _1XX: (_PROCEEDING, (_PASS_UP,)),
            **_FINAL,
            _ERROR: (_TERMINATED, (_FAILED,)),
        },
        _COMPLETED: {
            _2XX: (_COMPLETED, ()),  # retransmissions of the final response are absorbed
            _300_699: (_COMPLETED, ()),
            Timer.K: (_TERMINATED, ()),
        },
        _TERMINATED: {},
    }
    TIMERS: ClassVar[Mapping[State, frozenset[Timer]]] = {
        _TRYING: frozenset({Timer.E, Timer.F}),
        _PROCEEDING: frozenset({Timer.E, Timer.F}),  # still running from Trying
        _COMPLETED: frozenset({Timer.K}),
    }


def make_ack(invite: Request, response: Response) -> Request:
    """The ACK for a 300-699 `response` to `invite`, sent by the transaction (§17.1.1.3).

    Same Request-URI, Call-ID, From, Route and Max-Forwards as the INVITE, the To of the
    response (its tag), the CSeq number with method ACK and only the INVITE's top Via, so the
    ACK carries the INVITE's branch. Headers keep the INVITE's order and spelling.
    """
    out = MutableHeaders()
    top_via_done = False
    for name, value in invite.headers:
        key = canonical(name)
        if key == "via":
            if not top_via_done:
                out.add(name, split_values(value)[0])
                top_via_done = True
        elif key in ("route", "max-forwards", "from", "call-id"):
            out.add(name, value)
        elif key == "to":
            out.add(name, response.headers.get("to", value) or value)
        elif key == "cseq":
            out.add(name, f"{invite.cseq.seq} ACK")
    if "max-forwards" not in out:  # every request carries one (§8.1.1.6)
        out.add("Max-Forwards", "70")
    out.add("Content-Length", "0")
    return Request("ACK", invite.uri, out.freeze())
