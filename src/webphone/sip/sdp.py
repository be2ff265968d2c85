"""SDP bodies (RFC 8866) kept line for line, and the offer/answer rules (RFC 3264) we need."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Final, Literal, NamedTuple

from .errors import ParseError

Direction = Literal["sendrecv", "sendonly", "recvonly", "inactive"]
# Ordered by (send, receive) = (1, 1), (1, 0), (0, 1), (0, 0), which `answer_direction` uses.
DIRECTIONS: Final[tuple[Direction, ...]] = ("sendrecv", "sendonly", "recvonly", "inactive")
# Refused before any splitting (status 413), so a peer cannot make us chew on megabytes.
MAX_SDP_SIZE: Final = 64 * 1024

# The grammar, beside the RFC 8866 §9 ABNF it implements.
# token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"
# media-field = %s"m" "=" media SP port ["/" integer] SP proto 1*(SP fmt) CRLF
#   media = token, port = 1*DIGIT, proto = token *("/" token), fmt = token
#   (trailing spaces, which some stacks emit, are tolerated)
_MEDIA_RE = re.compile(
    rf"({_TOKEN}) ([0-9]{{1,5}})(?:/([0-9]{{1,5}}))? ({_TOKEN}(?:/{_TOKEN})*)((?: {_TOKEN})+) *"
)
# connection-field = %s"c" "=" nettype SP addrtype SP connection-address CRLF
#   connection-address = address ["/" ttl] ["/" number of addresses]
_CONNECTION_RE = re.compile(rf"{_TOKEN} {_TOKEN} ([^ /]+)(?:/[0-9]{{1,10}}){{0,2}} *")
# rtpmap-value = payload-type SP encoding-name "/" clock-rate ["/" encoding-params]  (§6.6)
_RTPMAP_RE = re.compile(rf"([0-9]{{1,3}}) ({_TOKEN})/([0-9]{{1,10}})(?:/([0-9]{{1,3}}))? *")

# Static payload types a peer may list without an a=rtpmap line (RFC 3551 §6 table 4); all
# have an 8000 Hz RTP clock, G722 too although it samples at 16 kHz (RFC 3551 §4.5.2).
_STATIC_CODECS: Final = {0: "PCMU", 3: "GSM", 4: "G723", 8: "PCMA", 9: "G722", 13: "CN", 18: "G729"}


class Line(NamedTuple):
    """One `<type>=<value>` line, as it was read (RFC 8866 §5)."""

    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Codec:
    """An RTP payload format of a media section (`a=rtpmap`, `a=fmtp`; RFC 8866 §6.6, §6.15)."""

    payload_type: int
    name: str  # encoding name as written; compare case-insensitively (RFC 4855 §3)
    clock_rate: int
    channels: int = 1  # audio encoding parameter; 1 when absent (RFC 8866 §6.6)
    parameters: str | None = None  # the `a=fmtp` value for this payload type, if any


def _split_attribute(value: str) -> tuple[str, str | None]:
    # attribute = (attribute-name ":" attribute-value) / attribute-name  (RFC 8866 §5.13)
    name, colon, rest = value.partition(":")
    return name, (rest if colon else None)


def _line_direction(line: Line) -> Direction | None:
    # Direction attributes are flags: `a=sendonly` (RFC 8866 §6.7); anything else is not one.
    if line.type == "a" and line.value in DIRECTIONS:
        return line.value
    return None


def _with_direction(lines: tuple[Line, ...], direction: Direction) -> tuple[Line, ...]:
    # Replace in place so every other byte stays; otherwise append: attributes come last in a
    # section (RFC 8866 §5), so the end is always a valid place.
    new = Line("a", direction)
    if not any(map(_line_direction, lines)):
        return (*lines, new)
    return tuple(new if _line_direction(line) else line for line in lines)


_MEDIA_FIELDS: Final = ("kind", "port", "port_count", "proto", "formats")


def _parse_media(value: str) -> tuple[str, int, int | None, str, tuple[str, ...]]:
    match = _MEDIA_RE.fullmatch(value)
    if match is None:
        raise ParseError("m= line is not '<media> <port>[/<count>] <proto> <fmt> ...'")
    kind, port, count, proto, formats = match.groups()
    if int(port) > 65535:
        raise ParseError(f"port {port} is out of range")
    return kind, int(port), (int(count) if count else None), proto, tuple(formats.split())


def _parse_rtpmap(value: str | None) -> Codec:
    match = _RTPMAP_RE.fullmatch(value or "")
    if match is None:
        raise ParseError("a=rtpmap is not '<payload type> <encoding>/<clock rate>[/<channels>]'")
    pt, name, rate, channels = match.groups()
    if int(pt) > 127:  # RTP's payload type field has 7 bits (RFC 3550 §5.1)
        raise ParseError(f"payload type {pt} is out of range")
    return Codec(int(pt), name, int(rate), int(channels) if channels else 1)


class _Lines:
    """What the session level and a media section share: reading their own lines."""

    __slots__ = ()
    lines: tuple[Line, ...]

    @property
    def direction(self) -> Direction | None:
        """The direction attribute at this level, or None (see `effective_direction`)."""
        return next((d for d in map(_line_direction, self.lines) if d is not None), None)

    @property
    def connection_address(self) -> str | None:
        """The address of the `c=` line at this level, or None."""
        for line in self.lines:
            if line.type == "c" and (match := _CONNECTION_RE.fullmatch(line.value)):
                return match[1]
        return None

    def attributes(self, name: str) -> list[str | None]:
        """Values of the `a=<name>:<value>` lines at this level, None for a flag `a=<name>`."""
        pairs = (_split_attribute(line.value) for line in self.lines if line.type == "a")
        return [value for key, value in pairs if key == name]


@dataclass(frozen=True, slots=True)
class MediaDescription(_Lines):
    """A media section: its `m=` line (`lines[0]`, read into `kind` ... `formats` on
    construction, `ParseError` if malformed) and every line after it up to the next `m=`."""

    lines: tuple[Line, ...]
    kind: str = field(init=False, compare=False)  # audio, video, application, ...
    port: int = field(init=False, compare=False)  # 0 means the stream is rejected or removed
    port_count: int | None = field(init=False, compare=False)
    proto: str = field(init=False, compare=False)  # RTP/AVP, UDP/TLS/RTP/SAVPF, ...
    formats: tuple[str, ...] = field(init=False, compare=False)  # in order of preference

    def __post_init__(self) -> None:
        if not self.lines or self.lines[0].type != "m":
            raise ParseError("a media description must start with an m= line")
        parsed = _parse_media(self.lines[0].value)
        for name, value in zip(_MEDIA_FIELDS, parsed, strict=True):
            object.__setattr__(self, name, value)

    @property
    def rejected(self) -> bool:
        """Port 0: the answerer refused the stream, or it was removed (RFC 3264 §6, §8.2)."""
        return self.port == 0

    @property
    def codecs(self) -> tuple[Codec, ...]:
        """The RTP payload formats in `m=` order, the sender's preference (RFC 3264 §5.1);
        dynamic ones without `a=rtpmap` are left out, and so are non-RTP sections."""
        if "RTP/" not in self.proto:
            return ()
        mapped = {c.payload_type: c for c in map(_parse_rtpmap, self.attributes("rtpmap"))}
        fmtp = dict(value.partition(" ")[::2] for value in self.attributes("fmtp") if value)
        codecs = []
        for fmt in self.formats:
            pt = int(fmt) if fmt.isdigit() and len(fmt) <= 3 else -1
            codec = mapped.get(pt)
            if codec is None and pt in _STATIC_CODECS:
                codec = Codec(pt, _STATIC_CODECS[pt], 8000)
            if codec is not None:
                codecs.append(replace(codec, parameters=fmtp.get(fmt)))
        return tuple(codecs)

    def telephone_event(self, clock_rate: int | None = None) -> Codec | None:
        """The first RFC 4733 `telephone-event` (DTMF) format, optionally at `clock_rate`: the
        events use the clock rate of the audio codec they go with (RFC 4733 §2.1)."""
        for codec in self.codecs:
            if codec.name.lower() == "telephone-event" and clock_rate in (None, codec.clock_rate):
                return codec
        return None

    def with_direction(self, direction: Direction) -> MediaDescription:
        """A copy with `a=<direction>` replaced in place, or appended when there was none."""
        if direction not in DIRECTIONS:
            raise ValueError(f"not an SDP direction: {direction!r}")
        return MediaDescription(_with_direction(self.lines, direction))


@dataclass(frozen=True, slots=True)
class SessionDescription(_Lines):
    """An SDP body: session-level `lines` (from `v=0`), the media sections, the line ending.

    Every line is kept as read, so `str(parse_sdp(text)) == text` when all lines end with the
    same line ending (and no blank lines trail); edits replace or add single lines only.
    """

    lines: tuple[Line, ...]
    media: tuple[MediaDescription, ...] = ()
    eol: str = "\r\n"  # CRLF (RFC 8866 §5), or the LF some stacks send; written as read

    def __str__(self) -> str:
        lines = [*self.lines, *(line for m in self.media for line in m.lines)]
        return "".join(f"{line.type}={line.value}{self.eol}" for line in lines)

    def __bytes__(self) -> bytes:
        return str(self).encode("utf-8")

    def effective_direction(self, index: int = 0) -> Direction:
        """The direction media section `index` has: its own attribute, else the session's,
        else sendrecv (RFC 8866 §6.7, RFC 3264 §5.1)."""
        return self.media[index].direction or self.direction or "sendrecv"

    def effective_connection_address(self, index: int = 0) -> str | None:
        """The address media section `index` uses: its `c=`, else the session's (RFC 8866 §5.7)."""
        return self.media[index].connection_address or self.connection_address

    def is_hold(self, index: int | None = None) -> bool:
        """Whether section `index` (default: every stream not rejected, and at least one) is on
        hold: sendonly or inactive (RFC 3264 §8.4), or `c=` 0.0.0.0, the RFC 2543 way."""
        indexes = range(len(self.media)) if index is None else [index]
        live = [i for i in indexes if not self.media[i].rejected]
        return bool(live) and all(
            self.effective_direction(i) in ("sendonly", "inactive")
            or self.effective_connection_address(i) == "0.0.0.0"
            for i in live
        )

    def with_direction(self, direction: Direction, index: int | None = None) -> SessionDescription:
        """A copy with `a=<direction>` set in media section `index`, or in every one; then a
        session-level direction attribute is dropped, as stale (media-level wins, RFC 8866
        §6.7). With an index it stays: other sections may rely on it. No media: set it."""
        if direction not in DIRECTIONS:
            raise ValueError(f"not an SDP direction: {direction!r}")
        if not self.media:
            return replace(self, lines=_with_direction(self.lines, direction))
        chosen = range(len(self.media)) if index is None else [range(len(self.media))[index]]
        media = tuple(
            m.with_direction(direction) if i in chosen else m for i, m in enumerate(self.media)
        )
        lines = self.lines
        if index is None:
            lines = tuple(line for line in lines if _line_direction(line) is None)
        return replace(self, lines=lines, media=media)


