"""The call detail record: one JSON object per call, answered or not (docs/cdr.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Direction = Literal["outgoing", "incoming"]
EndedBy = Literal["local", "remote", "system"]


def iso(ts: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 UTC with milliseconds, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class Cdr:
    """Filled in as the call goes; `to_dict()` gives the documented JSON shape."""

    call_id: str
    direction: Direction
    from_uri: str
    to_uri: str
    server: str | None
    started_at: float
    cli: str | None = None
    from_name: str | None = None
    to_name: str | None = None
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    ended_by: EndedBy | None = None
    sip_status: int | None = None
    reason: str | None = None
    media: dict[str, Any] = field(default_factory=dict)

    @property
    def ring_seconds(self) -> float | None:
        if self.ringing_at is None:
            return None
        until = self.answered_at or self.ended_at
        return None if until is None else round(max(0.0, until - self.ringing_at), 3)

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None or self.ended_at is None:
            return 0.0
        return round(max(0.0, self.ended_at - self.answered_at), 3)

    def to_dict(self) -> dict[str, Any]:
        media = {key: self.media.get(key) for key in MEDIA_FIELDS} | self.media
        return {
            "call_id": self.call_id,
            "direction": self.direction,
            "from": self.from_uri,
            "from_name": self.from_name,
            "to": self.to_uri,
            "to_name": self.to_name,
            "cli": self.cli,
            "server": self.server,
            "started_at": iso(self.started_at),
            "ringing_at": iso(self.ringing_at),
            "answered_at": iso(self.answered_at),
            "ended_at": iso(self.ended_at),
            "ring_seconds": self.ring_seconds,
            "talk_seconds": self.talk_seconds,
            "ended_by": self.ended_by,
            "sip_status": self.sip_status,
            "reason": self.reason,
            "media": media,
        }


MEDIA_FIELDS = (
    "codec",
    "packets_sent",
    "packets_received",
    "bytes_sent",
    "bytes_received",
    "packets_lost",
    "jitter_ms",
    "rtt_ms",
    "mos",
)
