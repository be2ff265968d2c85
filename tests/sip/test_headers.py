"""Tests for webphone.sip.headers: case-insensitive lookup, compact forms, lists, editing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webphone.sip import Headers, MutableHeaders, ParseError, parse
from webphone.sip.headers import COMPACT_FORMS, LIST_HEADERS, canonical, split_values

# RFC 3261 §7.3.3 and the IANA registry: every compact form and its long name.
COMPACT = [
    ("i", "Call-ID"),
    ("m", "Contact"),
    ("e", "Content-Encoding"),
    ("l", "Content-Length"),
    ("c", "Content-Type"),
    ("f", "From"),
    ("s", "Subject"),
    ("k", "Supported"),
    ("t", "To"),
    ("v", "Via"),
    ("o", "Event"),
    ("u", "Allow-Events"),
    ("r", "Refer-To"),
    ("b", "Referred-By"),
    ("x", "Session-Expires"),
    ("a", "Accept-Contact"),
    ("j", "Reject-Contact"),
    ("d", "Request-Disposition"),
    ("y", "Identity"),
    ("n", "Identity-Info"),
]


@pytest.mark.parametrize(("short", "long"), COMPACT)
def test_compact_form_and_long_name_are_the_same_header(short: str, long: str) -> None:
    headers = Headers([(short, "value")])
    for name in (short, short.upper(), long, long.lower(), long.upper()):
        assert headers.get(name) == "value"
        assert name in headers
    assert canonical(short) == canonical(long) == long.lower()
    assert list(headers) == [(short, "value")]  # the spelling stays as written


def test_every_compact_form_is_tested() -> None:
    assert {short for short, _ in COMPACT} == set(COMPACT_FORMS)


def test_lookup_is_case_insensitive_and_ordered() -> None:
    headers = Headers(
        [("Via", "a"), ("v", "b"), ("X-Custom", "1"), ("VIA", "c, d"), ("x-custom", "2")]
    )
    assert headers.get("via") == "a"
    assert headers.get_all("VIA") == ["a", "b", "c, d"]
    assert headers.values("Via") == ["a", "b", "c", "d"]  # a list header: split on commas
    assert headers.get_all("x-CUSTOM") == ["1", "2"]
    assert headers.values("X-Custom") == ["1", "2"]
    assert headers.get("Missing") is None
    assert headers.get("Missing", "default") == "default"
    assert headers.get_all("Missing") == []
    assert headers.values("Missing") == []
    assert "missing" not in headers
    assert 42 not in headers
    assert len(headers) == 5


def test_values_split_only_list_headers_and_respect_quotes_and_brackets() -> None:
    headers = Headers(
        [
            ("Contact", '"Doe, John" <sip:j@a;x=1,2>;q=0.5, <sip:k@b>'),
            ("Route", "<sip:p1;lr>,<sip:p2;lr>"),
            ("Allow", "INVITE,ACK, CANCEL ,BYE"),
            ("Date", "Sat, 13 Nov 2010 23:29:00 GMT"),  # not a list: its comma stays
            ("WWW-Authenticate", 'Digest realm="a", nonce="b"'),
            ("Subject", "hello, world"),
        ]
    )
    assert headers.values("contact") == ['"Doe, John" <sip:j@a;x=1,2>;q=0.5', "<sip:k@b>"]
    assert headers.values("route") == ["<sip:p1;lr>", "<sip:p2;lr>"]
    assert headers.values("allow") == ["INVITE", "ACK", "CANCEL", "BYE"]
    assert headers.values("date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    assert headers.values("www-authenticate") == ['Digest realm="a", nonce="b"']
    assert headers.values("subject") == ["hello, world"]


def test_split_values() -> None:
    assert split_values("") == []
    assert split_values("a") == ["a"]
    assert split_values(" a ,, b ,") == ["a", "b"]
    assert split_values(",") == []
    with pytest.raises(ParseError):
        split_values('a, "b')


def test_list_headers_are_lowercase_long_names() -> None:
    assert all(name == canonical(name) for name in LIST_HEADERS)


def test_headers_are_an_immutable_hashable_value() -> None:
    a = Headers([("Via", "x"), ("To", "y")])
    b = Headers([("Via", "x"), ("To", "y")])
    assert a == b and hash(a) == hash(b)
    assert a != Headers([("To", "y"), ("Via", "x")])  # order matters
    assert a != Headers([("via", "x"), ("To", "y")])  # so does the spelling
    assert a != [("Via", "x"), ("To", "y")]
    assert repr(a) == "Headers([('Via', 'x'), ('To', 'y')])"
    with pytest.raises(AttributeError):
        a.extra = 1  # type: ignore[attr-defined]


def test_parsed_values_are_cached() -> None:
    headers = Headers([("Max-Forwards", "70")])
    calls: list[int] = []

    def parse_max_forwards(h: Headers) -> int:
        calls.append(1)
        return int(h.get("max-forwards") or 0)

    assert headers.parsed("max-forwards", parse_max_forwards) == 70
    assert headers.parsed("max-forwards", parse_max_forwards) == 70
    assert calls == [1]


def test_missing_and_repeated() -> None:
    headers = Headers([("Via", "a"), ("i", "x"), ("Call-ID", "y")])
    assert headers.missing(["via", "call-id"]) is None
    assert headers.missing(["via", "to", "from"]) == "to"
    assert headers.repeated(["via", "call-id"]) == "call-id"
    assert headers.repeated(["via", "to"]) is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Bad Name", "x"),
        ("", "x"),
        ("Colon:", "x"),
        ("Na\u00efve", "x"),
        ("X", "a\r\nInjected: yes"),
        ("X", "a\nb"),
        ("X", "a\rb"),
        ("X", " leading"),
        ("X", "trailing\t"),
    ],
)
def test_headers_refuse_what_cannot_be_written_and_read_back(name: str, value: str) -> None:
    with pytest.raises(ValueError, match="header"):
        Headers([(name, value)])
    with pytest.raises(ValueError, match="header"):
        MutableHeaders([(name, value)])
    edit = MutableHeaders()
    for method in (edit.add, edit.prepend, edit.set):
        with pytest.raises(ValueError, match="header"):
            method(name, value)
    assert len(edit) == 0


def test_headers_accept_odd_but_valid_values() -> None:
    headers = Headers([("Subject", ""), ("X-Ctl", "a\x00b\x7f"), ("X-Utf8", "\ufeff大停電")])
    assert headers.get("subject") == ""
    assert headers.get("x-ctl") == "a\x00b\x7f"


# --- MutableHeaders ---------------------------------------------------------------------------


def _request_headers() -> MutableHeaders:
    return Headers(
        [
            ("Via", "SIP/2.0/WS a.invalid;branch=z9hG4bK1"),
            ("Route", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>"),
            ("Route", "<sip:p3.example.com;lr>"),
            ("Max-Forwards", "70"),
            ("To", "<sip:bob@example.com>"),
            ("Call-ID", "x"),
        ]
    ).mutable()


def test_prepend_via_goes_above_the_top_via() -> None:
    edit = _request_headers()
    edit.prepend("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2")
    frozen = edit.freeze()
    assert frozen.values("via") == [
        "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2",
        "SIP/2.0/WS a.invalid;branch=z9hG4bK1",
    ]
    assert next(iter(frozen))[0] == "Via"


def test_prepend_without_that_header_goes_first() -> None:
    edit = MutableHeaders([("To", "x")])
    edit.prepend("Record-Route", "<sip:p;lr>")
    assert list(edit) == [("Record-Route", "<sip:p;lr>"), ("To", "x")]
    edit.prepend("v", "SIP/2.0/UDP h")  # a compact name matches nothing yet: first too
    assert next(iter(edit)) == ("v", "SIP/2.0/UDP h")


def test_pop_first_route_takes_one_element() -> None:
    edit = _request_headers()
    assert edit.pop_first("route") == "<sip:p1.example.com;lr>"
    assert edit.get_all("Route") == ["<sip:p2.example.com;lr>", "<sip:p3.example.com;lr>"]
    assert edit.pop_first("Route") == "<sip:p2.example.com;lr>"
    assert edit.pop_first("ROUTE") == "<sip:p3.example.com;lr>"
    assert edit.pop_first("Route") is None
    assert "route" not in edit


def test_pop_first_via_by_compact_name_and_non_list_header() -> None:
    edit = MutableHeaders([("v", "SIP/2.0/UDP a, SIP/2.0/UDP b"), ("Subject", "a, b")])
    assert edit.pop_first("Via") == "SIP/2.0/UDP a"
    assert list(edit) == [("v", "SIP/2.0/UDP b"), ("Subject", "a, b")]
    assert edit.pop_first("subject") == "a, b"  # not a list header: the whole line


def test_pop_first_skips_empty_list_lines() -> None:
    edit = MutableHeaders([("Route", ","), ("Route", ""), ("Route", "<sip:p;lr>")])
    assert edit.pop_first("Route") == "<sip:p;lr>"  # the empty lines go on the way
    assert edit.pop_first("Route") is None
    assert len(edit) == 0
    broken = MutableHeaders([("Route", ",")])
    assert broken.pop_first("Route") is None
    assert len(broken) == 0


def test_set_replaces_in_place_and_drops_the_rest() -> None:
    edit = MutableHeaders([("A", "1"), ("Max-Forwards", "70"), ("B", "2"), ("max-forwards", "9")])
    edit.set("MAX-FORWARDS", "69")
    assert list(edit) == [("A", "1"), ("Max-Forwards", "69"), ("B", "2")]
    edit.set("Expires", "300")
    assert list(edit)[-1] == ("Expires", "300")


def test_remove_takes_every_line_by_any_name() -> None:
    edit = MutableHeaders([("Content-Length", "0"), ("X", "1"), ("l", "0")])
    edit.remove("content-length")
    assert list(edit) == [("X", "1")]
    edit.remove("not-there")
    assert list(edit) == [("X", "1")]


def test_mutable_copy_is_independent() -> None:
    frozen = Headers([("To", "a")])
    edit = frozen.mutable()
    edit.add("From", "b")
    assert list(frozen) == [("To", "a")]
    assert edit.get("from") == "b"
    assert edit.get("nothing", "x") == "x"
    assert "FROM" in edit and "Call-ID" not in edit
    assert repr(edit) == "MutableHeaders([('To', 'a'), ('From', 'b')])"
    again = edit.freeze()
    edit.add("Subject", "later")
    assert "subject" not in again


def test_edited_message_round_trips() -> None:
    data = (
        b"INVITE sip:bob@example.com SIP/2.0\r\n"
        b"Via: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\n"
        b"Route: <sip:proxy.example.com;lr>\r\n"
        b"Max-Forwards: 70\r\n"
        b"To: <sip:bob@example.com>\r\n"
        b"From: <sip:alice@example.com>;tag=1\r\n"
        b"Call-ID: x\r\n"
        b"CSeq: 1 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    request = parse(data)
    edit = request.headers.mutable()
    edit.prepend("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp")
    assert edit.pop_first("Route") == "<sip:proxy.example.com;lr>"
    edit.set("Max-Forwards", str((request.max_forwards or 0) - 1))
    edit.add("Record-Route", "<sip:proxy.example.com;lr>")
    forwarded = request.with_headers(edit)
    assert parse(bytes(forwarded)) == forwarded
    assert [v.host for v in forwarded.vias] == ["proxy.example.com", "a.invalid"]
    assert forwarded.routes == ()
    assert forwarded.max_forwards == 69
    assert str(forwarded.record_routes[0].uri) == "sip:proxy.example.com;lr"


# --- Properties -------------------------------------------------------------------------------

NAMES = st.sampled_from(
    ["Via", "v", "Route", "Contact", "m", "To", "Subject", "X-A", "x-a", "Allow"]
)
VALUES = st.from_regex(r"[!-~]([ -~]{0,10}[!-~])?", fullmatch=True) | st.just("")


@settings(max_examples=300)
@given(st.lists(st.tuples(NAMES, VALUES), max_size=8), NAMES, VALUES)
def test_mutable_edits_match_a_simple_model(
    items: list[tuple[str, str]], name: str, value: str
) -> None:
    key = canonical(name)
    edit = MutableHeaders(items)
    edit.add(name, value)
    assert list(edit) == [*items, (name, value)]
    edit = MutableHeaders(items)
    edit.remove(name)
    assert list(edit) == [(n, v) for n, v in items if canonical(n) != key]
    edit = MutableHeaders(items)
    edit.set(name, value)
    assert edit.freeze().get_all(name) == [value]
    assert [(n, v) for n, v in edit if canonical(n) != key] == [
        (n, v) for n, v in items if canonical(n) != key
    ]
    frozen = Headers(items)
    assert frozen.get_all(name) == [v for n, v in items if canonical(n) == key]
    assert frozen.mutable().freeze() == frozen