def answer_direction(offered: Direction, local: Direction = "sendrecv") -> Direction:
    """The direction to answer with (RFC 3264 §6.1): send only what the offerer will receive,
    receive only what it will send, and neither beyond what we want (`local`)."""
    send = offered in ("sendrecv", "recvonly") and local in ("sendrecv", "sendonly")
    receive = offered in ("sendrecv", "sendonly") and local in ("sendrecv", "recvonly")
    return DIRECTIONS[2 * (not send) + (not receive)]


def _check_line(raw: str) -> Line:
    if not raw:
        raise ParseError("empty line")
    if len(raw) < 2 or raw[1] != "=" or not ("a" <= raw[0] <= "z" or "A" <= raw[0] <= "Z"):
        raise ParseError("not a '<letter>=<value>' line (RFC 8866 §5)")
    if "\r" in raw or "\n" in raw or "\0" in raw:  # byte-string excludes them (RFC 8866 §9)
        raise ParseError("stray CR, LF or NUL (mixed line endings?)")
    line = Line(raw[0], raw[2:])
    if line.type == "m":
        _parse_media(line.value)
    elif line.type == "c" and not _CONNECTION_RE.fullmatch(line.value):
        raise ParseError("c= line is not '<nettype> <addrtype> <address>'")
    elif line.type == "a" and _split_attribute(line.value)[0] == "rtpmap":
        _parse_rtpmap(_split_attribute(line.value)[1])
    return line


