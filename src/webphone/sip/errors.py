"""The two families of errors in the SIP core.

`ParseError` and its kin are a remote peer's fault: they carry the status a server should answer
with (RFC 3261 §21). `InvalidStateError` is our own misuse of the API. Any other exception
escaping the receive path is a bug.
"""

from __future__ import annotations


class SipError(Exception):
    """Base of every error raised by `webphone.sip`."""


class ParseError(SipError):
    """Bytes or a header value that are not valid SIP (or SDP).

    `status` is the response a server should send: 400 for bad syntax, 505 for a SIP version
    other than 2.0, 413 when the body is larger than we take, 513 when the message, a header
    line or the number of header lines is (RFC 3261 §21.4.13, §21.5.7). The message says what
    was wrong, quoting at most a short piece of the input.
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, int]]:
        return (type(self), (str(self), self.status))


class InvalidStateError(SipError):
    """An operation that the current state does not allow (a local programming error)."""
