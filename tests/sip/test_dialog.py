"""Tests for webphone.sip.dialog, replaying alice's and bob's captured call (JsSIP, Kamailio)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from webphone.sip import InvalidStateError, ParseError, Request, Response, parse, parse_sip_uri
from webphone.sip.builders import MAX_FORWARDS, UserAgentConfig, info_dtmf, with_credentials
from webphone.sip.dialog import Dialog, DialogId, DialogState
from webphone.sip.ids import MAGIC_COOKIE, Ids, seeded

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sip"
EARLY, CONFIRMED, TERMINATED = DialogState.EARLY, DialogState.CONFIRMED, DialogState.TERMINATED


def request(number: str) -> Request:
    (path,) = FIXTURES.glob(f"{number}-*.sip")
    message = parse(path.read_bytes())
    assert isinstance(message, Request)
    return message


def response(number: str) -> Response:
    (path,) = FIXTURES.glob(f"{number}-*.sip")
    message = parse(path.read_bytes())
    assert isinstance(message, Response)
    return message


def edited(message: Request | Response, **headers: str) -> Request | Response:
    """The message with headers set (`Record_Route` for Record-Route); "" removes one."""
    mutable = message.headers.mutable()
    for key, value in headers.items():
        name = key.replace("_", "-")
        if value:
            mutable.set(name, value)
        else:
            mutable.remove(name)
    return message.with_headers(mutable)


def edited_response(message: Response, **headers: str) -> Response:
    out = edited(message, **headers)
    assert isinstance(out, Response)
    return out


def edited_request(message: Request, **headers: str) -> Request:
    out = edited(message, **headers)
    assert isinstance(out, Request)
    return out


ALICE = UserAgentConfig(
    aor=parse_sip_uri("sip:alice@127.0.0.1"),
    contact=parse_sip_uri("sip:hojvgjdp@pepgsjcv4lq1.invalid;transport=ws"),
    via_host="pepgsjcv4lq1.invalid",
    user_agent="JsSIP 3.13.8",
)
BOB = UserAgentConfig(
    aor=parse_sip_uri("sip:bob@127.0.0.1"),
    contact=parse_sip_uri("sip:699epbu6@qvfivkdsv13b.invalid;transport=ws"),
    via_host="qvfivkdsv13b.invalid",
    user_agent="JsSIP 3.13.8",
)


def alice_dialog(ids: Ids | None = None) -> Dialog:
    """alice's dialog as JsSIP had it: her INVITE (10) and the 200 OK Kamailio forwarded (17)."""
    return Dialog.uac(request("10"), response("17"), ALICE, ids or seeded(1))


def bob_dialog(ids: Ids | None = None) -> Dialog:
    """bob's dialog: the INVITE Kamailio forwarded (12), answered with his tag (16)."""
    tag = response("16").to.tag or ""
    return Dialog.uas(request("12"), tag, BOB, ids or seeded(2), confirmed=True)


def assert_same_dialog_fields(ours: Request, captured: Request) -> None:
    """What a dialog decides; branches, SDP and JsSIP's Max-Forwards 69 aside."""
    assert ours.method == captured.method
    assert ours.uri == captured.uri
    assert ours.routes == captured.routes
    assert ours.to == captured.to and ours.from_ == captured.from_
    assert ours.call_id == captured.call_id
    assert ours.cseq == captured.cseq
    assert ours.via.branch and ours.via.branch.startswith(MAGIC_COOKIE)
    assert ours.via.branch != captured.via.branch
    assert ours.max_forwards == MAX_FORWARDS
    assert parse(bytes(ours)) == ours


# -- alice, the caller -----------------------------------------------------------------------


