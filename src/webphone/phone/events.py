"""What a Phone tells its user: the seed's events, plus connection changes and digits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class PhoneEvent:
    """Base of every Phone event; `name` is the seed's event name (`answer`, `end`, ...)."""

    name: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.name}
        for field in dataclasses.fields(self):
            out[field.name] = getattr(self, field.name)
        return out


@dataclass(frozen=True, slots=True)
class Registered(PhoneEvent):
    name: ClassVar[str] = "registered"
    #: The server that accepted the registration.
    server: str
    #: Seconds the registration lasts (the registrar's answer).
    expires: int


@dataclass(frozen=True, slots=True)
class Unregistered(PhoneEvent):
    name: ClassVar[str] = "unregistered"
    #: Why: "requested", "connection lost", or the registrar's refusal.
    reason: str


@dataclass(frozen=True, slots=True)
class RingingOut(PhoneEvent):
    name: ClassVar[str] = "ringing_out"
    call_id: str
    #: 180 Ringing or 183 Session Progress.
    status: int
    #: True when the far end sent early media (a 183 or 180 with SDP).
    early_media: bool = False


@dataclass(frozen=True, slots=True)
class RingingIn(PhoneEvent):
    name: ClassVar[str] = "ringing_in"
    call_id: str
    #: The caller's URI and display name.
    from_uri: str
    from_name: str | None
    #: The caller's number or user name, for display.
    from_user: str | None
    video: bool = False


@dataclass(frozen=True, slots=True)
class Answered(PhoneEvent):
    name: ClassVar[str] = "answer"
    call_id: str
    direction: str
    #: The other party's URI.
    remote_uri: str


@dataclass(frozen=True, slots=True)
class Ended(PhoneEvent):
    name: ClassVar[str] = "end"
    call_id: str
    #: The call detail record (see docs/cdr.md).
    cdr: dict[str, Any]


@dataclass(frozen=True, slots=True)
class HoldChanged(PhoneEvent):
    name: ClassVar[str] = "hold"
    call_id: str
    #: We put the call on hold.
    local: bool
    #: The far end put the call on hold.
    remote: bool


@dataclass(frozen=True, slots=True)
class DtmfReceived(PhoneEvent):
    name: ClassVar[str] = "dtmf"
    call_id: str
    digit: str
    #: "info" or "rfc4733".
    method: str


@dataclass(frozen=True, slots=True)
class ConnectionChanged(PhoneEvent):
    name: ClassVar[str] = "connection"
    #: "connected", "disconnected" or "reconnected".
    state: str
    server: str | None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Error(PhoneEvent):
    name: ClassVar[str] = "error"
    #: A stable code: auth_failed, forbidden, unreachable, call_failed, media_failed, ...
    code: str
    message: str
    sip_status: int | None = None
    call_id: str | None = None
