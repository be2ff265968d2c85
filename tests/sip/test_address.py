"""Tests for webphone.sip.address: name-addr / addr-spec (From, To, Contact, Route), Via, CSeq."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webphone.sip import (
    AbsoluteUri,
    CSeq,
    NameAddr,
    ParseError,
    SipUri,
    Via,
    parse_cseq,
    parse_name_addr,
    parse_via,
)
from webphone.sip.address import quote_display
from webphone.sip.params import parse_params, split_unquoted, unquote

# --- name-addr and addr-spec -----------------------------------------------------------------

# (header value, the NameAddr it is, how str() writes it)
NAME_ADDRS = [
    ("<sip:alice@atlanta.com>", NameAddr(SipUri("atlanta.com", user="alice")), None),
    (
        "Alice <sip:alice@atlanta.com>;tag=1928301774",
        NameAddr(SipUri("atlanta.com", user="alice"), "Alice", (("tag", "1928301774"),)),
        '"Alice" <sip:alice@atlanta.com>;tag=1928301774',
    ),
    (
        '"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7; expires=3600',
        NameAddr(
            SipUri("worcester.bell-telephone.com", user="watson"),
            "Mr. Watson",
            (("q", "0.7"), ("expires", "3600")),
        ),
        '"Mr. Watson" <sip:watson@worcester.bell-telephone.com>;q=0.7;expires=3600',
    ),
    (
        "sip:alice@atlanta.com;tag=88sja8x",  # addr-spec: the parameters are the header's
        NameAddr(SipUri("atlanta.com", user="alice"), None, (("tag", "88sja8x"),)),
        "<sip:alice@atlanta.com>;tag=88sja8x",
    ),
    (
        "<sip:alice@atlanta.com;transport=tcp>;tag=88sja8x",  # in brackets: the URI's
        NameAddr(
            SipUri("atlanta.com", user="alice", params=(("transport", "tcp"),)),
            None,
            (("tag", "88sja8x"),),
        ),
        None,
    ),
    (
        "caller<sip:caller@example.com>",
        NameAddr(SipUri("example.com", user="caller"), "caller"),
        '"caller" <sip:caller@example.com>',
    ),
    (
        "Lee M. Foote <sips:lee.foote@example.com>",
        NameAddr(SipUri("example.com", user="lee.foote", scheme="sips"), "Lee M. Foote"),
        '"Lee M. Foote" <sips:lee.foote@example.com>',
    ),
    (
        '"J Rosenberg \\\\\\"" <sip:jdrosen@example.com>',
        NameAddr(SipUri("example.com", user="jdrosen"), 'J Rosenberg \\"'),
        None,
    ),
    (
        '"" <sip:anonymous@anonymous.invalid>',
        NameAddr(SipUri("anonymous.invalid", user="anonymous"), ""),
        None,
    ),
    (
        '"Bell, Alexander" <sip:a.g.bell@example.com>',
        NameAddr(SipUri("example.com", user="a.g.bell"), "Bell, Alexander"),
        None,
    ),
    (
        '"<sip:not@the.uri>" <sip:real@example.com>',
        NameAddr(SipUri("example.com", user="real"), "<sip:not@the.uri>"),
        None,
    ),
    ('"Zoë 東京" <sip:z@example.com>', NameAddr(SipUri("example.com", user="z"), "Zoë 東京"), None),
    ("<tel:+1-201-555-0123>", NameAddr(AbsoluteUri("tel", "+1-201-555-0123")), None),
    ("isbn:2983792873", NameAddr(AbsoluteUri("isbn", "2983792873")), "<isbn:2983792873>"),
    (
        "<sip:[2001:db8::1]:5061;transport=tls>;expires=60",
        NameAddr(
            SipUri("[2001:db8::1]", port=5061, params=(("transport", "tls"),)),
            None,
            (("expires", "60"),),
        ),
        None,
    ),
    (
        "<sip:hojvgjdp@pepgsjcv4lq1.invalid;transport=ws>;+sip.ice;reg-id=1;"
        '+sip.instance="<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>";expires=300',
        NameAddr(
            SipUri("pepgsjcv4lq1.invalid", user="hojvgjdp", params=(("transport", "ws"),)),
            None,
            (
                ("+sip.ice", None),
                ("reg-id", "1"),
                ("+sip.instance", '"<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>"'),
                ("expires", "300"),
            ),
        ),
        None,
    ),
    (
        # addr-spec form with a quoted "<" in a parameter: the "<" is not a name-addr's
        'sip:alice@host;+sip.instance="<urn:uuid:1>"',
        NameAddr(SipUri("host", user="alice"), None, (("+sip.instance", '"<urn:uuid:1>"'),)),
        '<sip:alice@host>;+sip.instance="<urn:uuid:1>"',
    ),
    (
        "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n",  # wsinv's To, unfolded
        NameAddr(SipUri("chair-dnrc.example.com", user="vivekg"), None, (("tag", "1918181833n"),)),
        "<sip:vivekg@chair-dnrc.example.com>;tag=1918181833n",
    ),
    (
        '<sip:a@b>;methods="INVITE, BYE";q=1',  # a comma and a space inside quotes
        NameAddr(SipUri("b", user="a"), None, (("methods", '"INVITE, BYE"'), ("q", "1"))),
        None,
    ),
    (
        "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>",
        NameAddr(
            SipUri("example.com", user="user", headers=(("Route", "%3Csip:sip.example.com%3E"),))
        ),
        None,
    ),
    ("<sip:a@b>;tag=", NameAddr(SipUri("b", user="a"), None, (("tag", ""),)), None),
]


@pytest.mark.parametrize(
    ("text", "value", "written"), NAME_ADDRS, ids=[t for t, _, _ in NAME_ADDRS]
)
def test_name_addr_parses(text: str, value: NameAddr, written: str | None) -> None:
    assert parse_name_addr(text) == value
    assert parse_name_addr(f"  {text}\t") == value


@pytest.mark.parametrize(
    ("text", "value", "written"), NAME_ADDRS, ids=[t for t, _, _ in NAME_ADDRS]
)
def test_name_addr_writes_back(text: str, value: NameAddr, written: str | None) -> None:
    assert str(value) == (written or text)
    assert parse_name_addr(str(value)) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "<>",
        "<sip:a@b",
        "sip:a@b>",
        "<sip:a@b>>",
        "< sip:a@b >",  # RFC 4475 badaspec
        "<sip:a@b >",
        '"unterminated <sip:a@b>',  # RFC 4475 quotbal
        "Bell, Alexander <sip:a@b>",  # RFC 4475 baddn
        "Al;ce <sip:a@b>",
        '"a" "b" <sip:a@b>',
        "a <sip:a@b> <sip:c@d>",
        "sip:a@b?x=y",  # RFC 4475 regbadct: headers need the brackets
        "sip:a@b,c",
        "sip:@b",
        "<sip:a@b>;",
        "<sip:a@b>;;tag=1",  # RFC 4475 badinv01
        "<sip:a@b>;tag=1;",
        "<sip:a@b>;=1",
        "<sip:a@b>;tag=a b",
        '<sip:a@b>;x="unterminated',
        "<sip:a@b>tag=1",
        "<sip:a@b:70000>",
        "<sip:a@[::1::2]>",
        "*",
        "alice",
        "<alice>",
        "<sip:a@b>\r\n",
    ],
)
def test_invalid_name_addr_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_name_addr(text)
    assert e.value.status == 400


def test_name_addr_accessors() -> None:
    contact = parse_name_addr(
        '<sip:a@b>;Expires=3600;reg-id=2;+sip.instance="<urn:uuid:f81d4fae>";tag=x'
    )
    assert contact.expires == 3600
    assert contact.reg_id == 2
    assert contact.instance == "urn:uuid:f81d4fae"
    assert contact.tag == "x"
    assert contact.param("EXPIRES") == "3600"
    plain = parse_name_addr("<sip:a@b>")
    assert (plain.expires, plain.reg_id, plain.instance, plain.tag) == (None, None, None, None)
    assert parse_name_addr("<sip:a@b>;+sip.instance=token").instance == "token"


@pytest.mark.parametrize("value", ["", "-1", "1.5", "²", "٣", "1" * 11])
def test_bad_integer_parameters_raise_parse_error(value: str) -> None:
    contact = NameAddr(SipUri("b"), None, (("expires", value), ("reg-id", value)))
    with pytest.raises(ParseError, match="expires"):
        contact.expires  # noqa: B018
    with pytest.raises(ParseError, match="reg-id"):
        contact.reg_id  # noqa: B018


def test_name_addr_param_editing() -> None:
    to = parse_name_addr("Bob <sip:bob@b>;x=1")
    tagged = to.with_param("tag", "abc")
    assert str(tagged) == '"Bob" <sip:bob@b>;x=1;tag=abc'
    assert tagged.tag == "abc"
    assert str(tagged.with_param("TAG", "def")) == '"Bob" <sip:bob@b>;x=1;tag=def'
    assert str(tagged.without_param("x")) == '"Bob" <sip:bob@b>;tag=abc'
    assert to.tag is None


@pytest.mark.parametrize(
    ("name", "quoted"),
    [
        ("Alice", '"Alice"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("BEL:\x07 NUL:\x00 DEL:\x7f", '"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f"'),  # RFC 4475 intmeth
        ("tab\tok", '"tab\tok"'),
        ("", '""'),
    ],
)
def test_quote_display(name: str, quoted: str) -> None:
    assert quote_display(name) == quoted
    assert parse_name_addr(f"{quoted} <sip:a@b>").display_name == name


@pytest.mark.parametrize("name", ["line\r\nbreak", "cr\r", "lf\n"])
def test_quote_display_refuses_line_breaks(name: str) -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        quote_display(name)
    with pytest.raises(ValueError):
        str(NameAddr(SipUri("b"), name))


# --- Via --------------------------------------------------------------------------------------

VIAS = [
    (
        "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds",
        Via("UDP", "pc33.atlanta.com", None, (("branch", "z9hG4bK776asdhds"),)),
    ),
    (
        "SIP/2.0/WS pepgsjcv4lq1.invalid;branch=z9hG4bK8327036",
        Via("WS", "pepgsjcv4lq1.invalid", None, (("branch", "z9hG4bK8327036"),)),
    ),
    (
        "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7;rport",
        Via("WSS", "df7jal23ls0d.invalid", None, (("branch", "z9hG4bKnashds7"), ("rport", None))),
    ),
    (
        "SIP/2.0/UDP 127.0.0.1:5072;received=127.0.0.1;branch=z9hG4bK-16479-1-0;rport=5072",
        Via(
            "UDP",
            "127.0.0.1",
            5072,
            (("received", "127.0.0.1"), ("branch", "z9hG4bK-16479-1-0"), ("rport", "5072")),
        ),
    ),
    (
        "SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK1;received=2001:db8::9;maddr=[2001:db8::1]",
        Via(
            "TLS",
            "[2001:db8::9]",
            5061,
            (("branch", "z9hG4bK1"), ("received", "2001:db8::9"), ("maddr", "[2001:db8::1]")),
        ),
    ),
    ("SIP/2.0/UDP iftgw.example.com", Via("UDP", "iftgw.example.com")),  # RFC 2543: no branch
    (
        "SIP/2.0/SCTP t2.example.com;branch=z9hG4bK",
        Via("SCTP", "t2.example.com", None, (("branch", "z9hG4bK"),)),
    ),
    (
        "SIP/2.0/UNKNOWN t4.example.com;ttl=1",
        Via("UNKNOWN", "t4.example.com", None, (("ttl", "1"),)),
    ),
    ('SIP/2.0/UDP h;x="a;b,c"', Via("UDP", "h", None, (("x", '"a;b,c"'),))),
]


@pytest.mark.parametrize(("text", "via"), VIAS, ids=[t for t, _ in VIAS])
def test_via_parses_and_writes_back(text: str, via: Via) -> None:
    assert parse_via(text) == via
    assert str(via) == text
    assert parse_via(str(via)) == via


@pytest.mark.parametrize(
    ("text", "via"),
    [
        # Kamailio over WebSocket: two spaces before the host
        (
            "SIP/2.0/WS  127.0.0.1:8080;branch=z9hG4bKf23f.1.0",
            Via("WS", "127.0.0.1", 8080, (("branch", "z9hG4bKf23f.1.0"),)),
        ),
        # RFC 4475 wsinv, unfolded
        (
            "SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw",
            Via("UDP", "192.0.2.2", None, (("branch", "390skdjuw"),)),
        ),
        (
            "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8",
            Via("TCP", "spindle.example.com", None, (("branch", "z9hG4bK9ikj8"),)),
        ),
        ("sip/2.0/ws h : 5060 ;lr", Via("WS", "h", 5060, (("lr", None),))),
        ("\tSIP/2.0/UDP\th;branch=z9hG4bK1 ", Via("UDP", "h", None, (("branch", "z9hG4bK1"),))),
    ],
)
def test_via_odd_whitespace_and_case(text: str, via: Via) -> None:
    assert parse_via(text) == via


def test_via_accessors() -> None:
    via = parse_via("SIP/2.0/UDP 127.0.0.1:5072;received=192.0.2.1;branch=z9hG4bK-1;rport=5072")
    assert (via.branch, via.received, via.rport) == ("z9hG4bK-1", "192.0.2.1", 5072)
    assert via.sent_by == "127.0.0.1:5072"
    assert via.protocol == "SIP/2.0"
    asked = parse_via("SIP/2.0/UDP h;branch=z9hG4bK-1;rport")
    assert asked.rport is None and asked.param("rport") == ""
    assert asked.sent_by == "h"
    filled = asked.with_param("rport", "5060").with_param("received", "192.0.2.9")
    assert str(filled) == "SIP/2.0/UDP h;branch=z9hG4bK-1;rport=5060;received=192.0.2.9"
    assert filled.rport == 5060
    assert Via("UDP", "h", params=(("rport", "x²"),)).rport is None  # a built Via: no crash


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SIP/2.0/UDP",
        "SIP/2.0/UDP ",
        "SIP/2.0 h",
        "SIP/UDP h",
        "SIP/2.0/UDPh",
        "SIP/2.0/UDP h:",
        "SIP/2.0/UDP h:65536",
        "SIP/2.0/UDP h:-1",
        "SIP/2.0/UDP h;",
        "SIP/2.0/UDP h;;",
        "SIP/2.0/UDP h;branch",
        "SIP/2.0/UDP h;branch=",
        "SIP/2.0/UDP h;rport=abc",
        "SIP/2.0/UDP h;rport=²",
        "SIP/2.0/UDP h;branch=a b",
        "SIP/2.0/UDP h branch=1",
        "SIP/2.0/UDP h, SIP/2.0/UDP g",  # one via-parm at a time: Headers.values splits
        "SIP/2.0/UDP [::1::2]",
        "SIP/2.0/UDP [1.2.3.4]",
        'SIP/2.0/UDP h;x="open',
        "SIP/2.0/UDP h\r\n",
    ],
)
def test_invalid_via_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError) as e:
        parse_via(text)
    assert e.value.status == 400


# --- CSeq -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cseq"),
    [
        ("1 INVITE", CSeq(1, "INVITE")),
        ("0 REGISTER", CSeq(0, "REGISTER")),
        ("0009 INVITE", CSeq(9, "INVITE")),
        ("2147483647 BYE", CSeq(2**31 - 1, "BYE")),
        ("5713\tACK", CSeq(5713, "ACK")),
        (" 8   RE%47IST%45R ", CSeq(8, "RE%47IST%45R")),
    ],
)
def test_cseq_parses(text: str, cseq: CSeq) -> None:
    assert parse_cseq(text) == cseq
    assert parse_cseq(str(cseq)) == cseq


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1",
        "INVITE",
        "INVITE 1",
        "-1 INVITE",
        "1.0 INVITE",
        "2147483648 INVITE",
        "1 IN VITE",
        "36893488147419103232 REGISTER",
        "٣ INVITE",
        "1 INVITE;x",
    ],
)
def test_invalid_cseq_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="CSeq"):
        parse_cseq(text)


# --- Parameter lists --------------------------------------------------------------------------


def test_parse_params() -> None:
    assert parse_params("", "x") == ()
    assert parse_params(' ;a=1; b ;c = "x;y" ;d=', "x") == (
        ("a", "1"),
        ("b", None),
        ("c", '"x;y"'),
        ("d", ""),
    )
    for bad in ("a=1", ";a b", ";=1", ';a="open'):
        with pytest.raises(ParseError):
            parse_params(bad, "x")


def test_unquote() -> None:
    assert unquote('"a \\"b\\" \\\\ c"') == 'a "b" \\ c'
    assert unquote("token") == "token"
    assert unquote('"') == '"'
    assert unquote('""') == ""


def test_split_unquoted() -> None:
    assert split_unquoted('a,"b,c",d', ",") == ["a", '"b,c"', "d"]
    assert split_unquoted('a,"b\\",c",d', ",") == ["a", '"b\\",c"', "d"]
    assert split_unquoted("<sip:a@b;x=1,2>,<sip:c>", ",", brackets=True) == [
        "<sip:a@b;x=1,2>",
        "<sip:c>",
    ]
    with pytest.raises(ParseError, match="unterminated quoted"):
        split_unquoted('a,"b', ",")
    with pytest.raises(ParseError, match="unterminated '<'"):
        split_unquoted("<sip:a,b", ",", brackets=True)


# --- Properties -------------------------------------------------------------------------------

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TOKENS = st.text(_ALNUM + "-.!%*_+`'~", min_size=1, max_size=10)
_GEN_VALUES = TOKENS | st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=10
).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')
HEADER_PARAMS = st.lists(st.tuples(TOKENS, st.none() | _GEN_VALUES), max_size=4).map(tuple)
SIMPLE_URIS = st.builds(
    SipUri,
    host=st.from_regex(
        r"[a-z]([a-z0-9\-]{0,8}[a-z0-9])?(\.[a-z][a-z0-9]{0,8}){0,2}", fullmatch=True
    ),
    user=st.none() | st.text(min_size=1, max_size=8),
    port=st.none() | st.integers(1, 65535),
    scheme=st.sampled_from(["sip", "sips"]),
)
DISPLAY_NAMES = st.none() | st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=12
)


@settings(max_examples=400)
@given(st.builds(NameAddr, uri=SIMPLE_URIS, display_name=DISPLAY_NAMES, params=HEADER_PARAMS))
def test_name_addr_str_then_parse_is_the_same(value: NameAddr) -> None:
    assert parse_name_addr(str(value)) == value


@settings(max_examples=300)
@given(
    st.builds(
        Via,
        transport=st.sampled_from(["UDP", "TCP", "TLS", "WS", "WSS", "SCTP"]),
        host=st.from_regex(r"[a-z0-9]([a-z0-9\-.]{0,10}[a-z0-9])?", fullmatch=True)
        | st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
        port=st.none() | st.integers(0, 65535),
        params=st.lists(
            st.tuples(
                TOKENS.filter(lambda t: t.lower() not in ("branch", "rport")),
                st.none() | _GEN_VALUES,
            ),
            max_size=3,
        ).map(lambda p: (("branch", "z9hG4bK-x"), *p)),
    )
)
def test_via_str_then_parse_is_the_same(via: Via) -> None:
    assert parse_via(str(via)) == via


@settings(max_examples=500)
@given(st.text(max_size=60))
def test_any_text_is_an_address_or_a_parse_error(text: str) -> None:
    for parser in (parse_name_addr, parse_via, parse_cseq):
        with contextlib.suppress(ParseError):
            parser(text)