def test_uac_dialog_from_invite_and_200() -> None:
    dialog = alice_dialog()
    assert dialog.state is CONFIRMED and dialog.is_uac and not dialog.secure
    assert dialog.id == DialogId("q89i9u3iom7h7fcrajj5", "3ctoc1p2t3", "atr6i0q23a")
    assert dialog.call_id == dialog.id.call_id
    assert dialog.local_uri == ALICE.aor and dialog.remote_uri == parse_sip_uri("sip:bob@127.0.0.1")
    assert dialog.remote_target == response("17").contacts[0].uri  # with Kamailio's ;alias
    assert dialog.route_set == tuple(rr.uri for rr in response("17").record_routes)
    assert (dialog.local_seq, dialog.remote_seq) == (5713, None)


def test_alice_requests_are_the_captured_ones() -> None:
    """ACK, hold, its ACK, unhold, its ACK, DTMF INFO and BYE: alice's 18 to 40."""
    dialog = alice_dialog()
    ack = dialog.ack(request("10"))
    assert_same_dialog_fields(ack, request("18"))
    assert ack.header("proxy-authorization") == request("10").header("proxy-authorization")

    hold = dialog.create_request("INVITE", request("20").body, "application/sdp")
    assert_same_dialog_fields(hold, request("20"))
    assert hold.contacts == request("20").contacts and hold.body == request("20").body
    assert dialog.receive_response(response("25")) is CONFIRMED
    assert_same_dialog_fields(dialog.ack(hold), request("26"))

    unhold = dialog.create_request("INVITE", request("28").body, "application/sdp")
    assert_same_dialog_fields(unhold, request("28"))
    assert dialog.receive_response(response("33")) is CONFIRMED
    assert_same_dialog_fields(dialog.ack(unhold), request("34"))

    info = info_dtmf(dialog, "1", 100)
    assert_same_dialog_fields(info, request("36"))
    assert info.body == request("36").body and info.content_type == "application/dtmf-relay"
    assert dialog.receive_response(response("39")) is CONFIRMED

    bye = dialog.create_request("BYE")
    assert_same_dialog_fields(bye, request("40"))
    assert bye.contacts == () and bye.body == b""
    assert dialog.receive_response(response("43")) is TERMINATED  # §15.1.1


def test_uac_early_then_confirmed_then_terminated() -> None:
    dialog = Dialog.uac(request("10"), response("15"), ALICE, seeded(3))  # 180 with To tag
    assert dialog.state is EARLY and dialog.id == alice_dialog().id
    assert dialog.receive_response(response("15")) is EARLY  # a 1xx again changes nothing
    with pytest.raises(InvalidStateError, match="EARLY"):
        dialog.ack(request("10"))
    assert dialog.receive_response(response("17")) is CONFIRMED
    assert dialog.remote_target == response("17").contacts[0].uri
    dialog.create_request("BYE")
    assert dialog.receive_response(response("43")) is TERMINATED
    assert dialog.receive_response(response("43")) is TERMINATED  # late retransmission
    with pytest.raises(InvalidStateError, match="terminated"):
        dialog.create_request("BYE")


def test_2xx_recomputes_the_early_route_set() -> None:
    early = edited_response(response("15"), Record_Route="<sip:early.example.com;lr>")
    dialog = Dialog.uac(request("10"), early, ALICE, seeded(3))
    assert [str(u) for u in dialog.route_set] == ["sip:early.example.com;lr"]
    final = edited_response(
        response("17"),
        Record_Route="<sip:p2.example.com;lr>, <sip:p1.example.com;lr>",
        Contact="<sip:bob@192.0.2.7>",
    )
    dialog.receive_response(final)
    # §13.2.2.4 / §12.1.2: from the 2xx, in reverse order.
    assert [str(u) for u in dialog.route_set] == ["sip:p1.example.com;lr", "sip:p2.example.com;lr"]
    assert str(dialog.remote_target) == "sip:bob@192.0.2.7"


def test_cancelled_call_ends_its_early_dialog() -> None:
    """The second call: 180 (52) makes an early dialog; CANCEL; the 487 (59) ends it (§12.3)."""
    dialog = Dialog.uac(request("47"), response("52"), ALICE, seeded(4))
    assert dialog.state is EARLY
    assert dialog.receive_response(response("59")) is TERMINATED


