"""SIP requests and responses: `parse(bytes)` and `bytes(message)` (RFC 3261 §7)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from . import _abnf
from .address import CSeq, NameAddr, Via, parse_cseq, parse_name_addr, parse_via
from .errors import ParseError
from .headers import Headers, MutableHeaders
from .uri import Uri, parse_uri

#: Limits on what `parse` accepts; larger input is refused with the status named.
MAX_MESSAGE_SIZE = 65_536  # 513 Message Too Large
MAX_BODY_SIZE = 60_000  # 413 Request Entity Too Large
MAX_HEADERS = 200  # 400
MAX_LINE_LENGTH = 8_192  # 400

# Every request carries these (§8.1.1); responses copy them (§8.2.6.2).
_MANDATORY = ("call-id", "cseq", "from", "to", "via")


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
        return [v.strip() for v in self.headers.values("contact")] == ["*"]

    @property
    def routes(self) -> tuple[NameAddr, ...]:
        return self.headers.parsed("route", _routes)

    @property
    def record_routes(self) -> tuple[NameAddr, ...]:
        return self.headers.parsed("record-route", _record_routes)

    @property
    def max_forwards(self) -> int | None:
        return _int_header(self.headers, "max-forwards")

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
        return _serialise(f"{self.method} {self.uri} SIP/2.0", self.headers, self.body)

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


def _serialise(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    lines.extend(f"{name}: {value}" for name, value in headers)
    lines.append("\r\n")
    return "\r\n".join(lines).encode() + body


def parse(data: bytes) -> Request | Response:
    """Parse one whole SIP message; anything malformed raises `ParseError` with a status."""
    if len(data) > MAX_MESSAGE_SIZE:
        raise ParseError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_SIZE}", 513)
    if data[:1] in (b"\r", b"\n"):
        data = data.lstrip(b"\r\n")  # CRLFs before the start line are ignored (§7.5)
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        head, body, newline = data[:end], data[end + 4 :], "\r\n"
    else:
        end = data.find(b"\n\n")  # bare LF line ends, tolerated as many stacks do
        if end < 0:
            raise ParseError("no empty line after the headers")
        head, body, newline = data[:end], data[end + 2 :], "\n"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ParseError(f"headers are not UTF-8 (byte {e.start})") from None
    lines = text.split(newline)
    breaks = len(lines) - 1
    if newline == "\r\n" and (text.count("\n") != breaks or text.count("\r") != breaks):
        raise ParseError("bare CR or LF inside the headers")
    if len(lines) > MAX_HEADERS + 1:
        raise ParseError(f"more than {MAX_HEADERS} header lines")
    headers = Headers(_header_items(lines))
    body = _check_body(headers, body)
    message = _start_line(lines[0], headers, body)
    _validate(message)
    return message


# One header line without folding: name, optional blanks, colon, value (§7.3.1, HCOLON).
_header_line_re = re.compile(rf"({_abnf.TOKEN})[ \t]*:[ \t]*(.*)", re.DOTALL)


def _header_items(lines: list[str]) -> list[tuple[str, str]]:
    if max(map(len, lines)) > MAX_LINE_LENGTH:
        raise ParseError(f"header line longer than {MAX_LINE_LENGTH} characters")
    # The common case, at C speed: every line a plain header, none folded.
    match = _header_line_re.match
    matches = [match(line) for line in lines[1:]]
    if all(matches):
        return [(m[1], m[2].rstrip(" \t")) for m in matches]  # type: ignore[index]
    return _header_items_slow(lines)


def _header_items_slow(lines: list[str]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    header_name = _abnf.header_name_re.fullmatch
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # line folding (§7.3.1): the line continues the last value
            if not items:
                raise ParseError("continuation line before any header")
            name, value = items[-1]
            items[-1] = (name, f"{value} {line.strip()}" if value else line.strip())
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ParseError(f"header line without a colon: {line[:80]!r}")
        name = name.rstrip(" \t")
        if header_name(name) is None:
            raise ParseError(f"bad header name {name[:80]!r}")
        items.append((name, value.strip(" \t")))
    return items


def _check_body(headers: Headers, body: bytes) -> bytes:
    length = headers.get("content-length")
    if length is not None:
        if not _abnf.digits_re.fullmatch(length):
            raise ParseError(f"bad Content-Length {length!r}")
        n = int(length)
        if n > len(body):
            raise ParseError(f"Content-Length {n} but only {len(body)} body bytes")
        body = body[:n]  # extra bytes after the body are discarded (§18.3)
    if len(body) > MAX_BODY_SIZE:
        raise ParseError(f"body of {len(body)} bytes exceeds {MAX_BODY_SIZE}", 413)
    return body


def _start_line(line: str, headers: Headers, body: bytes) -> Request | Response:
    parts = line.split(None, 2)
    if len(parts) < 2:
        raise ParseError(f"bad start line {line[:80]!r}")
    if parts[0][:4].upper() == "SIP/":
        _check_version(parts[0])
        if not _abnf.status_re.fullmatch(parts[1]):
            raise ParseError(f"bad status code {parts[1][:10]!r}")
        reason = parts[2].strip() if len(parts) == 3 else ""
        return Response(int(parts[1]), reason, headers, body)
    if len(parts) != 3:
        raise ParseError(f"bad request line {line[:80]!r}")
    method, uri, version = parts
    if not _abnf.method_re.fullmatch(method):
        raise ParseError(f"bad method {method[:20]!r}")
    _check_version(version.strip())
    return Request(method, parse_uri(uri), headers, body)


def _check_version(text: str) -> None:
    m = _abnf.version_re.fullmatch(text)
    if m is None:
        raise ParseError(f"bad SIP version {text[:20]!r}")
    if (m[1], m[2]) != ("2", "0"):
        raise ParseError(f"SIP version {text} not supported", 505)


def _validate(message: Request | Response) -> None:
    """Check what every layer relies on, so that an accepted message is usable (§8.1.1)."""
    headers = message.headers
    missing = headers.missing(_MANDATORY)
    if missing is not None:
        raise ParseError(f"missing {missing.title()} header")
    if not message.call_id:
        raise ParseError("empty Call-ID")
    cseq = message.cseq
    if isinstance(message, Request) and cseq.method != message.method:
        raise ParseError(f"CSeq method {cseq.method} does not match {message.method}")
    message.via  # noqa: B018  (parse, raising on bad input)
    message.max_forwards  # noqa: B018
    # From and To: a syntax check now, the typed value on first use (it is most often unread).
    for name in ("from", "to"):
        value = _one(headers, name)
        if _abnf.from_to_re.fullmatch(value) is None:
            raise ParseError(f"bad {name.title()} header {value[:80]!r}")


# Parsers for `Headers.parsed`: each takes the headers and gives one typed value.


def _one(headers: Headers, name: str) -> str:
    values = headers.get_all(name)
    if len(values) != 1:
        raise ParseError(f"expected one {name.title()} header, got {len(values)}")
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
    if [v.strip() for v in values] == ["*"]:
        return ()
    return tuple(parse_name_addr(v) for v in values)


def _routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple(parse_name_addr(v) for v in headers.values("route"))


def _record_routes(headers: Headers) -> tuple[NameAddr, ...]:
    return tuple(parse_name_addr(v) for v in headers.values("record-route"))


def _int_header(headers: Headers, name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    if not _abnf.digits_re.fullmatch(value):
        raise ParseError(f"bad {name.title()} {value!r}")
    return int(value)
