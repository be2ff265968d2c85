"""Logs: human lines or JSON lines, and the SIP trace of every message at the transport
boundary, for the WebSocket client (a Phone) and for the server's listeners (WS and UDP)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from webphone.phone import AiortcMedia, Phone, PhoneConfig
from webphone.sipserver import DictDirectory, ServerConfig, SipServer
from webphone.transport import trace
from webphone.web.logs import configure_logging

OPTIONS = (
    "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bKprobe1\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:127.0.0.1>\r\n"
    "From: <sip:probe@127.0.0.1>;tag=probe\r\n"
    "Call-ID: probe-1\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n"
)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Where the logs go during the test; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    trace.logger.setLevel(logging.NOTSET)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_extras_and_the_exception(stream: io.StringIO) -> None:
    configure_logging("json", level="info", stream=stream)
    log = logging.getLogger("webphone.test")
    log.debug("not shown")
    log.info("session %s opened", "ab12", extra={"session": "ab12"})
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        log.exception("it failed")
    info, error = lines(stream)
    assert (info["level"], info["logger"], info["message"]) == (
        "info",
        "webphone.test",
        "session ab12 opened",
    )
    assert info["session"] == "ab12" and info["time"].endswith("Z")
    assert error["level"] == "error" and "ValueError: boom" in error["exception"]


def test_human_lines_and_bad_settings(stream: io.StringIO) -> None:
    configure_logging("human", level="warning", stream=stream)
    configure_logging("human", level="warning", stream=stream)  # again: still one handler
    logging.getLogger("webphone.test").warning("careful")
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("WARNING webphone.test: careful")
    with pytest.raises(ValueError, match="log format 'xml'"):
        configure_logging("xml", stream=stream)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="log level 'loud'"):
        configure_logging(level="loud", stream=stream)


async def test_the_sip_trace_shows_every_message_both_ways(stream: io.StringIO) -> None:
    configure_logging("json", level="warning", sip_trace=True, stream=stream)
    config = ServerConfig(udp=("127.0.0.1", 0), tcp=None, ws=("127.0.0.1", 0))
    async with SipServer(config, DictDirectory({"alice": "pw"})) as server:
        assert server.ws is not None and server.udp is not None
        url = f"{server.ws.url}/"
        phone = Phone(
            PhoneConfig(ws_servers=(url,), username="alice", password="pw"),
            media_factory=lambda video: AiortcMedia(),
        )
        await phone.register()
        await phone.close()
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        probe.settimeout(5)
        port = probe.getsockname()[1]
        probe.sendto(OPTIONS.replace("PORT", str(port)).encode(), server.udp.local)
        await asyncio.to_thread(probe.recv, 4096)
        probe.close()
    traced = [(line["sip"]["direction"], line["sip"]["transport"], line["sip"]["first_line"])
              for line in lines(stream) if line["logger"] == "webphone.sip.trace"]  # fmt: skip
    # The client's REGISTER, then the server's view of the same, challenge and all.
    assert ("sent", "WS", "REGISTER sip:127.0.0.1 SIP/2.0") in traced
    assert ("received", "WS", "REGISTER sip:127.0.0.1 SIP/2.0") in traced
    assert any(d == "sent" and t == "WS" and f.startswith("SIP/2.0 401") for d, t, f in traced)
    assert any(d == "received" and t == "WS" and f == "SIP/2.0 200 OK" for d, t, f in traced)
    assert ("received", "UDP", "OPTIONS sip:127.0.0.1 SIP/2.0") in traced
    assert any(d == "sent" and t == "UDP" and f.startswith("SIP/2.0 ") for d, t, f in traced)
    message = next(line["message"] for line in lines(stream) if "REGISTER" in line["message"])
    assert "\r\nCSeq: " in message or "\nCSeq: " in message  # the whole message, headers too


async def test_no_trace_unless_asked(stream: io.StringIO) -> None:
    configure_logging("json", level="debug", sip_trace=False, stream=stream)
    trace.sent(b"OPTIONS sip:x SIP/2.0\r\n\r\n", "UDP", "127.0.0.1:5060")
    assert not [line for line in lines(stream) if line["logger"] == "webphone.sip.trace"]
