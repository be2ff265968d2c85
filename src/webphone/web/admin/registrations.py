"""Who is registered to the embedded SIP server now, as the admin shows it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ...sipserver import SipServer
from ...sipserver.config import format_hostport

__all__ = ["Registration", "Registrations", "sip_registrations"]


@dataclass(frozen=True, slots=True)
class Registration:
    """One current binding of a SIP user: its Contact and where it registered from."""

    user: str
    contact: str
    #: WS, WSS, TCP or UDP.
    transport: str
    #: The address the REGISTER came from.
    source: str
    #: Seconds until it expires unless refreshed.
    expires_in: int


#: Called on the event loop; the current bindings, by user.
Registrations = Callable[[], list[Registration]]


def sip_registrations(server: SipServer) -> Registrations:
    """The bindings of `server`'s registrar, read on the loop that runs it (its clock is the
    loop's time)."""

    def current() -> list[Registration]:
        now = asyncio.get_running_loop().time()
        return [
            Registration(
                user=b.user,
                contact=str(b.contact.uri),
                transport=b.origin.transport,
                source=format_hostport(b.origin.remote),
                expires_in=b.remaining(now),
            )
            for b in server.core.registrar.current(now)
        ]

    return current
