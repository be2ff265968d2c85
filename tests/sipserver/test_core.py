"""The server core without I/O: UDP peers made of data, a clock made of a float."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webphone.sip import Message, ParseError, Request, Response, SipUri, parse, parse_uri
from webphone.sip.builders import UserAgentConfig, invite, make_response, options, register
from webphone.sip.ids import seeded
from webphone.sip.transaction import make_ack
from webphone.sipserver import DictDirectory, Origin, ServerConfig, ServerCore, Target
from webphone.sipserver.routing import loop_hash

from .helpers import SDP, USERS, authorized

SERVER = ("127.0.0.1", 5060)
CAPTURES = sorted((Path(__file__).parents[1] / "fixtures" / "sip").glob("*.sip"))


class Peer:
    """A UDP user agent at 127.0.0.1:`port` (its requests are built, not sent)."""

    def __init__(self, user: str, port: int, seed: int = 1) -> None:
        self.user, self.port, self.ids = user, port, seeded(seed)
        self.origin = Origin("UDP", ("127.0.0.1", port))
        self.config = UserAgentConfig(
            aor=SipUri("127.0.0.1", user=user),
            contact=SipUri("127.0.0.1", user=user, port=port),
            via_host="127.0.0.1",
            via_port=port,
            via_transport="UDP",
        )


class Harness:
    def __init__(self, users: DictDirectory | None = None) -> None:
        config = ServerConfig(udp=SERVER, tcp=None, ws=None, user_cache_ttl=0)
        self.core = ServerCore(config, users or DictDirectory(USERS), {"busy"}, ids=seeded(99))
        self.core.hops.udp = SERVER
        self.core.hops.add_local(SERVER)
        self.now = 1000.0

    def send(self, message: Message, peer: Peer) -> list[tuple[Message, Target]]:
        self.core.receive(message, peer.origin, self.now)
        return self.core.messages_to_send()

    def one(self, message: Message, peer: Peer) -> tuple[Message, Target]:
        out = self.send(message, peer)
        assert len(out) == 1, out
        return out[0]

    def advance(self, seconds: float) -> list[tuple[Message, Target]]:
        self.now += seconds
        out = []
        while (deadline := self.core.get_timer()) is not None and deadline <= self.now:
            self.core.handle_timer(self.now)
            out += self.core.messages_to_send()
        return out

    def authorized(self, request: Request, peer: Peer) -> Request:
        challenge, _ = self.one(request, peer)
        assert isinstance(challenge, Response) and challenge.status in (401, 407)
        if request.method == "INVITE":
            assert self.send(make_ack(request, challenge), peer) == []
        password = USERS[peer.user]
        return authorized(challenge, request, peer.ids, peer.user, password)

    def register(self, peer: Peer, expires: int = 300) -> None:
        request = register(peer.config, peer.ids, call_id=f"r{peer.port}", cseq=1, expires=expires)
        ok, target = self.one(self.authorized(request, peer), peer)
        assert isinstance(ok, Response) and ok.status == 200
        assert target == Target("UDP", ("127.0.0.1", peer.port))

    def call(self, caller: Peer, user: str) -> tuple[Request, list[tuple[Message, Target]]]:
        request = invite(caller.config, caller.ids, SipUri("127.0.0.1", user=user), sdp=SDP)
        request = self.authorized(request, caller)
        return request, self.send(request, caller)


def status_of(out: list[tuple[Message, Target]]) -> list[int]:
    return [m.status for m, _ in out if isinstance(m, Response)]


@pytest.fixture
def h() -> Harness:
    return Harness()


ALICE, BOB, BOB2 = Peer("alice", 5070), Peer("bob", 5080, 2), Peer("bob", 5090, 3)


def test_options_for_the_server_and_proxy_require(h: Harness) -> None:
    pong, target = h.one(options(ALICE.config, ALICE.ids, SipUri("127.0.0.1")), ALICE)
    assert (
        isinstance(pong, Response) and pong.status == 200 and target.remote == ALICE.origin.remote
    )
    request = invite(ALICE.config, ALICE.ids, SipUri("127.0.0.1", user="bob"), sdp=SDP)
    headers = request.headers.mutable()
    headers.add("Proxy-Require", "foo")
    refused, _ = h.one(request.with_headers(headers), ALICE)
    assert isinstance(refused, Response) and refused.status == 420
    assert refused.headers.get("Unsupported") == "foo"


def test_response_goes_to_the_source_address_rport(h: Harness) -> None:
    request = options(ALICE.config, ALICE.ids, SipUri("127.0.0.1"))
    headers = request.headers.mutable()
    headers.pop_first("via")
    headers.prepend("Via", "SIP/2.0/UDP 10.0.0.7:5999;branch=z9hG4bKnat;rport")
    pong, target = h.one(request.with_headers(headers), ALICE)
    assert target == Target("UDP", ("127.0.0.1", 5070))
    assert isinstance(pong, Response)
    assert (pong.via.received, pong.via.rport) == ("127.0.0.1", 5070)  # RFC 3581 §4


def test_forwarding_and_retransmissions_over_udp(h: Harness) -> None:
    h.register(BOB)
    sent, out = h.call(ALICE, "bob")
    ((forwarded, target),) = out
    assert isinstance(forwarded, Request) and target == Target("UDP", ("127.0.0.1", 5080))
    assert str(forwarded.uri) == "sip:bob@127.0.0.1:5080"
    assert forwarded.max_forwards == 69 and len(forwarded.record_routes) == 1  # UDP to UDP
    assert str(forwarded.record_routes[0]) == "<sip:127.0.0.1:5060;lr>"
    assert h.send(sent, ALICE) == []  # a retransmission is absorbed
    resent = h.advance(0.5)  # 100 Trying at 200 ms (§17.2.1), Timer A resends (§17.1.1.2)
    assert status_of(resent) == [100]
    assert [m for m, _ in resent if isinstance(m, Request)] == [forwarded]
    ringing = make_response(forwarded, 180, to_tag="b", headers=[("Contact", "<sip:bob@x>")])
    ((relayed, back),) = h.send(ringing, BOB)
    assert isinstance(relayed, Response) and relayed.status == 180
    assert back.remote == ("127.0.0.1", 5070) and len(relayed.vias) == 1


def test_no_answer_gives_408_after_timer_b(h: Harness) -> None:
    h.register(BOB)
    h.call(ALICE, "bob")
    out = h.advance(40)
    assert 408 in status_of(out)


def test_best_response_of_forks(h: Harness) -> None:
    h.register(BOB)
    h.register(BOB2)
    _, out = h.call(ALICE, "bob")
    assert len(out) == 2
    (first, _), (second, _) = out
    assert isinstance(first, Request) and isinstance(second, Request)
    ((ack, _),) = h.send(make_response(first, 503, to_tag="x"), BOB)
    assert isinstance(ack, Request) and ack.method == "ACK"  # hop by hop (§17.1.1.3)
    final = h.send(make_response(second, 486, to_tag="y"), BOB2)
    assert status_of(final) == [486]  # 4xx beats 5xx (§16.7 step 6)


def test_503_alone_becomes_500_and_6xx_cancels_the_rest(h: Harness) -> None:
    h.register(BOB)
    _, ((forwarded, _),) = h.call(ALICE, "bob")
    assert isinstance(forwarded, Request)
    assert 500 in status_of(h.send(make_response(forwarded, 503, to_tag="x"), BOB))
    h.register(BOB2)
    _, out = h.call(ALICE, "bob")
    (first, _), (second, _) = out
    assert isinstance(first, Request) and isinstance(second, Request)
    h.send(make_response(second, 180, to_tag="r"), BOB2)
    after = h.send(make_response(first, 603, to_tag="d"), BOB)
    cancels = [m for m, t in after if isinstance(m, Request) and m.method == "CANCEL"]
    assert len(cancels) == 1 and cancels[0].via.branch == second.via.branch
    assert status_of(after) == []  # waits for the cancelled branch's final response
    done = h.send(make_response(second, 487, to_tag="r"), BOB2)
    assert 603 in status_of(done)


def test_loop_is_482_and_a_spiral_is_not(h: Harness) -> None:
    h.register(BOB)
    for looping in (True, False):
        request = invite(ALICE.config, ALICE.ids, SipUri("127.0.0.1", user="bob"), sdp=SDP)
        request = h.authorized(request, ALICE)
        # As if it had passed here before: our Via, with the loop hash of this very request
        # (a loop), or of a request with another Request-URI (a spiral, §16.3 step 4).
        hash_ = loop_hash(request) if looping else "0123456789abcdef"
        headers = request.headers.mutable()
        headers.add("Via", f"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{hash_}.1")
        out = h.send(request.with_headers(headers), ALICE)
        if looping:
            assert status_of(out) == [482]
        else:
            assert status_of(out) == [] and len(out) == 1


def test_in_dialog_requests_follow_route_and_are_not_challenged(h: Harness) -> None:
    h.register(BOB)
    bye = Request(
        "BYE",
        SipUri("127.0.0.1", user="bob", port=5080),
        invite(ALICE.config, ALICE.ids, SipUri("x"), sdp=b"").headers,
    )
    headers = bye.headers.mutable()
    for name in ("Contact", "Content-Type", "Allow", "Supported"):
        headers.remove(name)
    headers.set("To", "<sip:bob@127.0.0.1>;tag=b")
    headers.set("CSeq", "2 BYE")
    headers.set("Content-Length", "0")
    headers.add("Route", "<sip:127.0.0.1:5060;lr>")
    forwarded, target = h.one(bye.replace(headers=headers.freeze(), body=b""), ALICE)
    assert isinstance(forwarded, Request) and forwarded.method == "BYE"
    assert target == Target("UDP", ("127.0.0.1", 5080)) and "route" not in forwarded.headers
    # without our Route, a Request-URI that is ourselves leads nowhere
    headers.remove("Route")
    headers.set("CSeq", "3 BYE")
    headers.set("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKbye3;rport")
    request = bye.replace(uri=SipUri("127.0.0.1", user="bob", port=5060), headers=headers.freeze())
    assert status_of(h.send(request, ALICE)) == [481]


def test_acks_for_2xx_are_forwarded_statelessly_and_ours_absorbed(h: Harness) -> None:
    ack = make_ack(invite(ALICE.config, ALICE.ids, SipUri("127.0.0.1", user="bob", port=5080),
                          sdp=b""), make_response(invite(ALICE.config, ALICE.ids, SipUri("y"),
                          sdp=b""), 200, to_tag="b"))  # fmt: skip
    headers = ack.headers.mutable()
    headers.add("Route", "<sip:127.0.0.1:5060;lr>")
    ack = ack.with_headers(headers)
    (first, t1), (second, t2) = h.send(ack, ALICE) + h.send(ack, ALICE)
    assert isinstance(first, Request) and isinstance(second, Request)
    assert first.via.branch == second.via.branch and t1 == t2  # §16.11
    headers.set("To", f"<sip:bob@127.0.0.1>;tag={h.core.tag}")
    assert h.send(ack.with_headers(headers), ALICE) == []  # ACK for our own 407


def test_stale_nonce_and_failing_directory(h: Harness) -> None:
    request = invite(ALICE.config, ALICE.ids, SipUri("127.0.0.1", user="busy"), sdp=SDP)
    retry = h.authorized(request, ALICE)
    h.now += 301  # past the nonce lifetime
    stale, _ = h.one(retry, ALICE)
    assert isinstance(stale, Response) and stale.status == 407
    assert "stale=true" in (stale.headers.get("Proxy-Authenticate") or "")

    class Failing(DictDirectory):
        def get_password(self, name: str) -> str | None:
            raise RuntimeError("database down")

    broken = Harness(Failing())
    challenge, _ = broken.one(request, ALICE)
    assert isinstance(challenge, Response)
    answer = authorized(challenge, request, ALICE.ids, "alice", "alice-secret")
    error, _ = broken.one(answer, ALICE)
    assert isinstance(error, Response) and error.status == 500


def test_registration_expires_with_the_clock(h: Harness) -> None:
    h.register(BOB, expires=60)
    assert len(h.core.registrar.lookup("bob", h.now)) == 1
    h.advance(61)
    assert len(h.core.registrar) == 0
    _, out = h.call(ALICE, "bob")
    assert status_of(out) == [480]


def test_non_sip_request_uri_is_416(h: Harness) -> None:
    request = invite(ALICE.config, ALICE.ids, SipUri("127.0.0.1", user="bob"), sdp=SDP)
    request = h.authorized(request, ALICE)
    refused = h.send(request.replace(uri=parse_uri("tel:+15551234")), ALICE)
    assert status_of(refused) == [416]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_captured_messages_never_break_the_core(path: Path) -> None:
    h = Harness()
    message = parse(path.read_bytes())
    h.core.receive(message, ALICE.origin, h.now)  # must not raise
    for out, target in h.core.messages_to_send():
        assert isinstance(target, Target)
        parse(bytes(out))  # whatever we send is valid SIP


_CAPTURED = [parse(p.read_bytes()) for p in CAPTURES]
# Values that parse but lead the server down its odd paths: our own Route with a dead flow,
# `.invalid` hosts, IPv6, loops through ourselves, Max-Forwards at the edges, odd tags.
_TRICKY = [
    "<sip:127.0.0.1:5060;lr>",
    "<sip:127.0.0.1:5060;lr;flow=ws-999>",
    "<sip:127.0.0.1:5060;lr>, <sip:192.0.2.1:5070;lr>",
    "<sip:127.0.0.1:5060;lr;transport=ws;flow=ws-1>, <sip:127.0.0.1:5060;lr>",
    "<sip:bob@abc.invalid;transport=ws>",
    "<sip:bob@[::1]:5060>",
    "<sip:bob@127.0.0.1:5060>;expires=0",
    "<sip:bob@127.0.0.1>;expires=30",
    "<tel:+15551234>",
    "*",
    "<sip:alice@127.0.0.1>;tag=" + "x" * 30,
    "<sip:bob@127.0.0.1>",
    "sip:bob@127.0.0.1",
    "0",
    "1",
    "255",
    "1 INVITE",
    "2 BYE",
    "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKloop",
    "SIP/2.0/WS abc.invalid;branch=z9hG4bKws;rport",
    "SIP/2.0/TCP [::1]:5060;branch=z9hG4bKv6",
    "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKnat;rport;received=10.0.0.1",
    'Digest username="alice", realm="127.0.0.1", nonce="x", uri="sip:a", response="0"',
]


@settings(max_examples=300)
@given(
    index=st.integers(0, len(_CAPTURED) - 1),
    header=st.sampled_from(["Via", "Route", "Contact", "To", "From", "Max-Forwards", "CSeq",
                            "Proxy-Authorization", "Authorization", "Expires", "Record-Route"]),
    value=st.sampled_from(_TRICKY) | st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=60
    ),
)  # fmt: skip
def test_mangled_headers_are_answered_or_dropped(index: int, header: str, value: str) -> None:
    h = Harness()
    original = _CAPTURED[index]
    headers = original.headers.mutable()
    headers.set(header, value)
    try:
        message = parse(bytes(original.with_headers(headers)))
    except ParseError:
        return  # the transport answers these; the core never sees them
    h.core.receive(message, ALICE.origin, h.now)
    h.advance(40)
    for out, _ in h.core.messages_to_send():
        parse(bytes(out))