def test_forked_invite_makes_one_early_dialog_per_to_tag() -> None:
    invite = request("10")
    ringing_a = response("15")
    ringing_b = edited_response(
        ringing_a, To="<sip:bob@127.0.0.1>;tag=fork-b", Contact="<sip:bob@192.0.2.8;transport=ws>"
    )
    dialogs: dict[DialogId, Dialog] = {}
    for ringing in (ringing_a, ringing_b):
        dialog = Dialog.uac(invite, ringing, ALICE, seeded(5))
        dialogs[dialog.id] = dialog
    assert len(dialogs) == 2
    a, b = dialogs.values()
    assert a.id.call_id == b.id.call_id and a.id.local_tag == b.id.local_tag
    assert (a.id.remote_tag, b.id.remote_tag) == ("atr6i0q23a", "fork-b")
    assert str(b.remote_target) == "sip:bob@192.0.2.8;transport=ws"

    ok_b = edited_response(response("17"), To="<sip:bob@127.0.0.1>;tag=fork-b")
    key = DialogId.of_received(ok_b)
    assert key is not None and dialogs[key] is b
    assert b.matches(ok_b) and not a.matches(ok_b)
    assert b.receive_response(ok_b) is CONFIRMED and a.state is EARLY
    with pytest.raises(InvalidStateError, match="another dialog"):
        a.receive_response(ok_b)
    a.terminate()  # the UA core's choice for the forks that lost
    assert a.state is TERMINATED and b.state is CONFIRMED


def test_uac_refuses_what_creates_no_dialog() -> None:
    invite = request("10")
    with pytest.raises(InvalidStateError, match="100"):
        Dialog.uac(invite, response("11"), ALICE, seeded(1))
    with pytest.raises(InvalidStateError, match="To tag"):
        Dialog.uac(
            invite, edited_response(response("15"), To="<sip:bob@127.0.0.1>"), ALICE, seeded(1)
        )
    with pytest.raises(InvalidStateError, match="487"):
        Dialog.uac(request("47"), response("59"), ALICE, seeded(1))
    with pytest.raises(InvalidStateError, match="does not answer"):
        Dialog.uac(request("47"), response("17"), ALICE, seeded(1))
    with pytest.raises(InvalidStateError):
        Dialog.uac(request("40"), response("43"), ALICE, seeded(1))
    with pytest.raises(ParseError, match="Contact") as caught:
        Dialog.uac(invite, edited_response(response("17"), Contact=""), ALICE, seeded(1))
    assert caught.value.status == 400


def test_1xx_without_contact_waits_for_the_2xx() -> None:
    ringing = edited_response(response("15"), Contact="")
    dialog = Dialog.uac(request("10"), ringing, ALICE, seeded(1))
    assert dialog.remote_target == request("10").uri
    dialog.receive_response(response("17"))
    assert dialog.remote_target == response("17").contacts[0].uri


def test_2xx_without_to_tag_from_an_rfc2543_peer() -> None:
    ok = edited_response(response("17"), To="<sip:bob@127.0.0.1>")
    dialog = Dialog.uac(request("10"), ok, ALICE, seeded(1))
    assert dialog.id.remote_tag == "" and dialog.matches(ok)
    assert dialog.ack(request("10")).to.tag is None


# -- bob, the callee -------------------------------------------------------------------------


def test_uas_dialog_from_the_forwarded_invite() -> None:
    dialog = bob_dialog()
    assert dialog.state is CONFIRMED and not dialog.is_uac
    assert dialog.id == DialogId("q89i9u3iom7h7fcrajj5", "atr6i0q23a", "3ctoc1p2t3")
    assert dialog.remote_target == request("12").contacts[0].uri  # alice's, with ;alias
    # §12.1.1: the UAS keeps the Record-Route order.
    assert dialog.route_set == tuple(rr.uri for rr in request("12").record_routes)
    assert (dialog.local_seq, dialog.remote_seq) == (None, 5713)
    assert dialog.local_party == response("16").to and dialog.remote_party == request("12").from_


