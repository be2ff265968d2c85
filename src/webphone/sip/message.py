"""SIP requests and responses: `parse(bytes)` and `bytes(message)` (RFC 3261 §7)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from . import _abnf
from .address import CSeq, NameAddr, Via, parse_cseq, parse_name_addr, parse_via
from .errors import ParseError
from .headers import Headers, MutableHeaders
from .uri import SipUri, Uri, parse_uri

#: Limits on what `parse` accepts; larger input is refused with the status named.
MAX_MESSAGE_SIZE = 65_536  # 513 Message Too Large
MAX_BODY_SIZE = 60_000  # 413 Request Entity Too Large
MAX_HEADERS = 200  # 513 (header lines, folded ones included)
MAX_LINE_LENGTH = 8_192  # 513

# Every request carries these (§8.1.1); responses copy them (§8.2.6.2).
_MANDATORY = ("call-id", "cseq", "from", "to", "via")
# ... and these may appear only once (§7.3.1: only a #list header may repeat). Two differing
# Content-Lengths make the body ambiguous (RFC 4475 §3.3.9 "mcl01", §3.3.8 "multi01").
_SINGLE = ("call-id", "cseq", "from", "to", "max-forwards", "content-length")
_TITLES = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "from": "From",
    "to": "To",
    "via": "Via",
    "max-forwards": "Max-Forwards",
    "content-length": "Content-Length",
    "expires": "Expires",
    "contact": "Contact",
    "route": "Route",
    "record-route": "Record-Route",
}


class _Accessors:
    """Typed views of the headers every layer reads, parsed on first use and cached."""

    __slots__ = ()
    headers: Headers
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def call_id(self) -> str:
        value = self.headers.get("call-id")
        if not value:
            raise ParseError("missing Call-ID")
        return value

    @property
    def cseq(self) -> CSeq:
        return self.headers.parsed("cseq", _cseq)

    @property
    def from_(self) -> NameAddr:
        return self.headers.parsed("from", _from)

    @property
    def to(self) -> NameAddr:
        return self.headers.parsed("to", _to)

    @property
    def vias(self) -> tuple[Via, ...]:
        return self.headers.parsed("via", _vias)

    @property
    def via(self) -> Via:
        """The top Via."""
        return self.vias[0]

    @property
    def contacts(self) -> tuple[NameAddr, ...]:
        """Every Contact; empty for `Contact: *` (see `contact_is_star`)."""
        return self.headers.parsed("contact", _contacts)

    @property
    def contact_is_star(self) -> bool:
        """`Contact: *` (a REGISTER removing every binding, §10.2.2)."""
        return self.headers.values("contact") == ["*"]

    @property
    def routes(self) -> tuple[NameAddr, ...]:
        return self.headers.parsed("route", _routes)

    @property
    def record_routes(self) -> tuple[NameAddr, ...]:
        return self.headers.parsed("record-route", _record_routes)

    @property
    def max_forwards(self) -> int | None:
        """0 to 255 (§20.22); None when absent."""
        return _int_header(self.headers, "max-forwards", 255)

    @property
    def expires(self) -> int | None:
        return _int_header(self.headers, "expires")

    @property
    def content_type(self) -> str | None:
        """The media type of the body, lowercase, without parameters."""
        value = self.headers.get("content-type")
        return value.split(";", 1)[0].strip().lower() if value else None


@dataclass(frozen=True, slots=True)
class Request(_Accessors):
    method: str
    uri: Uri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __bytes__(self) -> bytes:
        uri = str(self.uri)
        if _abnf.method_re.fullmatch(self.method) is None or not _writable_uri(uri):
            raise ValueError(f"cannot write the request line {self.method!r} {uri!r}")
        return _serialise(f"{self.method} {uri} SIP/2.0", self.headers, self.body)

    def replace(self, **changes: object) -> Request:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_headers(self, headers: MutableHeaders) -> Request:
        return dataclasses.replace(self, headers=headers.freeze())


@dataclass(frozen=True, slots=True)
class Response(_Accessors):
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def __bytes__(self) -> bytes:
        if not 100 <= self.status <= 699 or "\r" in self.reason or "\n" in self.reason:
            raise ValueError(f"cannot write the status line {self.status!r} {self.reason!r}")
        return _serialise(f"SIP/2.0 {self.status} {self.reason}", self.headers, self.body)

    def replace(self, **changes: object) -> Response:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_headers(self, headers: MutableHeaders) -> Response:
        return dataclasses.replace(self, headers=headers.freeze())

    @property
    def is_provisional(self) -> bool:
        return self.status < 200

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300


Message = Request | Response


def _writable_uri(uri: str) -> bool:
    return bool(uri) and uri.isprintable() and " " not in uri  # no blank, CR, LF or control


def _serialise(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append("\r\n")
    return "\r\n".join(lines).encode() + body


def parse(data: bytes) -> Request | Response:
    """Parse one whole SIP message; anything malformed raises `ParseError` with a status.

    Bytes after the body that Content-Length announces are ignored (§18.3, a UDP datagram);
    without Content-Length the body is everything after the empty line. A message that parses
    answers every typed accessor (`call_id`, `cseq`, `from_`, `to`, `vias`, `max_forwards`,
    `expires`, `contacts`, `routes`, `record_routes`) without error; other headers are kept
    as they came, unread.
    """
    if type(data) is not bytes:
        data = bytes(data)  # a bytearray or memoryview from a transport
    if len(data) > MAX_MESSAGE_SIZE:
        raise ParseError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_SIZE}", 513)
    if data[:1] in (b"\r", b"\n"):
        data = data.lstrip(b"\r\n")  # CRLFs before the start line are ignored (§7.5)
    end = data.find(b"\r\n\r\n")
    # Bare LF line ends are tolerated, as many stacks do: an LF LF before any CRLF CRLF ends
    # the headers (the body may hold CRLF CRLF).
    lf_end = data.find(b"\n\n", 0, end if end >= 0 else len(data))
    if lf_end >= 0:
        head, body, newline = data[:lf_end], data[lf_end + 2 :], "\n"
    elif end >= 0:
        head, body, newline = data[:end], data[end + 4 :], "\r\n"
    else:
        raise ParseError("no empty line after the headers")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(f"headers are not UTF-8 (byte {e.start})") from None
    lines = text.split(newline)
    breaks = len(lines) - 1
    if newline == "\r\n":
        if text.count("\n") != breaks or text.count("\r") != breaks:
            raise ParseError("bare CR or LF inside the headers")
    elif "\r" in text:
        raise ParseError("CR inside headers whose lines end with a bare LF")
    if breaks > MAX_HEADERS:
        raise ParseError(f"more than {MAX_HEADERS} header lines", 513)
    if len(text) > MAX_LINE_LENGTH and max(map(len, lines)) > MAX_LINE_LENGTH:
        raise ParseError(f"header line longer than {MAX_LINE_LENGTH} characters", 513)
    first = lines[0]
    if first[:4].upper() == "SIP/":
        status, reason = _status_line(first)
        headers = Headers._trusted(_header_items(lines))
        message: Request | Response = Response(status, reason, headers, _check_body(headers, body))
    else:
        method, uri = _request_line(first)
        headers = Headers._trusted(_header_items(lines))
        message = Request(method, uri, headers, _check_body(headers, body))
    _validate(message)
    return message


def _request_line(line: str) -> tuple[str, Uri]:
    # Request-Line = Method SP Request-URI SP SIP-Version CRLF: one SP each, none around
    # (RFC 4475 §3.1.2.9 "lwsstart" and §3.1.2.10 "trws" are rejected, as they may be).
    parts = line.split(" ")
    if len(parts) != 3:
        raise ParseError(
            f"request line is not Method SP Request-URI SP SIP-Version: {line[:100]!r}"
        )
    method, uri_text, version = parts
    if _abnf.method_re.fullmatch(method) is None:
        raise ParseError(f"bad method {method[:20]!r}")
    _check_version(version)
    uri = parse_uri(uri_text)
    if isinstance(uri, SipUri) and uri.headers:
        # §19.1.1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 "escruri")
        raise ParseError(f"headers in the Request-URI {uri_text[:100]!r}")
    return method, uri


def _status_line(line: str) -> tuple[int, str]:
    # Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF; the reason may be empty,
    # and the SP before it is taken as optional ("SIP/2.0 100", RFC 4475 §3.1.1.13).
    version, _, rest = line.partition(" ")
    _check_version(version)
    code = rest[:3]
    if _abnf.status_re.fullmatch(code) is None or rest[3:4] not in ("", " "):
        raise ParseError(f"bad status code in {line[:100]!r}")
    return int(code), rest[4:]


def _check_version(text: str) -> None:
    if text == "SIP/2.0":
        return
    m = _abnf.version_re.fullmatch(text)
    if m is None:
        raise ParseError(f"bad SIP version {text[:20]!r}")
    # compare as numbers without int(): a thousand-digit version must not cost anything
    if (m[1].lstrip("0") or "0", m[2].lstrip("0") or "0") != ("2", "0"):
        raise ParseError(f"SIP version {text[:20]} not supported", 505)


def _header_items(lines: list[str]) -> list[tuple[str, str]]:
    # The common case, at C speed: every line a plain header, none folded.
    match = _abnf.header_line_re.match
    matches = [match(line) for line in lines[1:]]
    if all(matches):
        return [(m[1], m[2].rstrip(" \t")) for m in matches]  # type: ignore[index]
    return _header_items_slow(lines)


def _header_items_slow(lines: list[str]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    match = _abnf.header_line_re.match
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # line folding (§7.3.1): the line continues the last value
            if not items:
                raise ParseError("continuation line before any header")
            more = line.strip(" \t")
            if more:
                name, value = items[-1]
                items[-1] = (name, f"{value} {more}" if value else more)
            continue
        m = match(line)
        if m is None:
            name, colon, _ = line.partition(":")
            if not colon:
                raise ParseError(f"header line without a colon: {line[:80]!r}")
            raise ParseError(f"bad header name {name[:80]!r}")
        items.append((m[1], m[2].rstrip(" \t")))
    return items


def _check_body(headers: Headers, body: bytes) -> bytes:
    repeated = headers.repeated(_SINGLE)
    if repeated is not None:
        raise ParseError(f"more than one {_TITLES[repeated]} header")
    length = headers.get("content-length")
    if length is not None:
        if _abnf.digits_re.fullmatch(length) is None:
            raise ParseError(f"bad Content-Length {length[:20]!r}")
        n = int(length)
        if n > len(body):
            raise ParseError(f"Content-Length {n} but only {len(body)} body bytes")
        body = body[:n]  # extra bytes after the body are discarded (§18.3)
    if len(body) > MAX_BODY_SIZE:
        raise ParseError(f"body of {len(body)} bytes exceeds {MAX_BODY_SIZE}", 413)
    return body


def _validate(message: Request | Response) -> None:
    """Check what every layer relies on, so that an accepted message is usable (§8.1.1).

    Call-ID, CSeq, Via, Max-Forwards and Expires are parsed now; From, To, Contact, Route and
    Record-Route are checked against the grammar now and built on first use (they are most
    often unread), with the patterns `parse_name_addr` uses, so their typed values cannot fail
    later. An address with an IPv6 reference is built now: its address is checked in code.
    """
    headers = message.headers
    missing = headers.missing(_MANDATORY)
    if missing is not None:
        raise ParseError(f"missing {_TITLES[missing]} header")
    call_id = headers.get("call-id") or ""
    if _abnf.callid_re.fullmatch(call_id) is None:
        raise ParseError(f"bad Call-ID {call_id[:80]!r}")
    cseq = headers.parsed("cseq", _cseq)
    if isinstance(message, Request) and cseq.method != message.method:
        raise ParseError(f"CSeq method {cseq.method} does not match {message.method}")
    headers.parsed("via", _vias)  # raising on bad input, and cached for the layers above
    _int_header(headers, "max-forwards", 255)
    _int_header(headers, "expires")
    name_addr = _abnf.name_addr_re.fullmatch
    for name in ("from", "to"):
        value = headers.get(name) or ""
        if name_addr(value) is None:
            raise ParseError(f"bad {_TITLES[name]} header {value[:80]!r}")
        if "[" in value:
            headers.parsed(name, _ADDRESS_PARSERS[name])
    name_addr_list = _abnf.name_addr_list_re.fullmatch
    for name in ("contact", "route", "record-route"):
        lines = headers.get_all(name)
        for value in lines:
            if name_addr_list(value) is None:
                if value == "*" and name == "contact" and len(lines) == 1:
                    continue  # Contact: * (§10.2.2), alone
                raise ParseError(f"bad {_TITLES[name]} header {value[:80]!r}")
            if "[" in value:
                headers.parsed(name, _ADDRESS_PARSERS[name])


# Parsers for `Headers.parsed`: each takes the headers and gives one typed value.


def _one(headers: Headers, name: str) -> str:
    values = headers.get_all(name)
    if len(values) != 1:
        raise ParseError(f"expected one {_TITLES.get(name, name)} header, got {len(values)}")
    return values[0]


def _cseq(headers: Headers) -> CSeq:
    return parse_cseq(_one(headers, "cseq"))


def _from(headers: Headers) -> NameAddr:
    return parse_name_addr(_one(headers, "from"))


def _to(headers: Headers) -> NameAddr:
    return parse_name_addr(_one(headers, "to"))


def _vias(headers: Headers) -> tuple[Via, ...]:
    vias = tuple(parse_via(v) for v in headers.values("via"))
    if not vias:
        raise ParseError("missing Via header")
    return vias


def _contacts(headers: Headers) -> tuple[NameAddr, ...]:
    values = headers.values("contact")
    if values == ["*"]:
        return ()
    return tuple(parse_name_addr(v) for v in values)


def _routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple(parse_name_addr(v) for v in headers.values("route"))


def _record_routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple(parse_name_addr(v) for v in headers.values("record-route"))


_ADDRESS_PARSERS: dict[str, Callable[[Headers], object]] = {
    "from": _from,
    "to": _to,
    "contact": _contacts,
    "route": _routes,
    "record-route": _record_routes,
}


def _int_header(headers: Headers, name: str, maximum: int | None = None) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    if _abnf.digits_re.fullmatch(value) is None:
        raise ParseError(f"bad {_TITLES.get(name, name)} {value[:20]!r}")
    n = int(value)
    if maximum is not None and n > maximum:
        raise ParseError(f"{_TITLES.get(name, name)} {n} is above {maximum}")
    return n