def parse_sdp(data: str | bytes) -> SessionDescription:
    """Parse an SDP body; raises `ParseError` (400, or 413 if too large) and nothing else."""
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    except UnicodeEncodeError:
        raise ParseError("SDP text has characters UTF-8 cannot encode") from None
    if len(raw) > MAX_SDP_SIZE:
        raise ParseError(f"SDP is {len(raw)} bytes, more than {MAX_SDP_SIZE}", status=413)
    try:
        text = raw.decode("utf-8")  # the default charset (RFC 8866 §5)
    except UnicodeDecodeError as exc:
        raise ParseError(f"SDP is not valid UTF-8 (byte {exc.start})") from None
    first_lf = text.find("\n")
    eol = "\n" if first_lf > 0 and text[first_lf - 1] != "\r" else "\r\n"
    body = text.rstrip("\r\n")  # tolerate the blank lines some stacks leave at the end
    session: list[Line] = []
    sections: list[list[Line]] = []
    seen_direction = False  # at most one per section: a second would leave the meaning open
    for number, raw_line in enumerate(body.split(eol), 1):
        try:
            if number == 1 and raw_line != "v=0":
                raise ParseError("an SDP body must start with v=0 (RFC 8866 §5.1)")
            line = _check_line(raw_line)
            if line.type == "m":
                sections.append([])
                seen_direction = False
            elif _line_direction(line):
                if seen_direction:
                    raise ParseError("a second direction attribute in the same section")
                seen_direction = True
            (sections[-1] if sections else session).append(line)
        except ParseError as exc:
            raise ParseError(f"SDP line {number}: {exc}: {raw_line[:60]!r}", exc.status) from None
    media = tuple(MediaDescription(tuple(section)) for section in sections)
    return SessionDescription(tuple(session), media, eol)
