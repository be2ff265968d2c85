"""CDR dicts for the store's tests, in the shape of docs/cdr.md (as `Cdr.to_dict()` makes them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webphone.phone.cdr import Cdr

T0 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)


def make_cdr(
    call_id: str,
    *,
    started: datetime = T0,
    answered_after: float | None = 1.0,
    talk: float = 3.0,
    status: int | None = None,
    direction: str = "outgoing",
    mos: float | None = 4.41,
    **changes: Any,
) -> dict[str, Any]:
    """A finished call's CDR: answered `answered_after` s after it started (None: not), with
    `talk` seconds of talk; `status` defaults to 200 when answered, 486 when not."""
    start = started.timestamp()
    answered = None if answered_after is None else start + answered_after
    ended = (answered + talk) if answered is not None else start + 5.0
    cdr = Cdr(
        call_id=call_id,
        direction=direction,  # type: ignore[arg-type]
        from_uri="sip:alice@127.0.0.1",
        to_uri="sip:echo@127.0.0.1",
        server="ws://127.0.0.1:5066",
        started_at=start,
        ringing_at=start + 0.2,
        answered_at=answered,
        ended_at=ended,
        ended_by="local",
        sip_status=status if status is not None else (200 if answered else 486),
        reason="hung up" if answered else "Busy Here",
    )
    if answered is not None:
        cdr.media = {"codec": "opus/48000/2", "packets_sent": 150, "packets_received": 148,
                     "bytes_sent": 12345, "bytes_received": 12200, "packets_lost": 0,
                     "jitter_ms": 1.2, "rtt_ms": 0.4, "mos": mos}  # fmt: skip
    return cdr.to_dict() | changes


def started(cdr: dict[str, Any]) -> dict[str, Any]:
    """What is known of the call when it starts: who, where, when."""
    keys = ("call_id", "direction", "from", "from_name", "to", "to_name", "cli", "server")
    return {k: cdr[k] for k in keys} | {"started_at": cdr["started_at"]}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
