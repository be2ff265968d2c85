"""Tests for webphone.sip.builders: requests outside a dialog, checked against JsSIP's captures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webphone.sip import InvalidStateError, Request, Response, SipUri, parse, parse_sip_uri
from webphone.sip.builders import (
    DEFAULT_EXPIRES,
    MAX_FORWARDS,
    REASONS,
    UserAgentConfig,
    build_request,
    cancel,
    invite,
    make_response,
    options,
    register,
    request_uri,
    route_request,
    unregister,
    with_credentials,
)
from webphone.sip.ids import MAGIC_COOKIE, seeded
from webphone.sip.uri import parse_uri

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sip"


def fixture(number: str) -> Request | Response:
    (path,) = FIXTURES.glob(f"{number}-*.sip")
    return parse(path.read_bytes())


def request_fixture(number: str) -> Request:
    message = fixture(number)
    assert isinstance(message, Request)
    return message


# alice as JsSIP was configured in the capture: its Contact, Via host and instance id.
ALICE = UserAgentConfig(
    aor=parse_sip_uri("sip:alice@127.0.0.1"),
    contact=parse_sip_uri("sip:hojvgjdp@pepgsjcv4lq1.invalid;transport=ws"),
    via_host="pepgsjcv4lq1.invalid",
    instance_id="<urn:uuid:e80a93dc-b4bd-4939-97bc-52ef035f9c08>",
    user_agent="JsSIP 3.13.8",
)
BOB = parse_sip_uri("sip:bob@127.0.0.1")
SDP = (FIXTURES / "67-chromium-offer.sdp").read_bytes()


def assert_fresh_via(request: Request, config: UserAgentConfig = ALICE) -> None:
    (via,) = request.vias
    assert (via.transport, via.host, via.port) == (config.via_transport, config.via_host, None)
    assert via.branch is not None and via.branch.startswith(MAGIC_COOKIE)
    assert via.param("rport") == ""  # RFC 3581: present, empty
    assert request.max_forwards == MAX_FORWARDS


def assert_round_trip(request: Request) -> None:
    again = parse(bytes(request))
    assert again == request
    assert request.header("content-length") == str(len(request.body))


# -- UserAgentConfig -------------------------------------------------------------------------


def test_websocket_config_makes_up_invalid_hosts_and_an_instance_id() -> None:
    config = UserAgentConfig.websocket(parse_sip_uri("sip:alice@example.com"), seeded(7))
    assert config.via_host.endswith(".invalid") and config.via_transport == "WS"
    assert config.contact.host == config.via_host
    assert config.contact.user and config.contact.transport == "ws"
    assert config.dialog_contact.param("ob") == ""
    assert re.fullmatch(
        r"<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>",
        config.instance_id or "",
    )
    assert config == UserAgentConfig.websocket(config.aor, seeded(7))  # deterministic
    assert config != UserAgentConfig.websocket(config.aor, seeded(8))
    secure = UserAgentConfig.websocket(config.aor, seeded(7), secure=True)
    assert secure.via_transport == "WSS" and secure.contact.transport == "ws"  # RFC 7118 §5.2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("via_host", ""),
        ("via_transport", "ws"),
        ("via_transport", "QUIC"),
        ("via_port", 70000),
        ("instance_id", "urn:uuid:1"),
        ("reg_id", 0),
    ],
)
def test_config_names_the_bad_field(field: str, value: object) -> None:
    good = {"aor": ALICE.aor, "contact": ALICE.contact, "via_host": "h.invalid"}
    with pytest.raises(ValueError, match=f"UserAgentConfig.{field}"):
        UserAgentConfig(**{**good, field: value})  # type: ignore[arg-type]


# -- REGISTER --------------------------------------------------------------------------------


def test_register_like_jssip() -> None:
    captured = request_fixture("03")
    ours = register(ALICE, seeded(1), call_id=captured.call_id, cseq=1)
    assert_fresh_via(ours)
    assert ours.method == "REGISTER"
    assert ours.uri == captured.uri == SipUri("127.0.0.1")  # the domain, no user part (§10.2)
    assert ours.to == captured.to
    assert ours.from_.uri == captured.from_.uri and ours.from_.tag
    assert (ours.call_id, ours.cseq, ours.expires) == (captured.call_id, captured.cseq, 300)
    (contact,) = ours.contacts
    (jssip_contact,) = captured.contacts
    assert contact.uri == jssip_contact.uri
    for name in ("reg-id", "+sip.instance", "expires"):
        assert contact.param(name) == jssip_contact.param(name)
    assert {"path", "outbound"} <= set(ours.headers.values("supported"))
    assert ours.header("user-agent") == "JsSIP 3.13.8"
    assert ours.body == b"" and ours.header("content-length") == "0"
    assert_round_trip(ours)


def test_register_refresh_keeps_call_id_and_raises_cseq() -> None:
    ids = seeded(2)
    first = register(ALICE, ids, call_id="reg-1", cseq=1, from_tag="t1")
    refresh = register(ALICE, ids, call_id="reg-1", cseq=first.cseq.seq + 1, from_tag="t1")
    assert refresh.call_id == first.call_id and refresh.cseq.seq == 2
    assert refresh.from_ == first.from_
    assert refresh.via.branch != first.via.branch


def test_unregister_like_jssip() -> None:
    captured = request_fixture("61")
    ours = unregister(ALICE, seeded(3), call_id=captured.call_id, cseq=3)
    assert ours.expires == 0 == captured.expires
    assert ours.contacts[0].expires == 0 == captured.contacts[0].expires
    assert ours.contacts[0].uri == captured.contacts[0].uri
    assert (ours.call_id, ours.cseq) == (captured.call_id, captured.cseq)
    assert_round_trip(ours)


def test_unregister_every_binding_with_contact_star() -> None:
    ours = unregister(ALICE, seeded(4), call_id="c", cseq=9, all_bindings=True)
    assert ours.contact_is_star and ours.contacts == ()
    assert ours.expires == 0  # §10.2.2: `Contact: *` only with Expires 0
    assert_round_trip(ours)


def test_register_options() -> None:
    registrar = parse_sip_uri("sip:registrar.example.com:5080")
    config = UserAgentConfig(
        aor=parse_sip_uri("sips:carol@example.com:5061"),
        contact=parse_sip_uri("sip:carol@192.0.2.1:5062"),
        via_host="192.0.2.1",
        via_transport="UDP",
        via_port=5062,
        display_name='Carol "C" Smith',
        instance_id=None,
        outbound=False,
        rport=False,
        user_agent=None,
        route_set=(parse_sip_uri("sip:proxy.example.com;lr"),),
    )
    ours = register(config, seeded(5), call_id="c", cseq=1, headers=[("X-Test", "1")])
    assert ours.uri == SipUri("example.com", port=5061, scheme="sips")
    assert (
        ours.from_.display_name == 'Carol "C" Smith'
        and ours.to.display_name == ours.from_.display_name
    )
    (contact,) = ours.contacts
    assert contact.param("reg-id") is None and contact.param("+sip.instance") is None
    assert contact.expires == DEFAULT_EXPIRES
    assert ours.via.param("rport") is None and ours.via.sent_by == "192.0.2.1:5062"
    assert ours.header("user-agent") is None and ours.header("x-test") == "1"
    assert ours.headers.values("supported") == ["path"]
    assert [r.uri for r in ours.routes] == list(config.route_set)  # §8.1.2 pre-existing route
    assert_round_trip(ours)
    assert register(config, seeded(5), call_id="c", cseq=1, registrar=registrar).uri == registrar
    with pytest.raises(ValueError, match="expires"):
        register(config, seeded(5), call_id="c", cseq=1, expires=-1)


# -- INVITE, OPTIONS -------------------------------------------------------------------------


def test_invite_like_jssip() -> None:
    captured = request_fixture("07")
    ours = invite(ALICE, seeded(6), BOB, sdp=SDP, cseq=captured.cseq.seq)
    assert_fresh_via(ours)
    assert ours.uri == captured.uri and ours.to == captured.to
    assert ours.to.tag is None  # outside a dialog (§8.1.1.2)
    assert ours.from_.uri == captured.from_.uri and ours.from_.tag
    assert ours.contacts == captured.contacts  # `;ob`, RFC 5626
    assert ours.content_type == "application/sdp" and ours.body == captured.body
    assert "INVITE" in ours.headers.values("allow")
    assert "outbound" in ours.headers.values("supported")
    assert_round_trip(ours)


def test_invite_ids_are_fresh_unless_given() -> None:
    ids = seeded(7)
    a = invite(ALICE, ids, BOB, sdp=SDP)
    b = invite(ALICE, ids, BOB, sdp=SDP)
    assert a.call_id != b.call_id and a.from_.tag != b.from_.tag and a.via.branch != b.via.branch
    c = invite(ALICE, ids, BOB, sdp=SDP, call_id="x", from_tag="y", to_display_name="Bob")
    assert (c.call_id, c.from_.tag, c.to.display_name) == ("x", "y", "Bob")


def test_invite_to_a_tel_uri() -> None:
    ours = invite(ALICE, seeded(8), parse_uri("tel:+15551234567"), sdp=SDP)
    assert str(ours.uri) == "tel:+15551234567" and str(ours.to.uri) == str(ours.uri)
    assert_round_trip(ours)


def test_options() -> None:
    ours = options(ALICE, seeded(9), BOB)
    assert ours.method == "OPTIONS" and ours.uri == BOB
    assert ours.header("accept") == "application/sdp"  # §11.1
    assert ours.to.tag is None and ours.from_.tag
    assert_fresh_via(ours)
    assert_round_trip(ours)


def test_cseq_out_of_range() -> None:
    with pytest.raises(InvalidStateError, match="CSeq"):
        invite(ALICE, seeded(1), BOB, sdp=SDP, cseq=2**31)


# -- CANCEL ----------------------------------------------------------------------------------


def test_cancel_like_jssip() -> None:
    pending = request_fixture("47")
    captured = request_fixture("53")
    ours = cancel(pending, ALICE)
    assert ours.method == "CANCEL" and ours.uri == captured.uri == pending.uri
    assert ours.headers.get_all("via") == captured.headers.get_all("via")  # same branch (§9.1)
    for name in ("to", "from", "call-id", "cseq", "content-length", "user-agent"):
        assert ours.header(name) == captured.header(name), name
    assert ours.header("proxy-authorization") is None and ours.max_forwards == MAX_FORWARDS
    assert_round_trip(ours)


def test_cancel_copies_route_and_only_the_top_via() -> None:
    pending = request_fixture("12")  # as a proxy forwarded it: two Vias, one Record-Route
    mutable = pending.headers.mutable()
    mutable.add("Route", "<sip:p1.example.com;lr>, <sip:p2.example.com;lr>")
    ours = cancel(pending.with_headers(mutable))
    assert ours.vias == pending.vias[:1]
    assert [str(r.uri) for r in ours.routes] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert ours.header("user-agent") is None and ours.record_routes == ()
    assert_round_trip(ours)
    with pytest.raises(InvalidStateError):
        cancel(request_fixture("40"))


# -- credentials -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "retry", "name"),
    [
        ("03", "05", "Authorization"),
        ("07", "10", "Proxy-Authorization"),
        ("44", "47", "Proxy-Authorization"),
        ("61", "63", "Authorization"),
    ],
)
def test_with_credentials_is_jssips_retry(first: str, retry: str, name: str) -> None:
    """JsSIP's retry after 401/407 is its first request plus credentials, CSeq + 1, new branch."""
    before, after = request_fixture(first), request_fixture(retry)
    ours = with_credentials(before, seeded(10), name, after.header(name) or "")
    assert ours.via.branch != before.via.branch
    assert ours.via.with_param("branch", after.via.branch) == after.via
    mutable = ours.headers.mutable()
    mutable.set("Via", after.headers.get("via") or "")
    assert ours.with_headers(mutable) == after
    assert_round_trip(ours)


