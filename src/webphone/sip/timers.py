"""Transaction timers (RFC 3261 §17, Table 4; RFC 6026 §8) and the state machine base arming them.

Timers are data: a transaction only records deadlines; the `TransactionLayer` answers the
earliest one from `get_timer()` and fires it in `handle_timer(now)`. Each of the four machines is
a table, `state -> {input: (next state, actions)}`, read by one transition function here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import ClassVar, Protocol

from .errors import InvalidStateError
from .events import Event, TransactionTerminated, TransactionTimedOut, TransportFailed
from .message import Message, Request

logger = logging.getLogger("webphone.sip.transaction")

# RFC 3261 Table 4 (§A). T1-based timers are written for the default T1; `TimerSettings`
# derives them again from another T1.
T1 = 0.5
"""Round-trip time estimate: the first retransmission interval (§17.1.1.1)."""
T2 = 4.0
"""The longest interval between retransmissions of non-INVITE requests and INVITE responses."""
T4 = 5.0
"""The longest time a message stays in the network."""
TIMER_A = T1  # INVITE request retransmission, unreliable transports only; doubles each time
TIMER_B = 64 * T1  # INVITE transaction timeout
TIMER_C = 181.0  # proxy INVITE transaction timeout, "> 3 min" (§16.6 step 11; not used here)
TIMER_D = 32.0  # wait for response retransmissions: "> 32 s" on UDP, 0 on reliable transports
TIMER_E = T1  # non-INVITE request retransmission, unreliable only; doubles up to T2
TIMER_F = 64 * T1  # non-INVITE transaction timeout
TIMER_G = T1  # INVITE final response retransmission, unreliable only; doubles up to T2
TIMER_H = 64 * T1  # wait for the ACK of a non-2xx final response
TIMER_I = T4  # wait for ACK retransmissions: T4 on UDP, 0 on reliable transports
TIMER_J = 64 * T1  # wait for non-INVITE request retransmissions: 64*T1 on UDP, 0 reliable
TIMER_K = T4  # wait for non-INVITE response retransmissions: T4 on UDP, 0 reliable
TIMER_L = 64 * T1  # RFC 6026: INVITE server, Accepted: absorb INVITE retransmissions
TIMER_M = 64 * T1  # RFC 6026: INVITE client, Accepted: pass up retransmitted and forked 2xx
TRYING_DELAY = 0.2  # §17.2.1: send 100 Trying if the TU has not answered within 200 ms


class Timer(StrEnum):
    """The timers a transaction arms, named as in RFC 3261 Table 4 and RFC 6026 §8."""

    A = "A"
    B = "B"
    D = "D"
    E = "E"
    F = "F"
    G = "G"
    H = "H"
    I = "I"  # noqa: E741  (the RFC's name)
    J = "J"
    K = "K"
    L = "L"
    M = "M"
    TRYING = "100 Trying"


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """The values the timers derive from; the defaults are RFC 3261's (§17.1.1.1)."""

    t1: float = T1
    """Round-trip time estimate; RFC 3261 allows a larger value on a slow network."""
    t2: float = T2
    """The longest retransmission interval (Timers E and G), at least `t1`."""
    t4: float = T4
    """The longest time a message stays in the network (Timers I and K on UDP)."""
    trying_delay: float | None = TRYING_DELAY
    """How long an INVITE server transaction waits for the TU's first response before it sends
    100 Trying itself (§17.2.1): 0 sends it at once, None never."""

    def __post_init__(self) -> None:
        for name in ("t1", "t2", "t4", "trying_delay"):
            value = getattr(self, name)
            if value is None and name == "trying_delay":
                continue
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"TimerSettings.{name}: expected seconds >= 0, got {value!r}")
            if value == 0 and name != "trying_delay":
                raise ValueError(f"TimerSettings.{name}: must be more than 0")
        if self.t2 < self.t1:
            raise ValueError(f"TimerSettings.t2: {self.t2} is less than t1 ({self.t1})")

    def duration(self, timer: Timer, reliable: bool) -> float | None:
        """The first interval of `timer`; None where it is not armed (A, E, G when reliable)."""
        sixty_four_t1 = 64 * self.t1
        if timer in (Timer.A, Timer.E, Timer.G):
            return None if reliable else self.t1
        if timer is Timer.D:  # covers the server's 64*T1 of final response retransmissions
            return 0.0 if reliable else max(TIMER_D, sixty_four_t1)
        if timer in (Timer.I, Timer.K):
            return 0.0 if reliable else self.t4
        if timer is Timer.J:
            return 0.0 if reliable else sixty_four_t1
        if timer is Timer.TRYING:
            return self.trying_delay
        return sixty_four_t1  # B, F, H, L, M run on every transport

    def back_off(self, timer: Timer, interval: float) -> float:
        """The next retransmission interval: A doubles (§17.1.1.2), E and G up to T2."""
        return 2 * interval if timer is Timer.A else min(2 * interval, self.t2)


