"""Fuzz invariants of the SIP message layer.

Whatever bytes arrive, `parse` gives a message or raises `ParseError` (never another exception),
and a message it gives writes back to bytes that parse to the same message. The typed values
`parse` vouches for (Call-ID, CSeq, From, To, Via, Max-Forwards, Expires, Contact, Route,
Record-Route) never fail afterwards; parameters read from them (a Contact's `expires`) fail only
with `ParseError`. No input makes the parser slow.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webphone.sip import (
    AbsoluteUri,
    Headers,
    NameAddr,
    ParseError,
    Request,
    Response,
    SipUri,
    Via,
    parse,
)
from webphone.sip.headers import canonical

CAPTURES = [
    p.read_bytes()
    for p in sorted((Path(__file__).parent.parent / "fixtures" / "sip").glob("*.sip"))
]


def check_invariants(data: bytes) -> Request | Response | None:
    """Parse `data`: a message that round-trips and whose typed values behave, or ParseError."""
    try:
        message = parse(data)
    except ParseError as e:
        assert e.status in (400, 413, 505, 513)
        assert str(e)
        return None
    # what parse() vouches for
    assert message.call_id
    message.cseq, message.from_, message.to, message.vias, message.via  # noqa: B018
    message.max_forwards, message.expires, message.contact_is_star  # noqa: B018
    message.contacts, message.routes, message.record_routes  # noqa: B018
    if isinstance(message, Request):
        assert message.cseq.method == message.method
    # parameters, read on demand
    for address in (*message.contacts, message.from_, message.to):
        for name in ("expires", "reg_id", "instance", "tag"):
            with contextlib.suppress(ParseError):
                getattr(address, name)
    for via in message.vias:
        via.branch, via.rport, via.received, via.sent_by  # noqa: B018
    # round trip
    again = parse(bytes(message))
    assert again == message
    assert bytes(again) == bytes(message)
    return message


@settings(max_examples=500)
@given(st.binary(max_size=600))
@example(b"")
@example(b"\r\n\r\n")
@example(b"SIP/2.0 200 OK\r\n\r\n")
@example(b"INVITE sip:a@b SIP/2.0\r\n\r\n")
def test_random_bytes_give_a_message_or_a_parse_error(data: bytes) -> None:
    check_invariants(data)


# Bytes that matter to the grammar, for insertions.
_SPECIAL = [
    b"\r",
    b"\n",
    b"\r\n",
    b" ",
    b"\t",
    b":",
    b";",
    b",",
    b'"',
    b"\\",
    b"<",
    b">",
    b"%",
    b"=",
    b"@",
    b"[",
    b"]",
    b"?",
    b"&",
    b"/",
    b"\x00",
    b"\x7f",
    b"\xff",
    b"\xc3\xa9",
    b"\r\n ",
]


@st.composite
def mutated_captures(draw: st.DrawFn) -> bytes:
    """A captured message with a few bytes flipped, inserted, deleted or repeated."""
    data = bytearray(draw(st.sampled_from(CAPTURES)))
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "truncate"]))
        if operation == "flip" and pos < len(data):
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif operation == "insert":
            data[pos:pos] = draw(st.sampled_from(_SPECIAL) | st.binary(min_size=1, max_size=4))
        elif operation == "delete":
            del data[pos : pos + draw(st.integers(1, 8))]
        elif operation == "repeat":
            data[pos:pos] = data[pos : pos + draw(st.integers(1, 40))]
        elif operation == "truncate":
            del data[pos:]
    return bytes(data)


@settings(max_examples=500)
@given(mutated_captures())
def test_mutated_captures_give_a_message_or_a_parse_error(data: bytes) -> None:
    check_invariants(data)


# --- Messages built from parts that are almost right ----------------------------------------

_TEXTY = st.text(st.sampled_from('abcAZ09 \t:;,"\\<>@%=.[]?&/-_+*~!()\x00é'), max_size=30)
_VALUE_LIKE = st.one_of(
    _TEXTY,
    st.sampled_from(
        [
            "<sip:a@b>",
            "<sip:a@b>;tag=1",
            "sip:a@b;tag=1",
            '"A B" <sips:a:pw@[::1]:5061;transport=tls?x=y>;q=0.5',
            "SIP/2.0/UDP h;branch=z9hG4bK1",
            "SIP/2.0/WS  h:8080;rport=1;received=::1;branch=1",
            "1 INVITE",
            "70",
            "*",
            "<tel:+1>;expires=3600",
        ]
    ),
)


@st.composite
def near_messages(draw: st.DrawFn) -> bytes:
    """A valid message with some of its values swapped for plausible or mangled ones."""

    def maybe(valid: str) -> str:
        return valid if draw(st.integers(0, 9)) else draw(_VALUE_LIKE)

    request = draw(st.booleans())
    start = "INVITE sip:a@b SIP/2.0" if request else "SIP/2.0 200 OK"
    lines = [maybe(start) if draw(st.integers(0, 3)) else draw(_TEXTY)]
    headers = [
        ("Via", "SIP/2.0/UDP h;branch=z9hG4bK1"),
        ("From", "<sip:a@b>;tag=1"),
        ("To", "<sip:a@b>"),
        ("Call-ID", "x@y"),
        ("CSeq", "1 INVITE"),
        ("Max-Forwards", "70"),
    ]
    extra = st.sampled_from(["Contact", "m", "Route", "Record-Route", "Expires", "X", "v", "l"])
    headers += [(name, draw(_VALUE_LIKE)) for name in draw(st.lists(extra, max_size=4))]
    for name, value in draw(st.permutations(headers)):
        lines.append(f"{name}: {maybe(value)}")
        if not draw(st.integers(0, 6)):
            lines.append(" " + draw(_TEXTY))  # a folded continuation
    body = draw(st.binary(max_size=20))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@settings(max_examples=500)
@given(near_messages())
def test_near_messages_give_a_message_or_a_parse_error(data: bytes) -> None:
    check_invariants(data)


def test_near_messages_reach_the_deep_paths() -> None:
    # a control for the strategy above: valid pieces do make a message
    data = (
        b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
        b"To: <sip:a@b>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContact: *\r\n\r\n"
    )
    assert check_invariants(data) is not None


# --- Generated valid messages round-trip ----------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TOKENS = st.text(_ALNUM + "-.!%*_+`'~", min_size=1, max_size=10)
PARAM_TEXT = st.text(_ALNUM + "-_.!~*'()[]/:&+$", min_size=1, max_size=10)  # URI paramchars
HOSTS = st.from_regex(
    r"[a-z]([a-z0-9\-]{0,8}[a-z0-9])?(\.[a-z]{2,5}){0,2}", fullmatch=True
) | st.ip_addresses(v=6).map(lambda a: f"[{a}]")
URIS = st.builds(
    SipUri,
    host=HOSTS,
    user=st.none() | st.text(min_size=1, max_size=8),
    port=st.none() | st.integers(1, 65535),
    params=st.lists(st.tuples(PARAM_TEXT, st.none() | PARAM_TEXT), max_size=2).map(tuple),
    scheme=st.sampled_from(["sip", "sips"]),
) | st.builds(AbsoluteUri, st.sampled_from(["tel", "urn", "mailto"]), TOKENS)
ADDRESSES = st.builds(
    NameAddr,
    uri=URIS,
    display_name=st.none()
    | st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=10),
    params=st.lists(st.tuples(TOKENS, st.none() | TOKENS), max_size=2).map(tuple),
)
VIAS = st.builds(
    Via,
    transport=st.sampled_from(["UDP", "TCP", "TLS", "WS", "WSS"]),
    host=HOSTS,
    port=st.none() | st.integers(0, 65535),
    params=st.tuples(TOKENS).map(lambda t: (("branch", f"z9hG4bK{t[0]}"),)),
)
# Headers whose values parse() checks; the others pass through untouched.
CHECKED = {
    "via",
    "from",
    "to",
    "call-id",
    "cseq",
    "max-forwards",
    "content-length",
    "expires",
    "contact",
    "route",
    "record-route",
}
# Any other header: a token name and a value without line breaks or blanks at either end.
OTHER_VALUES = st.text(
    st.characters(blacklist_categories=["Cs", "Zl", "Zp"], blacklist_characters="\r\n"), max_size=30
).map(lambda s: s.strip(" \t"))
OTHER_NAMES = TOKENS.filter(lambda n: canonical(n) not in CHECKED)
CALL_IDS = st.from_regex(
    r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]{1,20}(@[A-Za-z0-9.]{1,10})?", fullmatch=True
)


@st.composite
def built_messages(draw: st.DrawFn) -> Request | Response:
    method = draw(TOKENS | st.sampled_from(["INVITE", "ACK", "BYE", "REGISTER"]))
    items = [("Via", str(v)) for v in draw(st.lists(VIAS, min_size=1, max_size=3))]
    items += [
        ("Max-Forwards", str(draw(st.integers(0, 255)))),
        ("From", str(draw(ADDRESSES))),
        ("To", str(draw(ADDRESSES))),
        ("Call-ID", draw(CALL_IDS)),
        ("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}"),
    ]
    items += [("Contact", str(a)) for a in draw(st.lists(ADDRESSES, max_size=2))]
    items += draw(st.lists(st.tuples(OTHER_NAMES, OTHER_VALUES), max_size=4))
    items = draw(st.permutations(items))
    body = draw(st.binary(max_size=40))
    items.append(("Content-Length", str(len(body))))
    headers = Headers(items)
    if draw(st.booleans()):
        return Request(method, draw(URIS), headers, body)
    reason = draw(OTHER_VALUES)
    return Response(draw(st.integers(100, 699)), reason, headers, body)


@settings(max_examples=300)
@given(built_messages())
def test_built_messages_round_trip(message: Request | Response) -> None:
    data = bytes(message)
    assert parse(data) == message
    assert check_invariants(data) == message
    assert parse(data + b"trailing bytes") == message


# --- No input is slow -----------------------------------------------------------------------

_HEAD = (
    "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\n"
    "CSeq: 1 OPTIONS\r\nFrom: <sip:a@b>;tag=1\r\n"
)
_RUN = 8000  # just inside the longest line taken


@pytest.mark.parametrize(
    "line",
    [
        "To: a" + " " * _RUN + "!",
        "To: a " * (_RUN // 2) + "!",
        "To: <sip:a@b>" + " " * _RUN + "!",
        "To: <sip:a@b>" + " ;x" * (_RUN // 3) + "!",
        "To: <sip:a@b>" + ";x=" * (_RUN // 3) + '"',
        'To: "' + "\\\\" * (_RUN // 2),
        "To: <sip:" + "a" * _RUN + "!>",
        "To: <sip:" + "a:" * (_RUN // 2) + ">",
        "To: <sip:" + "%4" * (_RUN // 2) + ">",
        "To: <sip:a@b" + ";a" * (_RUN // 2) + "?",
        "To: sip:" + "a." * (_RUN // 2) + "-",
        "To: " + "a" * _RUN + "@b",
        "Via: SIP/2.0/UDP " + "a" * _RUN + "!",
        "Via: SIP/2.0/UDP h" + " " * _RUN + "!",
        "Via: SIP/2.0/UDP h" + ";a=b" * (_RUN // 4) + "!",
        "Via: SIP / 2.0 /" + " " * _RUN + "UDP",
        "Via: " + "a/" * (_RUN // 2),
        "CSeq: 1" + " " * _RUN + "!",
        "Call-ID: " + "a@" * (_RUN // 2),
        "Contact: " + ", " * (_RUN // 2) + "<",
        "Route: " + '"' * _RUN,
    ],
    ids=lambda line: line[:18],
)
def test_pathological_values_are_quick(line: str) -> None:
    data = (_HEAD + line + "\r\n\r\n").encode()
    start = time.process_time()
    check_invariants(data)
    assert time.process_time() - start < 0.05  # 8 KB lines; the old From/To check took 0.1 s


def test_many_folded_lines_are_quick() -> None:
    folded = "X: a" + "\r\n \t" * 190
    start = time.process_time()
    check_invariants((_HEAD + "To: <sip:a@b>\r\n" + folded + "\r\n\r\n").encode())
    assert time.process_time() - start < 0.05
