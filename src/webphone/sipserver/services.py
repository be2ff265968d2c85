"""Built-in services: user agents inside the server, reached as `sip:<name>@<server>`.

A service gets each authenticated INVITE for its name as a `ServiceCall` and answers it; the
server does the SIP around it (transactions, CANCEL, the dialog, 2xx retransmission until the
ACK, RFC 3261 §13.3.1.4). A minimal service:

    class Announce(Service):
        name = "announce"

        async def handle_invite(self, call: ServiceCall) -> None:
            call.ring()
            call.answer(make_sdp_answer(call.offer))      # 200 OK with SDP
            if await call.confirmed():                    # the ACK came
                await asyncio.sleep(5)
                await call.hangup()                       # BYE, waits for its 200

`handle_invite` must send a final response before it returns (a 500 is sent for it otherwise);
it may go on running for the life of the call and is cancelled when the server closes.
In-dialog requests other than ACK and BYE (re-INVITE for hold, INFO, UPDATE) go to
`handle_request`. The call's events: `await call.confirmed()` (ACK), `await call.ended()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from webphone.sip import Request

from .service_call import CallState, ServiceCall, ServiceHost

__all__ = [
    "BusyService",
    "CallState",
    "Reply",
    "Service",
    "ServiceCall",
    "ServiceHost",
    "ServiceRegistry",
    "default_services",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """The response a service gives to an in-dialog request."""

    status: int
    reason: str | None = None
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


class Service:
    """Base class of a built-in service; `name` is the user part that reaches it."""

    name: str = ""

    async def handle_invite(self, call: ServiceCall) -> None:
        """A new call: answer it (`ring`, `answer`, `reject`, `respond`), then manage it."""
        raise NotImplementedError

    async def handle_request(self, call: ServiceCall, request: Request) -> Reply:
        """A request inside the call's dialog other than ACK and BYE.

        The default refuses a re-INVITE (488: no renegotiation, RFC 3261 §14.2) and accepts
        INFO, UPDATE, OPTIONS and the rest with 200.
        """
        if request.method == "INVITE":
            return Reply(488)
        return Reply(200)


class BusyService(Service):
    """`busy`: every call gets 486 Busy Here (for tests of failure paths)."""

    name = "busy"

    async def handle_invite(self, call: ServiceCall) -> None:
        call.reject(486)


class ServiceRegistry:
    """The built-in services by name; the server core asks `name in registry`."""

    def __init__(self, services: Iterable[Service] = ()) -> None:
        self._services: dict[str, Service] = {}
        for service in services:
            self.add(service)

    def add(self, service: Service) -> None:
        if not service.name or "@" in service.name or ":" in service.name:
            raise ValueError(f"a service needs a SIP user name, not {service.name!r}")
        self._services[service.name] = service

    def get(self, name: str) -> Service | None:
        return self._services.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def __iter__(self) -> Iterator[str]:
        return iter(self._services)

    def __len__(self) -> int:
        return len(self._services)


def default_services(media_hosts: Sequence[str] | None = None) -> ServiceRegistry:
    """The services a server has unless told otherwise: `echo` and `busy`.

    `media_hosts` are the addresses echo offers for media (see `phone.media_hosts`).
    """
    from .echo import EchoService  # noqa: PLC0415  (echo imports aiortc; services must not)

    return ServiceRegistry([EchoService(media_hosts), BusyService()])