class State(Enum):
    """The states of the four transaction machines (§17.1, §17.2; Accepted from RFC 6026)."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    ACCEPTED = "Accepted"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class Trigger(Enum):
    """The inputs of a machine other than its timers."""

    RECEIVED_1XX = "1xx received"
    RECEIVED_2XX = "2xx received"
    RECEIVED_300_699 = "300-699 received"
    RECEIVED_REQUEST = "request retransmission received"
    RECEIVED_ACK = "ACK received"
    TU_1XX = "1xx from TU"
    TU_2XX = "2xx from TU"
    TU_300_699 = "300-699 from TU"
    TU_ABANDONED = "abandoned by TU"
    TRANSPORT_ERROR = "transport error"


#: Inputs that only our own code gives: when the table has no row for them, it is our bug.
_LOCAL = frozenset(
    {Trigger.TU_1XX, Trigger.TU_2XX, Trigger.TU_300_699, Trigger.TU_ABANDONED, *Timer}
)


class Action(Enum):
    """What a transition does, in the order its table row lists them."""

    PASS_UP = "pass to TU"  # the response (client) or the ACK (server) as an event
    SEND = "send response"  # the TU's response, remembered for retransmissions
    RESEND = "resend"  # the last response again (a request was retransmitted)
    RETRANSMIT = "retransmit, back off"  # the request or final response; re-arm the timer
    RETRANSMIT_AT_T2 = "retransmit, reset to T2"  # Timer E in Proceeding (§17.1.2.2)
    SEND_ACK = "send ACK"  # for a 300-699 response (§17.1.1.3)
    SEND_TRYING = "send 100 Trying"
    TIMED_OUT = "inform TU: timeout"
    TRANSPORT_FAILED = "inform TU: transport error"


Input = Trigger | Timer
Step = tuple[State, tuple[Action, ...]]
Table = Mapping[State, Mapping[Input, Step]]


class Sink(Protocol):
    """Where a transaction puts what it produces: the `TransactionLayer`."""

    def emit(self, event: Event) -> None: ...

    def transmit(self, message: Message) -> None: ...

    def schedule(self, transaction: Transaction, timer: Timer, deadline: float) -> None: ...

    def discard(self, transaction: Transaction) -> None: ...


class Transaction:
    """One transaction: a state from `TABLE`, its running timers, and the request it is for.

    Subclasses give the table, the timers each state runs (armed on entering the state unless
    already running, cancelled on entering a state without them), and the message-specific
    actions. A timer of duration 0 (D, I, J, K on a reliable transport) fires at once.
    """

    TABLE: ClassVar[Table]
    TIMERS: ClassVar[Mapping[State, frozenset[Timer]]]
    INITIAL: ClassVar[State]

    __slots__ = (
        "_deadlines",
        "_intervals",
        "_settings",
        "_sink",
        "id",
        "reliable",
        "request",
        "state",
    )

    def __init__(
        self, id: str, request: Request, reliable: bool, sink: Sink, settings: TimerSettings
    ) -> None:
        self.id = id
        """Opaque and never reused by the layer; carried by every event of this transaction."""
        self.request = request
        """The request that created the transaction."""
        self.reliable = reliable
        """Whether the transport is reliable (TCP, TLS, WS, WSS): no retransmissions."""
        self.state = self.INITIAL
        self._sink = sink
        self._settings = settings
        self._deadlines: dict[Timer, float] = {}
        self._intervals: dict[Timer, float] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.state.value}>"

    @property
    def method(self) -> str:
        return self.request.method

    def deadline(self, timer: Timer) -> float | None:
        """When `timer` fires, or None when it is not running."""
        return self._deadlines.get(timer)

    def fire(self, timer: Timer, now: float) -> None:
        """Fire a timer whose deadline has come (called by the layer)."""
        del self._deadlines[timer]
        self.transition(timer, now)

    def transition(self, input: Input, now: float, message: Message | None = None) -> None:
        """The transition function: look the input up in `TABLE`, act, change state.

        An input the current state has no row for is ignored when it comes from the network (a
        late or stray message is no error) and raises `InvalidStateError` when it comes from
        our side (a response from the TU, a timer).
        """
        step = self.TABLE[self.state].get(input)
        if step is None:
            if input in _LOCAL:
                raise InvalidStateError(self._illegal(input))
            logger.debug("%s: %s ignored in %s", self.id, input.value, self.state.value)
            return
        new, actions = step
        for action in actions:
            self._act(action, input, now, message)
        if new is not self.state:
            self._enter(new, now)

    def _illegal(self, input: Input) -> str:
        targets = sorted({row[input][0].value for row in self.TABLE.values() if input in row})
        to = " or ".join(targets) or "nowhere"
        return (
            f"{type(self).__name__} {self.id}: {input.value} is illegal "
            f"from {self.state.value} to {to}"
        )

    def _enter(self, new: State, now: float) -> None:
        logger.debug("%s: %s -> %s", self.id, self.state.value, new.value)
        self.state = new
        if new is State.TERMINATED:  # destroyed at once (§17.1.1.2, §17.2.1)
            self._deadlines.clear()
            self._sink.discard(self)
            self._sink.emit(TransactionTerminated(self.id))
            return
        self._arm_timers(now)

    def _arm_timers(self, now: float) -> None:
        live = self.TIMERS.get(self.state, frozenset())
        for timer in [t for t in self._deadlines if t not in live]:
            del self._deadlines[timer]
        at_once = []
        for timer in sorted(live):
            duration = self._settings.duration(timer, self.reliable)
            if timer in self._deadlines or duration is None:
                continue
            if duration == 0:
                at_once.append(timer)
            else:
                self._arm(timer, duration, now)
        state = self.state
        for timer in at_once:
            if self.state is state:
                self.transition(timer, now)

    def _arm(self, timer: Timer, interval: float, now: float) -> None:
        self._intervals[timer] = interval
        self._deadlines[timer] = deadline = now + interval
        self._sink.schedule(self, timer, deadline)

    def _act(self, action: Action, input: Input, now: float, message: Message | None) -> None:
        if action is Action.TIMED_OUT:
            assert isinstance(input, Timer)
            self._sink.emit(TransactionTimedOut(self.id, input))
        elif action is Action.TRANSPORT_FAILED:
            self._sink.emit(TransportFailed(self.id))
        elif action in (Action.RETRANSMIT, Action.RETRANSMIT_AT_T2):
            assert isinstance(input, Timer)
            self._sink.transmit(self._retransmission())
            interval = self._intervals[input]
            if action is Action.RETRANSMIT:
                interval = self._settings.back_off(input, interval)
            else:
                interval = self._settings.t2
            self._arm(input, interval, now)
        else:
            self._act_on_message(action, message)

    def _retransmission(self) -> Message:
        """The message Timers A, E and G send again."""
        raise NotImplementedError

    def _act_on_message(self, action: Action, message: Message | None) -> None:
        """The actions that depend on the side: PASS_UP, SEND, RESEND, SEND_ACK, SEND_TRYING."""
        raise NotImplementedError
