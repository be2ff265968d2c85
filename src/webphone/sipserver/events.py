"""Events the server core hands to its asyncio glue about calls to built-in services.

A built-in service is a user agent inside the server: the core answers for it at the SIP level
(transactions, CANCEL, dialog matching) and reports here what the service must act on. A
service dialog is named by `DialogKey`: the Call-ID and the To tag the server answers with.
"""

from __future__ import annotations

from dataclasses import dataclass

from webphone.sip import Request, Response

from .routing import Target

DialogKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """Base class of the events about service calls."""

    key: DialogKey
    """The service dialog (Call-ID, our To tag)."""


@dataclass(frozen=True, slots=True)
class ServiceInviteReceived(ServiceEvent):
    """An authenticated INVITE for the service `service`: a new call, not yet answered."""

    service: str
    """The service's name, the user part of the Request-URI."""
    transaction_id: str
    """The INVITE server transaction: responses go through it."""
    request: Request
    """The INVITE, top Via carrying `received`/`rport`."""
    peer: Target
    """Where the caller is: requests the service sends in the dialog go there."""


@dataclass(frozen=True, slots=True)
class ServiceRequestReceived(ServiceEvent):
    """A request inside a service dialog (BYE, re-INVITE, INFO, ...), not yet answered."""

    transaction_id: str
    request: Request


@dataclass(frozen=True, slots=True)
class ServiceAckReceived(ServiceEvent):
    """The ACK for a 2xx the service sent (RFC 3261 §13.3.1.4)."""

    request: Request


@dataclass(frozen=True, slots=True)
class ServiceCancelled(ServiceEvent):
    """The caller cancelled the INVITE; the core answered 200 to the CANCEL and 487 to the
    INVITE (RFC 3261 §9.2), unless a final response was already sent."""


@dataclass(frozen=True, slots=True)
class ServiceResponseReceived(ServiceEvent):
    """The final response to a request the service sent in its dialog (a BYE, say).

    A timeout comes as a 408 and a transport failure as a 503 made by the core (§8.1.3.1).
    """

    transaction_id: str
    response: Response


@dataclass(frozen=True, slots=True)
class ServicePeerGone(ServiceEvent):
    """The caller's connection (WebSocket, TCP) closed: nothing can reach it any more."""

    reason: str