def test_with_credentials_replaces_stale_credentials() -> None:
    ids = seeded(11)
    first = with_credentials(request_fixture("07"), ids, "Proxy-Authorization", "Digest a")
    second = with_credentials(first, ids, "proxy-authorization", "Digest b")
    assert second.headers.get_all("proxy-authorization") == ["Digest b"]
    assert second.cseq.seq == first.cseq.seq + 1 == 5714
    assert with_credentials(first, ids, "Authorization", "x", cseq=99).cseq.seq == 99


def test_with_credentials_keeps_vias_sharing_the_top_line() -> None:
    mutable = request_fixture("07").headers.mutable()
    mutable.set("Via", "SIP/2.0/UDP a.example.com;branch=z9hG4bKa, SIP/2.0/UDP b;branch=z9hG4bKb")
    request = request_fixture("07").with_headers(mutable)
    ours = with_credentials(request, seeded(12), "Authorization", "Digest x")
    assert [v.host for v in ours.vias] == ["a.example.com", "b"]
    assert ours.vias[0].branch != "z9hG4bKa" and ours.vias[1].branch == "z9hG4bKb"


def test_with_credentials_refuses() -> None:
    with pytest.raises(ValueError, match="credentials"):
        with_credentials(request_fixture("07"), seeded(1), "WWW-Authenticate", "x")
    with pytest.raises(InvalidStateError):
        with_credentials(request_fixture("53"), seeded(1), "Authorization", "x")
    with pytest.raises(InvalidStateError, match="CSeq"):
        with_credentials(request_fixture("07"), seeded(1), "Authorization", "x", cseq=2**31)


