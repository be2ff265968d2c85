"""Building requests and responses for a user agent (RFC 3261 §8.1.1, §8.2.6).

Responses and DTMF INFO are made here; the request builders live in `requests.py` and
`_useragent.py` and are re-exported, so this module is the one place to import them from.
"""

from __future__ import annotations

from ._useragent import (
    ALLOW,
    MAX_FORWARDS,
    ExtraHeaders,
    UserAgentConfig,
    build_request,
    request_uri,
    route_request,
)
from .dialog import Dialog
from .headers import MutableHeaders
from .message import Request, Response
from .requests import (
    DEFAULT_EXPIRES,
    cancel,
    invite,
    options,
    register,
    unregister,
    with_credentials,
)

__all__ = [
    "ALLOW",
    "DEFAULT_EXPIRES",
    "DTMF_SIGNALS",
    "MAX_FORWARDS",
    "REASONS",
    "ExtraHeaders",
    "UserAgentConfig",
    "build_request",
    "cancel",
    "info_dtmf",
    "invite",
    "make_response",
    "options",
    "register",
    "request_uri",
    "route_request",
    "unregister",
    "with_credentials",
]

#: Reason phrases of the responses this package sends (RFC 3261 §21 and extensions).
REASONS = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    423: "Interval Too Brief",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}


def make_response(
    request: Request,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    content_type: str | None = None,
) -> Response:
    """A response that copies Via, From, To, Call-ID and CSeq from the request (§8.2.6.2).

    `to_tag` is added to To when the request's To has none (never for 100 Trying, §8.2.6.2).
    """
    out = MutableHeaders()
    for name, value in request.headers:
        if name.lower() in ("via", "v", "from", "f", "call-id", "i", "cseq", "record-route"):
            if name.lower() == "record-route" and not (status > 100 and status < 300):
                continue  # Record-Route is copied into 1xx/2xx that may create a dialog (§12.1.1)
            out.add(name, value)
        elif name.lower() in ("to", "t"):
            if to_tag is not None and status != 100 and request.to.tag is None:
                out.add(name, str(request.to.with_param("tag", to_tag)))
            else:
                out.add(name, value)
    for name, value in headers or ():
        out.add(name, value)
    if body:
        out.add("Content-Type", content_type or "application/sdp")
    out.add("Content-Length", str(len(body)))
    return Response(
        status, reason if reason is not None else REASONS.get(status, ""), out.freeze(), body
    )


#: The tones `info_dtmf` sends: the sixteen DTMF events of RFC 4733 §3.2.
DTMF_SIGNALS = frozenset("0123456789*#ABCD")


def info_dtmf(dialog: Dialog, digit: str, duration_ms: int = 100) -> Request:
    """A DTMF tone as SIP INFO (RFC 6086) in the dialog, with the body JsSIP sends.

    For peers without RFC 4733 telephone-events. `application/dtmf-relay` has no RFC; the body
    is `Signal=1` CRLF `Duration=100`, byte for byte as JsSIP 3.13 sent it (no final CRLF).
    """
    if len(digit) != 1 or digit.upper() not in DTMF_SIGNALS:
        raise ValueError(f"not a DTMF signal: {digit!r}")
    if not 0 < duration_ms <= 60_000:
        raise ValueError(f"DTMF duration out of range: {duration_ms} ms")
    body = f"Signal={digit.upper()}\r\nDuration={duration_ms}".encode()
    return dialog.create_request("INFO", body, "application/dtmf-relay")
