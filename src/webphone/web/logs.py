"""Logging for `webphone serve`: lines for people (default) or JSON lines for a log pipeline,
and the SIP trace (`--sip-trace`, transport/trace.py).

    configure_logging("json", level="info", sip_trace=True)

One handler on the root logger, so uvicorn's and every webphone module's records come out in
the same format. A JSON line holds `time` (ISO 8601 UTC), `level`, `logger`, `message`, the
record's extra fields (the SIP trace's `sip`: direction, transport, peer, bytes, first_line)
and `exception` when there is one.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from ..transport import trace

__all__ = ["LOG_FORMATS", "LOG_LEVELS", "JsonFormatter", "LogFormat", "configure_logging"]

LogFormat = Literal["human", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("human", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")

# Attributes every LogRecord has; anything else on a record came as `extra=` (but uvicorn's
# `color_message`, the message again with terminal colours).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines in messages are escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class _HumanFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")


def configure_logging(
    log_format: LogFormat = "human",
    *,
    level: str = "info",
    sip_trace: bool = False,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record to `stream` (stderr) in `log_format`; the handler made.

    Calling it again replaces the handler it made before (tests, a reload)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r}: expected one of {', '.join(LOG_FORMATS)}")
    if level.lower() not in LOG_LEVELS:
        raise ValueError(f"log level {level!r}: expected one of {', '.join(LOG_LEVELS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else _HumanFormatter())
    handler.set_name("webphone")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "webphone"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # The trace logs at DEBUG whatever the level of the rest; off, it stays quiet even at debug
    # (a trace of every message is too much unless asked for).
    trace.logger.setLevel(logging.DEBUG if sip_trace else logging.INFO)
    return handler