def test_bobs_bye_goes_to_alices_contact_through_the_route_set() -> None:
    dialog = bob_dialog()
    bye = dialog.create_request("BYE")
    assert bye.uri == request("12").contacts[0].uri
    assert [r.uri for r in bye.routes] == [rr.uri for rr in request("12").record_routes]
    assert bye.from_ == response("16").to and bye.to == request("12").from_
    assert bye.call_id == dialog.call_id and bye.cseq.method == "BYE"
    assert 0 < bye.cseq.seq < 2**31 and dialog.local_seq == bye.cseq.seq
    assert bye.vias[0].host == BOB.via_host
    assert parse(bytes(bye)) == bye
    assert dialog.create_request("OPTIONS").cseq.seq == bye.cseq.seq + 1  # §12.2.1.1
    assert bob_dialog(seeded(2)).create_request("BYE").cseq == bye.cseq  # deterministic


def test_bob_accepts_alices_requests_in_order() -> None:
    dialog = bob_dialog()
    assert dialog.receive_request(request("19")) is None  # the ACK
    assert dialog.receive_request(request("22")) is None  # hold re-INVITE, CSeq 5714
    assert dialog.remote_seq == 5714
    assert dialog.receive_request(request("27")) is None  # its ACK
    assert dialog.receive_request(request("30")) is None  # unhold, 5715
    assert dialog.receive_request(request("37")) is None  # INFO, 5716
    assert dialog.remote_target == request("12").contacts[0].uri
    assert dialog.receive_request(request("41")) is None  # BYE ends the dialog (§15.1.2)
    assert dialog.state is TERMINATED
    assert dialog.receive_request(request("41")) == 481


def test_out_of_order_cseq_is_rejected_with_500() -> None:
    dialog = bob_dialog()
    dialog.receive_request(request("30"))  # 5715
    assert dialog.check_request(request("22")) == 500  # 5714 after 5715 (§12.2.2)
    assert dialog.receive_request(request("22")) == 500
    assert dialog.remote_seq == 5715  # a rejected request changes nothing
    assert dialog.check_request(request("30")) is None  # the same number: a retransmission
    assert dialog.check_request(request("19")) is None  # an ACK is never rejected


def test_requests_of_another_dialog_get_481() -> None:
    dialog = bob_dialog()
    stranger = edited_request(request("41"), From="<sip:alice@127.0.0.1>;tag=other")
    assert dialog.check_request(stranger) == 481
    assert dialog.check_request(edited_request(request("41"), Call_ID="other")) == 481
    assert dialog.check_request(request("12")) == 481  # no To tag: not in any dialog


def test_target_refresh_by_request_and_by_2xx() -> None:
    moved = "<sip:alice@192.0.2.10;transport=ws>"
    bob = bob_dialog()
    bob.receive_request(edited_request(request("22"), Contact=moved))
    assert str(bob.remote_target) == "sip:alice@192.0.2.10;transport=ws"  # §12.2.2

    alice = alice_dialog()
    update = alice.create_request("UPDATE")
    assert update.contacts[0].uri == ALICE.dialog_contact and "UPDATE" in update.headers.values(
        "allow"
    )
    ok = edited_response(response("25"), CSeq=f"{update.cseq.seq} UPDATE", Contact=moved)
    alice.receive_response(ok)
    assert str(alice.remote_target) == "sip:alice@192.0.2.10;transport=ws"  # §12.2.1.2
    info_ok = edited_response(response("39"), Contact="<sip:elsewhere.example.com>")
    alice.receive_response(info_ok)  # INFO is no target refresh
    assert str(alice.remote_target) == "sip:alice@192.0.2.10;transport=ws"


@pytest.mark.parametrize("status", [408, 481])
def test_408_or_481_ends_the_dialog(status: int) -> None:
    dialog = alice_dialog()
    dialog.create_request("INFO", b"x", "text/plain")
    failed = response("39").replace(status=status, reason="x")
    assert dialog.receive_response(failed) is TERMINATED  # §12.2.1.2