# -- routing ---------------------------------------------------------------------------------

TARGET = parse_sip_uri("sip:bob@192.0.2.2;transport=ws")
LOOSE = parse_sip_uri("sip:p1.example.com;lr")
STRICT = parse_sip_uri("sip:p1.example.com;maddr=192.0.2.9;method=INVITE?x=y")


def test_route_request() -> None:
    assert route_request(TARGET, ()) == (TARGET, ())
    assert route_request(TARGET, (LOOSE, STRICT)) == (TARGET, (LOOSE, STRICT))
    # §12.2.1.1 strict routing: the first route is the Request-URI, the target the last Route.
    uri, routes = route_request(TARGET, (STRICT, LOOSE))
    assert str(uri) == "sip:p1.example.com;maddr=192.0.2.9"
    assert routes == (LOOSE, TARGET)


def test_request_uri_drops_what_a_request_uri_may_not_carry() -> None:
    assert request_uri(TARGET) is TARGET
    assert str(request_uri(STRICT)) == "sip:p1.example.com;maddr=192.0.2.9"


def test_build_request_defaults_to_sdp() -> None:
    ours = build_request(
        "MESSAGE",
        BOB,
        ALICE,
        seeded(1),
        to=ALICE.local_party,
        from_=ALICE.local_party.with_param("tag", "x"),
        call_id="c",
        cseq=1,
        body=b"v=0\r\n",
    )
    assert ours.content_type == "application/sdp"
    assert_round_trip(ours)


