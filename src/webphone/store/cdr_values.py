"""A CDR dict (docs/cdr.md, `Ended.cdr`) as `cdrs` column values, and a row back as a dict.

The store must never lose a call, so only what identifies a call is required (call_id,
direction); any other field of the wrong type is stored as unknown (NULL), and text longer than
its column (a hostile peer's 10 KB display name) is cut to fit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String

from ..phone.cdr import MEDIA_FIELDS
from .errors import ValidationError
from .models import DIRECTIONS, CdrRow

__all__ = ["MEDIA_FIELDS", "cdr_dict", "iso", "row_values"]

# CDR key -> column, where they differ.
_RENAMED = {"from": "from_uri", "to": "to_uri"}
_TEXT = ("call_id", "from", "from_name", "to", "to_name", "cli", "server", "reason")
_TIMES = ("started_at", "ringing_at", "answered_at", "ended_at")
_FLOATS = ("ring_seconds", "talk_seconds", "jitter_ms", "rtt_ms", "mos")
_INTS = ("sip_status", "packets_sent", "packets_received", "bytes_sent", "bytes_received",
         "packets_lost")  # fmt: skip
_ENDED_BY = ("local", "remote", "system")
_LENGTHS = {
    c.name: c.type.length
    for c in CdrRow.__table__.columns
    if isinstance(c.type, String) and c.type.length
}


def _text(value: object, column: str) -> str | None:
    if not isinstance(value, str):
        return None
    return value[: _LENGTHS.get(column)]


def _int(value: object) -> int | None:
    # bool is an int to Python, but True is no status code.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _time(value: object) -> datetime | None:
    """ISO 8601 text (`...Z`), seconds since the epoch, or a datetime; naive means UTC."""
    try:
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        elif isinstance(value, datetime):
            moment = value
        else:
            return None
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def row_values(cdr: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for the fields present in `cdr` (top level and `media`).

    A partial CDR (a call just started) gives only its fields, so that finishing a call
    later can leave what it does not know untouched.
    """
    fields: dict[str, Any] = {k: v for k, v in cdr.items() if k != "media"}
    media = cdr.get("media")
    if isinstance(media, Mapping):
        fields.update((k, media[k]) for k in MEDIA_FIELDS if k in media)
    values: dict[str, Any] = {}
    for key, value in fields.items():
        column = _RENAMED.get(key, key)
        if key in _TEXT or key == "codec":
            values[column] = _text(value, column)
        elif key in _TIMES:
            values[column] = _time(value)
        elif key in _FLOATS:
            values[column] = _float(value)
        elif key in _INTS:
            values[column] = _int(value)
        elif key == "ended_by":
            values[column] = value if value in _ENDED_BY else None
        elif key == "direction":
            if value not in DIRECTIONS:
                raise ValidationError("direction", value, f"expected one of {DIRECTIONS}")
            values[column] = value
    if "call_id" in values and not values["call_id"]:
        raise ValidationError("call_id", cdr.get("call_id"), "expected the SIP Call-ID")
    return values


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with milliseconds and `Z`, as in the CDR JSON."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def cdr_dict(row: CdrRow) -> dict[str, Any]:
    """The row in the CDR JSON shape of docs/cdr.md, plus what the store knows about it."""
    return {
        "call_id": row.call_id,
        "direction": row.direction,
        "from": row.from_uri,
        "from_name": row.from_name,
        "to": row.to_uri,
        "to_name": row.to_name,
        "cli": row.cli,
        "server": row.server,
        "started_at": iso(row.started_at),
        "ringing_at": iso(row.ringing_at),
        "answered_at": iso(row.answered_at),
        "ended_at": iso(row.ended_at),
        "ring_seconds": row.ring_seconds,
        "talk_seconds": row.talk_seconds,
        "ended_by": row.ended_by,
        "sip_status": row.sip_status,
        "reason": row.reason,
        "media": {name: getattr(row, name) for name in MEDIA_FIELDS},
        "id": row.id,
        "component_id": row.component_id,
        "user": row.user_name,
        "session": row.session_name,
        "state": row.state,
    }