def test_alice_and_bob_talk_to_each_other() -> None:
    """An in-memory pair: what one dialog sends, the other accepts (the proxy aside)."""
    alice, bob = alice_dialog(), bob_dialog()
    reinvite = bob.create_request("INVITE", b"v=0\r\n")
    assert DialogId.of_sent(reinvite) == bob.id
    assert DialogId.of_received(reinvite) == alice.id
    assert alice.receive_request(reinvite) is None
    assert alice.remote_seq == reinvite.cseq.seq  # it was empty (§12.2.2)
    assert alice.remote_target == BOB.dialog_contact
    ok = Response(200, "OK", reinvite.headers, b"")
    assert DialogId.of_sent(ok) == alice.id
    assert bob.receive_response(ok) is CONFIRMED
    bob_ack = bob.ack(reinvite)
    assert bob_ack.cseq.seq == reinvite.cseq.seq and bob_ack.cseq.method == "ACK"
    assert alice.receive_request(bob_ack) is None
    assert alice.receive_request(bob.create_request("BYE")) is None
    assert alice.state is TERMINATED


def test_callee_must_not_send_bye_on_an_early_dialog() -> None:
    callee = Dialog.uas(request("12"), "tag", BOB, seeded(1))
    assert callee.state is EARLY
    with pytest.raises(InvalidStateError, match="§15"):
        callee.create_request("BYE")
    with pytest.raises(InvalidStateError, match=r"§14\.1"):
        callee.create_request("INVITE")
    callee.create_request("UPDATE")  # other requests are fine (RFC 3311)
    callee.confirm()  # the 2xx is sent
    assert callee.create_request("BYE").method == "BYE"
    caller = Dialog.uac(request("10"), response("15"), ALICE, seeded(1))
    assert caller.create_request("BYE").method == "BYE"  # the caller may (§15)


def test_uas_refuses_an_invite_without_contact() -> None:
    with pytest.raises(ParseError, match="Contact"):
        Dialog.uas(edited_request(request("12"), Contact=""), "tag", BOB, seeded(1))
    with pytest.raises(InvalidStateError):
        Dialog.uas(request("12"), "", BOB, seeded(1))
    with pytest.raises(InvalidStateError, match="without To tag"):
        Dialog.uas(request("22"), "atr6i0q23a", BOB, seeded(1))  # a re-INVITE


# -- routing, security, misuse ---------------------------------------------------------------

STRICT_INVITE = b"""INVITE sips:bob@example.com SIP/2.0\r
Via: SIP/2.0/TLS alice.example.com;branch=z9hG4bKs1\r
Max-Forwards: 70\r
To: <sips:bob@example.com>\r
From: "Alice" <sips:alice@example.com>;tag=a1\r
Call-ID: strict-1\r
CSeq: 1 INVITE\r
Contact: <sips:alice@alice.example.com>\r
Content-Length: 0\r
\r
"""
STRICT_OK = b"""SIP/2.0 200 OK\r
Via: SIP/2.0/TLS alice.example.com;branch=z9hG4bKs1\r
Record-Route: <sips:p2.example.com;lr>\r
Record-Route: <sips:p1.example.com;maddr=192.0.2.1>\r
To: <sips:bob@example.com>;tag=b1\r
From: "Alice" <sips:alice@example.com>;tag=a1\r
Call-ID: strict-1\r
CSeq: 1 INVITE\r
Contact: <sips:bob@192.0.2.4>\r
Content-Length: 0\r
\r
"""