# -- responses (the builder that was here first) ---------------------------------------------


def test_make_response_copies_the_transaction_headers() -> None:
    request = request_fixture("12")
    ringing = make_response(request, 180, to_tag="abc")
    assert ringing.reason == REASONS[180] == "Ringing" and ringing.to.tag == "abc"
    assert ringing.vias == request.vias and ringing.record_routes == request.record_routes
    assert make_response(request, 100, to_tag="abc").to.tag is None  # §8.2.6.2
    busy = make_response(request, 486, "Busy", to_tag="abc", headers=[("Retry-After", "5")])
    assert busy.reason == "Busy" and busy.record_routes == () and busy.header("retry-after") == "5"
    ok = make_response(request, 200, to_tag="abc", body=b"v=0\r\n")
    assert ok.content_type == "application/sdp" and ok.header("content-length") == "5"
    assert parse(bytes(ok)) == ok


# -- properties ------------------------------------------------------------------------------

display_names = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\x7f"), max_size=20
)
users = st.text("abcdefghijklmnopqrstuvwxyzABC0123456789-_.!~*'()&=+$,;?/%@: ", min_size=1)


@given(seed=st.integers(0, 2**32), name=display_names, user=users)
def test_every_builder_round_trips(seed: int, name: str, user: str) -> None:
    ids = seeded(seed)
    config = UserAgentConfig.websocket(
        SipUri("example.com", user=user), ids, display_name=name or None
    )
    target = SipUri("example.org", user=user)
    built = [
        register(config, ids, call_id=ids.call_id(), cseq=1),
        unregister(config, ids, call_id=ids.call_id(), cseq=2),
        unregister(config, ids, call_id=ids.call_id(), cseq=2, all_bindings=True),
        invite(config, ids, target, sdp=SDP, to_display_name=name or None),
        options(config, ids, target),
    ]
    built += [cancel(built[3], config), with_credentials(built[3], ids, "Authorization", "x")]
    for request in built:
        assert_round_trip(request)
        assert request.via.branch and request.via.branch.startswith(MAGIC_COOKIE)
    assert built[3].from_.display_name == (name or None)
    assert built[3].from_.uri == config.aor and built[3].uri == target
