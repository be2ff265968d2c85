"""The SIP trace: every SIP message sent or received at the transport boundary, logged whole.

Messages go to the logger `webphone.sip.trace` at DEBUG, which is off unless asked for
(`webphone serve --sip-trace`); when it is off, a message costs one level check. The hooks sit
where bytes cross the boundary, once per message whatever the transport: `Flow.send` and
`UdpListener.send_to` and `deliver` for the server's listeners, `SipWebSocketClient.send` and
its receive path for the client. Keepalives (CRLF) are left out.
"""

from __future__ import annotations

import logging

__all__ = ["logger", "received", "sent"]

logger = logging.getLogger("webphone.sip.trace")


def sent(data: bytes, transport: str, peer: str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        _log("sent", "to", data, transport, peer)


def received(data: bytes, transport: str, peer: str) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        _log("received", "from", data, transport, peer)


def _log(direction: str, preposition: str, data: bytes, transport: str, peer: str) -> None:
    if not data.strip(b"\r\n"):
        return
    text = data.decode("utf-8", "replace").rstrip("\r\n")
    sip = {
        "direction": direction,
        "transport": transport,
        "peer": peer,
        "bytes": len(data),
        "first_line": text.split("\r\n", 1)[0][:200],
    }
    logger.debug(
        "SIP %s %s %s %s (%d bytes)\n%s",
        direction,
        preposition,
        transport,
        peer,
        len(data),
        text,
        extra={"sip": sip},
    )