def test_strict_routing() -> None:
    invite, ok = parse(STRICT_INVITE), parse(STRICT_OK)
    assert isinstance(invite, Request) and isinstance(ok, Response)
    dialog = Dialog.uac(invite, ok, ALICE, seeded(1))
    assert dialog.secure  # TLS and a SIPS Request-URI (§12.1.2)
    # reversed: p1 first, and it has no `lr`: the route set is strict (§12.2.1.1)
    assert [str(u) for u in dialog.route_set] == [
        "sips:p1.example.com;maddr=192.0.2.1",
        "sips:p2.example.com;lr",
    ]
    bye = dialog.create_request("BYE")
    assert str(bye.uri) == "sips:p1.example.com;maddr=192.0.2.1"
    assert [str(r.uri) for r in bye.routes] == ["sips:p2.example.com;lr", "sips:bob@192.0.2.4"]
    assert bye.from_.display_name == "Alice"
    assert parse(bytes(bye)) == bye
    uas = Dialog.uas(invite, "b1", BOB, seeded(1))
    assert uas.secure and uas.route_set == ()
    assert uas.create_request("INFO", b"x", "text/plain").uri == parse_sip_uri(
        "sips:alice@alice.example.com"
    )


def test_secure_needs_both_tls_and_sips() -> None:
    assert not alice_dialog().secure
    for transport, secure in [(b"TLS", True), (b"WSS", True), (b"WS", False), (b"TCP", False)]:
        invite = parse(STRICT_INVITE.replace(b"SIP/2.0/TLS", b"SIP/2.0/" + transport))
        assert isinstance(invite, Request)
        assert Dialog.uas(invite, "b1", BOB, seeded(1)).secure is secure
    plain = parse(STRICT_INVITE.replace(b"INVITE sips:", b"INVITE sip:"))
    assert isinstance(plain, Request) and not Dialog.uas(plain, "b1", BOB, seeded(1)).secure


def test_illegal_transitions_raise_from_x_to_y() -> None:
    dialog = alice_dialog()
    with pytest.raises(InvalidStateError, match="from CONFIRMED to CONFIRMED"):
        dialog.confirm()
    dialog.terminate()
    with pytest.raises(InvalidStateError, match="from TERMINATED to TERMINATED"):
        dialog.terminate()
    with pytest.raises(InvalidStateError, match="from TERMINATED to CONFIRMED"):
        dialog.confirm()


def test_transitions_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="webphone.sip.dialog"):
        Dialog.uac(request("47"), response("52"), ALICE, seeded(1)).receive_response(response("59"))
    assert "EARLY -> TERMINATED" in caplog.text


def test_misuse() -> None:
    dialog = alice_dialog()
    for method in ("ACK", "CANCEL"):
        with pytest.raises(InvalidStateError, match="ack"):
            dialog.create_request(method)
    with pytest.raises(InvalidStateError, match="another dialog"):
        dialog.ack(request("47"))
    with pytest.raises(InvalidStateError, match="another dialog"):
        dialog.with_credentials(request("47"), "Proxy-Authorization", "x")


def test_in_dialog_retry_with_credentials_takes_the_next_cseq() -> None:
    dialog = alice_dialog()
    hold = dialog.create_request("INVITE", b"v=0\r\n")
    retry = dialog.with_credentials(hold, "Proxy-Authorization", "Digest x")
    assert retry.cseq.seq == hold.cseq.seq + 1 == dialog.local_seq
    assert retry.header("proxy-authorization") == "Digest x" and retry.via.branch != hold.via.branch
    assert dialog.create_request("BYE").cseq.seq == retry.cseq.seq + 1
    ack = dialog.ack(retry)
    assert ack.cseq.seq == retry.cseq.seq and ack.header("proxy-authorization") == "Digest x"
    # outside a dialog the builder alone does it
    assert with_credentials(hold, seeded(1), "Authorization", "y").cseq.seq == hold.cseq.seq + 1


def test_info_dtmf() -> None:
    dialog = alice_dialog()
    assert info_dtmf(dialog, "#", 250).body == b"Signal=#\r\nDuration=250"
    assert info_dtmf(dialog, "a").body == b"Signal=A\r\nDuration=100"
    for digit in ("", "12", "x", "E"):
        with pytest.raises(ValueError, match="DTMF"):
            info_dtmf(dialog, digit)
    with pytest.raises(ValueError, match="duration"):
        info_dtmf(dialog, "1", 0)
