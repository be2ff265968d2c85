"""The gateway protocol of docs/protocol.md, sans-IO: frames in, checked operations out.

Nothing here touches a socket or a clock: `decode` and `parse_operation` turn a frame into an
`Operation` or raise `ProtocolError` with the code the page is told; the builders make the
server's messages; `RateLimiter` is given the time.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DTMF_DIGITS",
    "OPERATIONS",
    "VERSION",
    "JsonObject",
    "Operation",
    "ProtocolError",
    "RateLimiter",
    "decode",
    "error_reply",
    "event_message",
    "media_message",
    "parse_operation",
    "result_reply",
]

VERSION = 1
JsonObject = dict[str, Any]
DTMF_DIGITS = "0123456789*#ABCD"

# The error codes of docs/protocol.md that the protocol layer itself gives.
BAD_JSON, TOO_LARGE, RATE_LIMITED = "bad_json", "too_large", "rate_limited"
UNKNOWN_OP, BAD_MESSAGE = "unknown_op", "bad_message"


class ProtocolError(Exception):
    """A message the gateway will not act on; the page gets an error with `code`.

    `id` is the operation's id when it could be read, so the error still answers it.
    """

    def __init__(self, code: str, message: str, id: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.id = id
        self.extra = extra

    def reply(self) -> JsonObject:
        return error_reply(self.id, self.code, str(self), **self.extra)


# The fields of each operation: name -> (accepted JSON types, required). `None` in the types
# accepts JSON null for "not given".
_Spec = Mapping[str, tuple[tuple[type, ...], bool]]
_STR, _OPT_STR = ((str,), False), ((str, type(None)), False)
OPERATIONS: Mapping[str, _Spec] = {
    "hello": {
        "version": ((int,), True),
        "resume": _OPT_STR,
        "last_seq": ((int, type(None)), False),
        "component": _OPT_STR,
        "ticket": _OPT_STR,
    },
    "set_config": {
        "wsServers": ((str, list, type(None)), False),
        "username": _OPT_STR,
        "password": _OPT_STR,
        "displayName": _OPT_STR,
        "cli": _OPT_STR,
        "realm": _OPT_STR,
    },
    "register": {},
    "unregister": {},
    "make_call": {"address": ((str,), True), "video": ((bool, type(None)), False)},
    "answer": {},
    "hangup": {},
    "hold": {},
    "unhold": {},
    "mute": {},
    "unmute": {},
    "dtmf": {"digit": ((str,), True)},
    "ping": {},
    "media_result": {
        "rid": ((str,), True),
        "result": ((dict, type(None)), False),
        "error": ((str, dict, type(None)), False),
    },
}


@dataclass(frozen=True, slots=True)
class Operation:
    """A checked message from the page: `op`, its `id`, and its known fields."""

    op: str
    id: int | None
    fields: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name)
        return default if value is None else value


def decode(frame: str | bytes | None, max_bytes: int) -> JsonObject:
    """A frame as a JSON object; `too_large` or `bad_json` otherwise."""
    if not isinstance(frame, str):
        raise ProtocolError(BAD_JSON, "expected a text frame holding a JSON object")
    # A str holds at most 4 UTF-8 bytes per character: count bytes only when it may matter.
    if len(frame) > max_bytes // 4 and len(frame.encode("utf-8", "replace")) > max_bytes:
        raise ProtocolError(TOO_LARGE, f"a message may have at most {max_bytes} bytes")
    try:
        message = json.loads(frame)
    except ValueError as e:  # JSONDecodeError, or an integer of too many digits
        raise ProtocolError(BAD_JSON, f"not JSON: {e}") from None
    except RecursionError:
        raise ProtocolError(BAD_JSON, "not JSON: nested too deeply") from None
    if not isinstance(message, dict):
        raise ProtocolError(BAD_JSON, "expected a JSON object")
    return message


def parse_operation(message: JsonObject) -> Operation:
    """Check `op`, `id` and the fields `op` takes; unknown extra fields are ignored."""
    raw_id = message.get("id")
    if raw_id is not None and (not isinstance(raw_id, int) or isinstance(raw_id, bool)):
        raise ProtocolError(BAD_MESSAGE, "id: expected an integer")
    op_id: int | None = raw_id
    op = message.get("op")
    if not isinstance(op, str):
        raise ProtocolError(BAD_MESSAGE, "op: expected the name of an operation", op_id)
    spec = OPERATIONS.get(op)
    if spec is None:
        raise ProtocolError(UNKNOWN_OP, f"no operation {op[:40]!r}", op_id)
    fields: dict[str, Any] = {}
    for name, (types, required) in spec.items():
        value = message.get(name)
        if value is None and required:
            raise ProtocolError(BAD_MESSAGE, f"{name}: missing", op_id)
        # bool is an int in Python, but never the integer a field asks for.
        wrong_bool = isinstance(value, bool) and bool not in types
        if not isinstance(value, types) or wrong_bool:
            wanted = " or ".join(_JSON_NAMES[t] for t in types if t is not type(None))
            raise ProtocolError(BAD_MESSAGE, f"{name}: expected {wanted}", op_id)
        fields[name] = value
    if op == "dtmf" and not (len(fields["digit"]) == 1 and fields["digit"].upper() in DTMF_DIGITS):
        raise ProtocolError(BAD_MESSAGE, f"digit: expected one of {DTMF_DIGITS}", op_id)
    servers = fields.get("wsServers")
    if isinstance(servers, list) and not all(isinstance(s, str) for s in servers):
        raise ProtocolError(BAD_MESSAGE, "wsServers: expected strings", op_id)
    return Operation(op, op_id, fields)


_JSON_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


# The server's messages.


def result_reply(op_id: int | None, **fields: Any) -> JsonObject:
    return {"type": "result", "id": op_id, "ok": True, **fields}


def error_reply(op_id: int | None, code: str, message: str, **extra: Any) -> JsonObject:
    return {"type": "error", "id": op_id, "code": code, "message": message, **extra}


def event_message(seq: int, event: Mapping[str, Any]) -> JsonObject:
    """`event` is a Phone event's `to_dict()`: {"event": name, ...fields}."""
    return {"type": "event", "seq": seq, **event}


def media_message(rid: str, method: str, fields: Mapping[str, Any]) -> JsonObject:
    return {"type": "media", "rid": rid, "method": method, **fields}


class RateLimiter:
    """At most `limit` messages in any `window` seconds; refused messages do not count."""

    def __init__(self, limit: int, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._times: collections.deque[float] = collections.deque(maxlen=limit)

    def allow(self, now: float) -> bool:
        times = self._times
        if len(times) == self.limit and now - times[0] < self.window:
            return False
        times.append(now)
        return True
