"""Tests for webphone.sip.uri: SIP and SIPS URIs (RFC 3261 §19.1) and other absolute URIs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webphone.sip import AbsoluteUri, ParseError, SipUri, parse_sip_uri, parse_uri

# (text, the URI it is); str() gives the text back: checked both ways.
URIS = [
    ("sip:127.0.0.1", SipUri("127.0.0.1")),
    ("sip:alice@atlanta.com", SipUri("atlanta.com", user="alice")),
    (
        "sip:alice:secretword@atlanta.com;transport=tcp",
        SipUri("atlanta.com", user="alice", password="secretword", params=(("transport", "tcp"),)),
    ),
    (
        "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
        SipUri(
            "atlanta.com",
            user="alice",
            headers=(("subject", "project%20x"), ("priority", "urgent")),
            scheme="sips",
        ),
    ),
    (
        "sip:+1-212-555-1212:1234@gateway.com;user=phone",
        SipUri("gateway.com", user="+1-212-555-1212", password="1234", params=(("user", "phone"),)),
    ),
    ("sips:1212@gateway.com", SipUri("gateway.com", user="1212", scheme="sips")),
    ("sip:alice@192.0.2.4", SipUri("192.0.2.4", user="alice")),
    (
        "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
        SipUri(
            "atlanta.com",
            params=(("method", "REGISTER"),),
            headers=(("to", "alice%40atlanta.com"),),
        ),
    ),
    ("sip:alice;day=tuesday@atlanta.com", SipUri("atlanta.com", user="alice;day=tuesday")),
    ("sip:[2001:db8::1]:5061", SipUri("[2001:db8::1]", port=5061)),
    (
        "sips:bob@[2001:db8::1]:5061;transport=tls",
        SipUri(
            "[2001:db8::1]", user="bob", port=5061, params=(("transport", "tls"),), scheme="sips"
        ),
    ),
    ("sip:[::ffff:192.0.2.1]", SipUri("[::ffff:192.0.2.1]")),
    (
        "sip:alice%40home@example.com",  # an escaped @ in the user part
        SipUri("example.com", user="alice@home"),
    ),
    ("sip:I%20have%20spaces@example.net", SipUri("example.net", user="I have spaces")),
    ("sip:null-%00-null@example.com", SipUri("example.com", user="null-\x00-null")),
    ("sip:%C3%A9mile@example.com", SipUri("example.com", user="émile")),
    ("sip:%FF@example.com", SipUri("example.com", user="\udcff")),  # not UTF-8: kept as is
    ("sip:p%40ss:p%3Ass@h", SipUri("h", user="p@ss", password="p:ss")),
    (
        "sip:127.0.0.1:8080;transport=ws;lr=on",
        SipUri("127.0.0.1", port=8080, params=(("transport", "ws"), ("lr", "on"))),
    ),
    (
        "sip:hojvgjdp@pepgsjcv4lq1.invalid;alias=127.0.0.1~60746~5;transport=ws;ob",
        SipUri(
            "pepgsjcv4lq1.invalid",
            user="hojvgjdp",
            params=(("alias", "127.0.0.1~60746~5"), ("transport", "ws"), ("ob", None)),
        ),
    ),
    (
        "sip:host;maddr=[2001:db8::9];x=",
        SipUri("host", params=(("maddr", "[2001:db8::9]"), ("x", ""))),
    ),
    ("sip:under_score.example.com.", SipUri("under_score.example.com.")),
    ("sip:h;a(b)=[x]:y/z", SipUri("h", params=(("a(b)", "[x]:y/z"),))),  # paramchars, not tokens
    ("sip:h?empty=", SipUri("h", headers=(("empty", ""),))),
    ("sip:*97#@h", SipUri("h", user="*97#")),  # "#": a DTMF digit of a telephone-subscriber
    ("tel:+1-201-555-0123", AbsoluteUri("tel", "+1-201-555-0123")),
    (
        "urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08",
        AbsoluteUri("urn", "uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08"),
    ),
    ("http://www.example.com/a?b=c#d", AbsoluteUri("http", "//www.example.com/a?b=c#d")),
    ("soap.beep://192.0.2.103:3002", AbsoluteUri("soap.beep", "//192.0.2.103:3002")),
    ("sip-x:whatever", AbsoluteUri("sip-x", "whatever")),  # not sip:, an unknown scheme
]


@pytest.mark.parametrize(("text", "uri"), URIS, ids=[t for t, _ in URIS])
def test_uri_parses(text: str, uri: SipUri | AbsoluteUri) -> None:
    assert parse_uri(text) == uri


@pytest.mark.parametrize(("text", "uri"), URIS, ids=[t for t, _ in URIS])
def test_uri_writes_back(text: str, uri: SipUri | AbsoluteUri) -> None:
    assert str(uri).replace("%23", "#") == text.replace("%ff", "%FF")


# Spellings that mean the same URI and are written canonically.
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("SIP:alice@atlanta.com", "sip:alice@atlanta.com"),
        ("SiPs:alice@atlanta.com", "sips:alice@atlanta.com"),
        ("sip:%61lice@atlanta.com", "sip:alice@atlanta.com"),
        ("sip:%ff@h", "sip:%FF@h"),
        ("sip:*97#@h", "sip:*97%23@h"),
        ("TEL:+1", "tel:+1"),
    ],
)
def test_uri_canonical_spelling(text: str, canonical: str) -> None:
    assert str(parse_uri(text)) == canonical
    assert parse_uri(canonical) == parse_uri(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sip:",
        "sip:@example.com",  # an empty user
        "sip::pw@example.com",
        "sip:alice@",
        "sip:alice@example.com:",
        "sip:alice@example.com:65536",
        "sip:alice@example.com:123456",
        "sip:alice@exa mple.com",
        "sip:al ice@example.com",
        "sip:alice@example.com;",
        "sip:alice@example.com;=x",
        "sip:alice@example.com;a b",
        "sip:alice@example.com?",
        "sip:alice@example.com?noequals",
        "sip:alice@example.com?a=b&",
        "sip:a%Zlice@example.com",  # an escape needs two hex digits
        "sip:a%4@example.com",
        "sip:alice@[2001:db8::1",
        "sip:alice@[2001:db8::1::2]",
        "sip:alice@[1.2.3.4]",
        "sip:alice@[::1]x",
        "sip:<alice@example.com>",
        'sip:"alice"@example.com',
        "sip:alice@example.com\r\nX: y",
        "sips:",
        "<sip:alice@example.com>",
        "alice@example.com",
        "1tel:+1",  # a scheme starts with a letter
        "tel:",
        "tel:a b",
        "tel:a<b",
        "tel:\x00",
        "*",
    ],
)
def test_invalid_uri_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_uri(text)
    assert e.value.status == 400
    assert "URI" in str(e.value)


def test_parse_sip_uri_wants_sip_or_sips() -> None:
    assert parse_sip_uri("sips:h") == SipUri("h", scheme="sips")
    with pytest.raises(ParseError, match="expected a sip: or sips: URI"):
        parse_sip_uri("tel:+1")


def test_sip_uri_accessors() -> None:
    uri = parse_sip_uri("sip:Alice@Example.COM:5070;Transport=WS;lr")
    assert uri.transport == "ws"
    assert uri.param("transport") == "WS"
    assert uri.param("LR") == ""
    assert uri.param("maddr") is None
    assert uri.hostport == "Example.COM:5070"
    assert uri.aor == "sip:Alice@example.com"
    assert SipUri("h").transport is None
    assert SipUri("h").hostport == "h"
    assert SipUri("h", user="a@b").aor == "sip:a%40b@h"


def test_sip_uri_param_editing_keeps_order() -> None:
    uri = parse_sip_uri("sip:bob@h;a=1;transport=ws;b")
    assert str(uri.with_param("transport", "wss")) == "sip:bob@h;a=1;transport=wss;b"
    assert str(uri.with_param("lr")) == "sip:bob@h;a=1;transport=ws;b;lr"
    assert str(uri.without_param("TRANSPORT")) == "sip:bob@h;a=1;b"
    assert str(uri) == "sip:bob@h;a=1;transport=ws;b"  # values are immutable


def test_uris_are_hashable_values() -> None:
    assert {parse_uri("sip:a@b"), parse_uri("sip:a@b"), parse_uri("tel:1")} == {
        SipUri("b", user="a"),
        AbsoluteUri("tel", "1"),
    }


def test_rfc4475_intmeth_request_uri_round_trips() -> None:
    text = (
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
        "(doesn't-it)@example.com"
    )
    uri = parse_sip_uri(text)
    assert uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert str(uri) == text


# --- Properties ------------------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PARAM_TEXT = st.text(_ALNUM + "-_.!~*'()[]/:&+$", min_size=1, max_size=12)
_HEADER_TEXT = st.text(_ALNUM + "-_.!~*'()[]/?:+$", min_size=1, max_size=12)
_LABEL = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9\-]{0,10}[A-Za-z0-9])?", fullmatch=True)
_HOSTNAME = st.lists(_LABEL, min_size=1, max_size=4).map(".".join)
_IPV4 = st.ip_addresses(v=4).map(str)
_IPV6 = st.ip_addresses(v=6).map(lambda a: f"[{a}]")
HOSTS = st.one_of(_HOSTNAME, _IPV4, _IPV6)
# User and password are unescaped text: anything at all (it is %-escaped when written).
_FREE_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=12)

SIP_URIS = st.builds(
    SipUri,
    host=HOSTS,
    user=st.none() | _FREE_TEXT,
    password=st.none() | st.text(st.characters(blacklist_categories=["Cs"]), max_size=8),
    port=st.none() | st.integers(0, 65535),
    params=st.lists(st.tuples(_PARAM_TEXT, st.none() | _PARAM_TEXT), max_size=4).map(tuple),
    headers=st.lists(st.tuples(_HEADER_TEXT, _HEADER_TEXT | st.just("")), max_size=3).map(tuple),
    scheme=st.sampled_from(["sip", "sips"]),
).filter(lambda u: u.user is not None or u.password is None)


@settings(max_examples=400)
@given(SIP_URIS)
def test_sip_uri_str_then_parse_is_the_same_uri(uri: SipUri) -> None:
    text = str(uri)
    assert parse_uri(text) == uri
    assert str(parse_uri(text)) == text


@settings(max_examples=300)
@given(st.from_regex(r"[a-z][a-z0-9+\-.]{0,8}", fullmatch=True), st.text(min_size=1, max_size=30))
def test_absolute_uri_round_trip_or_parse_error(scheme: str, rest: str) -> None:
    text = f"{scheme}:{rest}"
    try:
        uri = parse_uri(text)
    except ParseError:
        return
    assert str(uri) == text
    assert parse_uri(str(uri)) == uri


@settings(max_examples=500)
@given(st.text(max_size=60))
def test_any_text_is_a_uri_or_a_parse_error(text: str) -> None:
    try:
        uri = parse_uri(text)
    except ParseError:
        return
    assert parse_uri(str(uri)) == uri
