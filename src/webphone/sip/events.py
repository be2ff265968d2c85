"""Events the SIP core hands to the layer above: one frozen dataclass each, named in the past tense.

The transaction layer (RFC 3261 §17) queues the events below; the dialog and user-agent layers
add theirs here as they come. A transaction id is an opaque string that one `TransactionLayer`
never gives to two transactions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .message import Request, Response


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event of the SIP core."""


# The transaction layer (RFC 3261 §17, RFC 6026).


@dataclass(frozen=True, slots=True)
class RequestReceived(Event):
    """A request that created a new server transaction, CANCEL included (§17.2.3).

    Retransmissions of it are absorbed by the transaction and never delivered again. The TU
    answers with `TransactionLayer.send_response`; for a CANCEL, `cancel_target` finds the
    INVITE it refers to (§9.2).
    """

    transaction_id: str
    """The new server transaction, through which the responses go."""
    request: Request
    """The request as received."""


@dataclass(frozen=True, slots=True)
class AckReceived(Event):
    """An ACK that no transaction absorbed: the ACK for a 2xx (§13.3.1.4, RFC 6026 §8.7).

    An ACK for a non-2xx final response is absorbed by its INVITE server transaction and never
    shows up here.
    """

    request: Request
    """The ACK as received."""
    transaction_id: str | None = None
    """The INVITE server transaction in the Accepted state that the ACK matched, or None when it
    matched no transaction (the usual case: the ACK for a 2xx has a branch of its own)."""


@dataclass(frozen=True, slots=True)
class ResponseReceived(Event):
    """A response for a client transaction that the TU must see (§17.1.1.2, §17.1.2.2).

    Provisional and final responses are passed up once; retransmissions of a non-2xx final
    response are absorbed. Every 2xx to an INVITE is passed up, retransmitted or forked, while
    the transaction is in the Accepted state (RFC 6026 §8.4): the TU sends the ACK for a 2xx.
    """

    transaction_id: str
    """The client transaction the response matched (§17.1.3)."""
    response: Response
    """The response as received."""


@dataclass(frozen=True, slots=True)
class StrayResponseReceived(Event):
    """A response that matched no client transaction (§18.1.2).

    RFC 6026 §8.9 says that a user agent or stateful proxy discards these (only a stateless
    proxy forwards them), as the Accepted state now keeps the INVITE transaction alive for as
    long as a 2xx may be retransmitted; the event lets the TU log or forward it.
    """

    response: Response
    """The response as received."""


@dataclass(frozen=True, slots=True)
class TransactionTimedOut(Event):
    """A transaction failed for want of an answer: Timer B, F or H fired (§17.1.1.2, §17.2.1).

    The transaction is terminated: `TransactionTerminated` follows. For a client transaction,
    the TU treats it as a 408 (Request Timeout) response (§8.1.3.1).
    """

    transaction_id: str
    """The transaction that timed out."""
    timer: str
    """The timer that fired: "B" (INVITE client), "F" (non-INVITE client) or "H" (INVITE
    server, no ACK for a non-2xx final response); a `Timer`, which is a `str`."""


@dataclass(frozen=True, slots=True)
class TransportFailed(Event):
    """The transport could not deliver a message of the transaction (§17.1.4, §17.2.4).

    Reported through `TransactionLayer.transport_failed`. The transaction is terminated
    (`TransactionTerminated` follows), except an INVITE server transaction in the Accepted state,
    whose 2xx the TU retransmits itself. For a client transaction the TU treats it as a 503
    (Service Unavailable) response (§8.1.3.1). A transaction with nothing in flight (a client
    INVITE in Accepted, a non-INVITE client in Completed, a non-INVITE server in Trying) ignores
    the report.
    """

    transaction_id: str
    """The transaction whose message could not be sent."""


@dataclass(frozen=True, slots=True)
class TransactionTerminated(Event):
    """A transaction reached the Terminated state and was destroyed: its last event.

    Every transaction ends with exactly one of these, whatever the reason (a timer, a final
    response, a timeout, a transport error). Messages that match it afterwards start a new
    transaction (requests) or are stray (responses).
    """

    transaction_id: str
    """The transaction that ended."""
