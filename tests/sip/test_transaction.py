"""Tests for the transaction layer: all four machines on UDP and WS, driven by a simulated clock.

Time only moves by `handle_timer(now=layer.get_timer())`; messages are captures from JsSIP,
Kamailio and SIPp (tests/fixtures/sip) wherever a realistic one exists.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webphone.sip.builders import make_response
from webphone.sip.errors import InvalidStateError
from webphone.sip.events import (
    AckReceived,
    Event,
    RequestReceived,
    ResponseReceived,
    StrayResponseReceived,
    TransactionTerminated,
    TransactionTimedOut,
    TransportFailed,
)
from webphone.sip.headers import MutableHeaders
from webphone.sip.ids import MAGIC_COOKIE, seeded
from webphone.sip.message import Message, Request, Response, parse
from webphone.sip.timers import (
    T1,
    T2,
    T4,
    TIMER_A,
    TIMER_B,
    TIMER_C,
    TIMER_D,
    TIMER_E,
    TIMER_F,
    TIMER_G,
    TIMER_H,
    TIMER_I,
    TIMER_J,
    TIMER_K,
    TIMER_L,
    TIMER_M,
    TRYING_DELAY,
    Action,
    Input,
    Transaction,
    Trigger,
)
from webphone.sip.transaction import (
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ClientTransaction,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    ServerTransaction,
    State,
    Timer,
    TimerSettings,
    TransactionLayer,
    make_ack,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "sip"


def load(number: str) -> Message:
    (path,) = FIXTURES.glob(f"{number}-*.sip")
    return parse(path.read_bytes())


def request(number: str) -> Request:
    message = load(number)
    assert isinstance(message, Request)
    return message


def response(number: str) -> Response:
    message = load(number)
    assert isinstance(message, Response)
    return message


def drain(layer: TransactionLayer) -> list[Event]:
    events = []
    while (event := layer.next_event()) is not None:
        events.append(event)
    return events


def run_timers(layer: TransactionLayer, until: float = 1e9) -> list[tuple[float, Message]]:
    """Fire the timers up to `until` as the glue would; (time, message) for each message sent."""
    sent = []
    while (deadline := layer.get_timer()) is not None and deadline <= until:
        layer.handle_timer(now=deadline)
        sent += [(deadline, m) for m in layer.messages_to_send()]
    return sent


M = TypeVar("M", Request, Response)


def with_branch(message: M, branch: str | None) -> M:
    """`message` with its top Via's branch replaced (or removed)."""
    via = message.via
    params = tuple((k, v) for k, v in via.params if k.lower() != "branch")
    if branch is not None:
        params += (("branch", branch),)
    headers = message.headers.mutable()
    headers.pop_first("via")
    headers.prepend("Via", str(dataclasses.replace(via, params=params)))
    return message.with_headers(headers)


def state_of(layer: TransactionLayer, transaction_id: str) -> State:
    tx = layer.get(transaction_id)
    assert tx is not None
    return tx.state


def without(message: Message, *names: str) -> list[tuple[str, str]]:
    drop = {n.lower() for n in names}
    return [(n, v) for n, v in message.headers if n.lower() not in drop]


TRANSPORTS = pytest.mark.parametrize("reliable", [False, True], ids=["udp", "ws"])
JSSIP_EXTRAS = ("Allow", "Supported", "User-Agent")  # JsSIP adds these to its ACK and CANCEL


# Timer values (RFC 3261 Table 4, RFC 6026 §8).


def test_timer_constants() -> None:
    assert (T1, T2, T4) == (0.5, 4.0, 5.0)
    assert (TIMER_A, TIMER_B, TIMER_D, TIMER_E, TIMER_F, TIMER_G) == (0.5, 32, 32, 0.5, 32, 0.5)
    assert (TIMER_H, TIMER_I, TIMER_J, TIMER_K, TIMER_L, TIMER_M) == (32, 5, 32, 5, 32, 32)
    assert TIMER_C > 180
    assert TRYING_DELAY == 0.2


@pytest.mark.parametrize(
    ("timer", "udp", "reliable"),
    [
        (Timer.A, 0.5, None),
        (Timer.B, 32, 32),
        (Timer.D, 32, 0),
        (Timer.E, 0.5, None),
        (Timer.F, 32, 32),
        (Timer.G, 0.5, None),
        (Timer.H, 32, 32),
        (Timer.I, 5, 0),
        (Timer.J, 32, 0),
        (Timer.K, 5, 0),
        (Timer.L, 32, 32),
        (Timer.M, 32, 32),
        (Timer.TRYING, 0.2, 0.2),
    ],
)
def test_timer_durations(timer: Timer, udp: float, reliable: float | None) -> None:
    assert TimerSettings().duration(timer, reliable=False) == udp
    assert TimerSettings().duration(timer, reliable=True) == reliable


def test_back_off() -> None:
    s = TimerSettings()
    assert [s.back_off(Timer.A, x) for x in (0.5, 4, 16)] == [1, 8, 32]  # A is not capped
    assert [s.back_off(Timer.E, x) for x in (0.5, 2, 4)] == [1, 4, 4]
    assert [s.back_off(Timer.G, x) for x in (1, 2, 4)] == [2, 4, 4]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"t1": 0}, "t1"),
        ({"t1": -1}, "t1"),
        ({"t2": float("nan")}, "t2"),
        ({"t4": "5"}, "t4"),
        ({"t1": 5.0}, "t2"),  # t2 < t1
        ({"trying_delay": -0.1}, "trying_delay"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"TimerSettings.{field}"):
        TimerSettings(**kwargs)


def test_custom_t1_scales_the_timers() -> None:
    layer = TransactionLayer(seeded(1), TimerSettings(t1=1.0, t2=8.0))
    tx = layer.send_request(request("03"), 0.0, reliable=False)
    layer.messages_to_send()
    sent = run_timers(layer)
    assert [t for t, _ in sent] == [1, 3, 7, 15, 23, 31, 39, 47, 55, 63]  # F at 64*T1
    assert drain(layer)[0] == TransactionTimedOut(tx.id, Timer.F)


# The INVITE client transaction (§17.1.1, RFC 6026 §8.4).


def test_client_invite_timer_a_doubles_until_timer_b() -> None:
    invite = request("10")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(invite, 0.0, reliable=False)
    assert isinstance(tx, ClientInviteTransaction)
    assert state_of(layer, tx.id) is State.CALLING
    assert layer.messages_to_send() == [invite]
    assert layer.get_timer() == 0.5
    sent = run_timers(layer, until=31.9)
    assert sent == [
        (t, invite) for t in (0.5, 1.5, 3.5, 7.5, 15.5, 31.5)
    ]  # 500 ms, 1, 2, 4, 8, 16 s
    assert layer.get_timer() == 32.0
    layer.handle_timer(now=32.0)
    assert drain(layer) == [TransactionTimedOut(tx.id, "B"), TransactionTerminated(tx.id)]
    assert (layer.get_timer(), layer.messages_to_send(), len(layer)) == (None, [], 0)
    assert tx.state is State.TERMINATED


def test_client_invite_on_ws_has_no_timer_a_but_timer_b() -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("10"), 0.0)  # the Via says WS: reliable
    assert tx.reliable
    layer.messages_to_send()
    assert layer.get_timer() == 32.0
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTimedOut(tx.id, Timer.B), TransactionTerminated(tx.id)]


@TRANSPORTS
def test_client_invite_calling_to_proceeding(reliable: bool) -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("10"), 0.0, reliable=reliable)
    layer.messages_to_send()
    trying, ringing = response("11"), response("15")
    layer.receive(trying, 0.1)
    assert tx.state is State.PROCEEDING
    assert drain(layer) == [ResponseReceived(tx.id, trying)]
    assert layer.get_timer() is None  # no retransmission, no Timer B in Proceeding
    layer.receive(ringing, 0.2)
    layer.receive(ringing, 0.3)  # every provisional passes up
    assert drain(layer) == [ResponseReceived(tx.id, ringing)] * 2
    assert tx.state is State.PROCEEDING
    assert layer.messages_to_send() == []


@TRANSPORTS
@pytest.mark.parametrize("first", ["calling", "proceeding"])
def test_client_invite_2xx_passes_up_and_accepted_lasts_timer_m(reliable: bool, first: str) -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("10"), 0.0, reliable=reliable)
    layer.messages_to_send()
    if first == "proceeding":
        layer.receive(response("15"), 0.1)
    drain(layer)
    ok = response("17")
    layer.receive(ok, 1.0)
    assert tx.state is State.ACCEPTED
    assert drain(layer) == [ResponseReceived(tx.id, ok)]
    assert layer.messages_to_send() == []  # the TU sends the ACK for a 2xx (§13.2.2.4)
    assert layer.get_timer() == 1.0 + 32
    # RFC 6026: a retransmitted 2xx and a 2xx from another fork pass up too ...
    forked_headers = ok.headers.mutable()
    forked_headers.set("To", "<sip:bob@127.0.0.1>;tag=other-fork")
    forked = ok.with_headers(forked_headers)
    layer.receive(ok, 2.0)
    layer.receive(forked, 3.0)
    assert drain(layer) == [ResponseReceived(tx.id, ok), ResponseReceived(tx.id, forked)]
    # ... but nothing else does, and nothing is sent
    layer.receive(response("15"), 4.0)
    layer.receive(ok.replace(status=486, reason="Busy Here"), 5.0)
    assert drain(layer) == []
    assert layer.messages_to_send() == []
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTerminated(tx.id)]
    # After Timer M the 2xx matches nothing.
    layer.receive(ok, 40.0)
    assert drain(layer) == [StrayResponseReceived(ok)]


def test_client_invite_407_is_acked_like_jssip() -> None:
    invite, challenge, jssip_ack = request("44"), response("45"), request("46")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(invite, 0.0, reliable=False)
    layer.messages_to_send()
    layer.receive(challenge, 0.1)
    assert drain(layer) == [ResponseReceived(tx.id, challenge)]
    assert tx.state is State.COMPLETED
    (ack,) = layer.messages_to_send()
    assert isinstance(ack, Request)
    assert (ack.method, ack.uri) == ("ACK", jssip_ack.uri)
    assert list(ack.headers) == without(jssip_ack, *JSSIP_EXTRAS)
    # A retransmitted 407 is ACKed again, not passed up; Timer D is 32 s on UDP.
    layer.receive(challenge, 2.0)
    assert layer.messages_to_send() == [ack]
    assert drain(layer) == []
    assert layer.get_timer() == 0.1 + 32
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTerminated(tx.id)]


def test_client_invite_on_ws_terminates_at_once_after_the_ack() -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("44"), 0.0)
    layer.messages_to_send()
    challenge = response("45")
    layer.receive(challenge, 0.1)  # Timer D is 0 on WS
    assert drain(layer) == [ResponseReceived(tx.id, challenge), TransactionTerminated(tx.id)]
    assert [m.method for m in layer.messages_to_send() if isinstance(m, Request)] == ["ACK"]
    assert (layer.get_timer(), len(layer)) == (None, 0)
    layer.receive(challenge, 0.2)
    assert drain(layer) == [StrayResponseReceived(challenge)]


@TRANSPORTS
def test_client_invite_proceeding_to_completed_acks_the_487(reliable: bool) -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("47"), 0.0, reliable=reliable)
    layer.receive(response("52"), 0.1)  # 180
    layer.receive(response("59"), 0.4)  # 487 after alice's CANCEL
    assert tx.state is (State.TERMINATED if reliable else State.COMPLETED)
    sent = layer.messages_to_send()
    assert sent[0] == request("47")
    assert list(sent[1].headers) == without(request("60"), *JSSIP_EXTRAS)
    assert [type(e) for e in drain(layer)] == [ResponseReceived, ResponseReceived] + (
        [TransactionTerminated] if reliable else []
    )


def test_the_ack_for_a_forwarded_invite_is_byte_for_byte_kamailios() -> None:
    # Kamailio forwarded alice's INVITE to bob (49), got 487 (57) and ACKed it (58) itself.
    layer = TransactionLayer(seeded(1))
    layer.send_request(request("49"), 0.0)
    layer.receive(response("57"), 0.3)
    assert [bytes(m) for m in layer.messages_to_send()[1:]] == [bytes(request("58"))]


def test_make_ack_keeps_the_routes_and_only_the_top_via() -> None:
    invite = request("10")
    headers = invite.headers.mutable()
    headers.add("Via", "SIP/2.0/UDP proxy.example;branch=z9hG4bKlower")
    headers.add("Route", "<sip:p1.example;lr>, <sip:p2.example;lr>")
    headers.add("Route", "<sip:p3.example;lr>")
    invite = invite.with_headers(headers)
    ack = make_ack(invite, response("45").replace(status=603))
    assert ack.headers.get_all("via") == [invite.headers.values("via")[0]]
    assert ack.headers.get_all("route") == invite.headers.get_all("route")
    assert (ack.cseq.seq, ack.cseq.method, ack.call_id) == (5713, "ACK", invite.call_id)
    assert ack.to.tag == "9dd61ff61e802d8e2bef5f14621ef3c2.8b380000"
    assert ack.max_forwards == 69
    assert ack.headers.get("content-length") == "0"


def test_make_ack_adds_max_forwards_when_the_invite_has_none() -> None:
    invite = request("10")
    headers = invite.headers.mutable()
    headers.remove("max-forwards")
    ack = make_ack(invite.with_headers(headers), response("45"))
    assert ack.max_forwards == 70


@pytest.mark.parametrize("state", ["calling", "proceeding", "completed"])
def test_client_invite_transport_error(state: str) -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("44"), 0.0, reliable=False)
    if state == "proceeding":
        layer.receive(make_response(request("44"), 100), 0.1)
    if state == "completed":
        layer.receive(response("45"), 0.1)
    drain(layer)
    layer.transport_failed(tx.id, 0.5)
    assert drain(layer) == [TransportFailed(tx.id), TransactionTerminated(tx.id)]
    assert (layer.get_timer(), len(layer)) == (None, 0)
    layer.transport_failed(tx.id, 0.6)  # gone: ignored
    assert drain(layer) == []


def test_client_invite_abandoned_in_proceeding() -> None:
    # §9.1: no final response 64*T1 after the CANCEL; the transaction has no timer to end it.
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("47"), 0.0)
    layer.receive(response("52"), 0.1)
    cancel = layer.send_request(request("53"), 0.3)
    layer.receive(response("55"), 0.31)
    drain(layer)
    assert layer.get_timer() is None
    layer.abandon(tx.id, 32.3)
    assert drain(layer) == [TransactionTerminated(tx.id)]
    assert len(layer) == 0
    layer.abandon(tx.id, 32.4)  # gone: ignored
    with pytest.raises(InvalidStateError, match="only an INVITE client transaction"):
        layer.abandon(layer.send_request(request("03"), 33.0).id, 33.0)
    assert cancel.state is State.TERMINATED


def test_client_invite_transport_error_in_accepted_is_ignored() -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("10"), 0.0)
    layer.receive(response("17"), 0.1)
    drain(layer)
    layer.transport_failed(tx.id, 0.2)
    assert drain(layer) == []
    assert tx.state is State.ACCEPTED


# The non-INVITE client transaction (§17.1.2).


def test_client_non_invite_timer_e_doubles_up_to_t2_until_timer_f() -> None:
    register = request("03")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(register, 0.0, reliable=False)
    assert isinstance(tx, ClientNonInviteTransaction)
    assert tx.state is State.TRYING
    assert layer.messages_to_send() == [register]
    sent = run_timers(layer, until=31.9)
    times = [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]  # 0.5, 1, 2, 4, 4, 4 ...
    assert sent == [(t, register) for t in times]
    assert layer.get_timer() == 32.0
    layer.handle_timer(now=32.0)
    assert drain(layer) == [TransactionTimedOut(tx.id, "F"), TransactionTerminated(tx.id)]
    assert len(layer) == 0


def test_client_non_invite_on_ws_only_timer_f() -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("03"), 0.0)
    layer.messages_to_send()
    assert layer.get_timer() == 32.0
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTimedOut(tx.id, "F"), TransactionTerminated(tx.id)]


def test_client_non_invite_proceeding_retransmits_every_t2_until_timer_f() -> None:
    register = request("03")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(register, 0.0, reliable=False)
    layer.messages_to_send()
    trying = make_response(register, 100)
    layer.receive(trying, 0.2)
    assert tx.state is State.PROCEEDING
    assert drain(layer) == [ResponseReceived(tx.id, trying)]
    sent = run_timers(layer)
    assert [t for t, _ in sent] == [0.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5]
    assert drain(layer) == [TransactionTimedOut(tx.id, "F"), TransactionTerminated(tx.id)]


@TRANSPORTS
@pytest.mark.parametrize("first", ["trying", "proceeding"])
def test_client_non_invite_final_response_and_timer_k(reliable: bool, first: str) -> None:
    register, challenge = request("03"), response("04")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(register, 0.0, reliable=reliable)
    if first == "proceeding":
        layer.receive(make_response(register, 100), 0.05)
        drain(layer)
    layer.receive(challenge, 0.1)
    if reliable:  # Timer K is 0
        assert drain(layer) == [ResponseReceived(tx.id, challenge), TransactionTerminated(tx.id)]
        assert layer.get_timer() is None
        return
    assert drain(layer) == [ResponseReceived(tx.id, challenge)]
    assert tx.state is State.COMPLETED
    layer.receive(challenge, 1.0)  # a retransmission: absorbed
    layer.receive(make_response(register, 180), 1.0)
    assert drain(layer) == []
    assert layer.get_timer() == pytest.approx(0.1 + T4)
    layer.messages_to_send()
    assert run_timers(layer) == []  # Timer E stopped
    assert drain(layer) == [TransactionTerminated(tx.id)]


def test_client_non_invite_200_ok_from_capture() -> None:
    register, ok = request("05"), response("06")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(register, 0.0)
    layer.receive(ok, 0.1)
    assert drain(layer) == [ResponseReceived(tx.id, ok), TransactionTerminated(tx.id)]


@pytest.mark.parametrize("state", ["trying", "proceeding"])
def test_client_non_invite_transport_error(state: str) -> None:
    register = request("03")
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(register, 0.0, reliable=False)
    if state == "proceeding":
        layer.receive(make_response(register, 100), 0.1)
        drain(layer)
    layer.transport_failed(tx.id, 0.2)
    assert drain(layer) == [TransportFailed(tx.id), TransactionTerminated(tx.id)]
    assert layer.get_timer() is None


def test_client_non_invite_transport_error_in_completed_is_ignored() -> None:
    layer = TransactionLayer(seeded(1))
    tx = layer.send_request(request("03"), 0.0, reliable=False)
    layer.receive(response("04"), 0.1)
    drain(layer)
    layer.transport_failed(tx.id, 0.2)
    assert drain(layer) == []
    assert tx.state is State.COMPLETED


# The INVITE server transaction (§17.2.1, RFC 6026 §8.5-8.7).

# Kamailio's INVITE as bob and SIPp's UAS receive it: WS (reliable) and UDP, told by the Via.
SERVER_INVITES = pytest.mark.parametrize("number", ["66", "12"], ids=["udp", "ws"])


def receive_invite(
    number: str, timers: TimerSettings | None = None
) -> tuple[TransactionLayer, str]:
    layer = TransactionLayer(seeded(1), timers)
    invite = request(number)
    layer.receive(invite, 0.0)
    (event,) = drain(layer)
    assert isinstance(event, RequestReceived)
    assert event.request == invite
    return layer, event.transaction_id


@SERVER_INVITES
def test_server_invite_sends_100_trying_after_200_ms(number: str) -> None:
    layer, tid = receive_invite(number)
    tx = layer.get(tid)
    assert isinstance(tx, ServerInviteTransaction)
    assert tx.state is State.PROCEEDING
    assert tx.reliable is (number == "12")
    assert layer.messages_to_send() == []
    assert layer.get_timer() == 0.2
    ((at, trying),) = run_timers(layer)
    invite = request(number)
    assert at == 0.2
    assert isinstance(trying, Response)
    assert (trying.status, trying.reason) == (100, "Trying")
    assert trying.headers.get_all("via") == invite.headers.get_all("via")
    assert (trying.from_, trying.to, trying.call_id, trying.cseq) == (
        invite.from_,
        invite.to,  # no tag in a 100 (§8.2.6.2)
        invite.call_id,
        invite.cseq,
    )
    assert layer.get_timer() is None
    layer.receive(invite, 0.6)  # a retransmission: absorbed, answered with the 100
    assert drain(layer) == []
    assert layer.messages_to_send() == [trying]


@SERVER_INVITES
def test_server_invite_no_100_trying_when_the_tu_answers_in_time(number: str) -> None:
    layer, _ = receive_invite(number)
    ringing = make_response(request(number), 180, to_tag="b0b")
    layer.send_response(ringing, 0.1)
    assert layer.messages_to_send() == [ringing]
    assert run_timers(layer) == []


def test_server_invite_100_trying_at_once_or_never() -> None:
    layer, _ = receive_invite("66", TimerSettings(trying_delay=0))
    (trying,) = layer.messages_to_send()
    assert isinstance(trying, Response) and trying.status == 100
    assert layer.get_timer() is None
    layer, _ = receive_invite("66", TimerSettings(trying_delay=None))
    assert layer.messages_to_send() == []
    assert layer.get_timer() is None


def test_100_trying_copies_timestamp() -> None:
    invite = request("66")
    headers = invite.headers.mutable()
    headers.add("Timestamp", "54.21 0.3")
    layer = TransactionLayer(seeded(1), TimerSettings(trying_delay=0))
    layer.receive(invite.with_headers(headers), 0.0)
    (trying,) = layer.messages_to_send()
    assert trying.headers.get("timestamp") == "54.21 0.3"


@SERVER_INVITES
def test_server_invite_retransmission_answered_with_last_provisional(number: str) -> None:
    invite = request(number)
    layer, _ = receive_invite(number, TimerSettings(trying_delay=None))
    layer.receive(invite, 0.1)  # nothing sent yet: nothing to repeat
    assert (drain(layer), layer.messages_to_send()) == ([], [])
    ringing = make_response(invite, 180, to_tag="b0b")
    progress = make_response(invite, 183, to_tag="b0b")
    layer.send_response(ringing, 0.2)
    layer.send_response(progress, 0.3)
    layer.messages_to_send()
    layer.receive(invite, 0.5)
    assert drain(layer) == []  # never delivered twice
    assert layer.messages_to_send() == [progress]


def test_server_invite_completed_retransmits_with_timer_g_until_timer_h() -> None:
    invite = request("66")
    layer, tid = receive_invite("66")
    busy = make_response(invite, 486, to_tag="b0b")
    layer.send_response(busy, 1.0)
    assert state_of(layer, tid) is State.COMPLETED
    assert layer.messages_to_send() == [busy]
    sent = run_timers(layer, until=32.9)
    times = [1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5]  # 0.5, 1, 2, 4, 4 ...
    assert sent == [(t, busy) for t in times]
    assert layer.get_timer() == 33.0
    layer.handle_timer(now=33.0)
    assert drain(layer) == [TransactionTimedOut(tid, "H"), TransactionTerminated(tid)]
    assert len(layer) == 0


def test_server_invite_on_ws_has_no_timer_g_but_timer_h() -> None:
    layer, tid = receive_invite("12")
    layer.send_response(make_response(request("12"), 486, to_tag="b0b"), 1.0)
    layer.messages_to_send()
    assert layer.get_timer() == 33.0
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTimedOut(tid, "H"), TransactionTerminated(tid)]


@SERVER_INVITES
def test_server_invite_completed_answers_retransmissions_with_the_final(number: str) -> None:
    invite = request(number)
    layer, _ = receive_invite(number)
    busy = make_response(invite, 486, to_tag="b0b")
    layer.send_response(busy, 0.1)
    layer.messages_to_send()
    layer.receive(invite, 0.3)
    assert layer.messages_to_send() == [busy]
    assert drain(layer) == []


def test_server_invite_ack_confirms_and_timer_i_absorbs_ack_retransmissions() -> None:
    invite = request("66")
    layer, tid = receive_invite("66")
    busy = make_response(invite, 486, to_tag="b0b")
    layer.send_response(busy, 0.1)
    ack = make_ack(invite, busy)
    layer.receive(ack, 0.6)
    assert state_of(layer, tid) is State.CONFIRMED
    assert layer.get_timer() == pytest.approx(0.6 + T4)
    layer.messages_to_send()
    layer.receive(ack, 1.0)
    layer.receive(invite, 1.1)
    assert (drain(layer), layer.messages_to_send()) == ([], [])
    assert run_timers(layer) == []  # Timer G stopped by the ACK
    assert drain(layer) == [TransactionTerminated(tid)]


def test_server_invite_captured_487_and_ack_on_ws_terminate_at_once() -> None:
    layer, tid = receive_invite("49")  # bob's view of call 2: INVITE, 487, ACK (58)
    layer.send_response(response("57"), 0.3)
    assert drain(layer) == []
    layer.receive(request("58"), 0.31)  # Timer I is 0 on WS
    assert drain(layer) == [TransactionTerminated(tid)]
    assert (layer.get_timer(), len(layer)) == (None, 0)


@SERVER_INVITES
def test_server_invite_2xx_accepted_until_timer_l(number: str) -> None:
    invite = request(number)
    layer, tid = receive_invite(number)
    ok = make_response(invite, 200, to_tag="b0b")
    layer.send_response(ok, 1.0)
    tx = layer.get(tid)
    assert tx is not None and tx.state is State.ACCEPTED
    assert layer.messages_to_send() == [ok]  # sent once: the TU retransmits a 2xx
    assert layer.get_timer() == 33.0  # Timer L; no G, no 100 Trying
    layer.receive(invite, 1.5)  # RFC 6026: absorbed, not passed up, not answered
    assert (drain(layer), layer.messages_to_send()) == ([], [])
    layer.send_response(ok, 2.0)  # the TU's 2xx retransmission goes through
    assert layer.messages_to_send() == [ok]
    ack_for_2xx = with_branch(make_ack(invite, ok), MAGIC_COOKIE + "ack2xx")
    layer.receive(ack_for_2xx, 2.5)  # its own branch: matches no transaction
    assert drain(layer) == [AckReceived(ack_for_2xx)]
    same_branch_ack = make_ack(invite, ok)  # some UAs reuse the INVITE's branch
    layer.receive(same_branch_ack, 2.6)
    assert drain(layer) == [AckReceived(same_branch_ack, tid)]
    assert tx.state is State.ACCEPTED
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTerminated(tid)]
    with pytest.raises(InvalidStateError, match="no server transaction"):
        layer.send_response(ok, 34.0)


def test_server_invite_captured_200_and_ack() -> None:
    layer, tid = receive_invite("12")
    layer.send_response(response("16"), 0.05)
    layer.receive(request("19"), 0.1)  # the ACK for the 200, with its own branch
    assert drain(layer) == [AckReceived(request("19"))]
    assert state_of(layer, tid) is State.ACCEPTED


@pytest.mark.parametrize(
    ("statuses", "message"),
    [
        ((486, 180), "1xx from TU is illegal from Completed to Proceeding"),
        ((486, 200), "2xx from TU is illegal from Completed to Accepted"),
        ((486, 603), "300-699 from TU is illegal from Completed to Completed"),
        ((200, 486), "300-699 from TU is illegal from Accepted to Completed"),
        ((200, 183), "1xx from TU is illegal from Accepted to Proceeding"),
    ],
)
def test_server_invite_illegal_responses(statuses: tuple[int, int], message: str) -> None:
    invite = request("66")
    layer, _ = receive_invite("66")
    first, second = statuses
    layer.send_response(make_response(invite, first, to_tag="b0b"), 0.1)
    with pytest.raises(InvalidStateError, match=message):
        layer.send_response(make_response(invite, second, to_tag="b0b"), 0.2)


def test_server_invite_response_in_confirmed_is_illegal() -> None:
    invite = request("66")
    layer, _ = receive_invite("66")
    busy = make_response(invite, 486, to_tag="b0b")
    layer.send_response(busy, 0.1)
    layer.receive(make_ack(invite, busy), 0.2)
    with pytest.raises(InvalidStateError, match="from Confirmed to Completed"):
        layer.send_response(busy, 0.3)


@pytest.mark.parametrize("state", ["proceeding", "completed"])
def test_server_invite_transport_error_terminates(state: str) -> None:
    invite = request("66")
    layer, tid = receive_invite("66")
    if state == "completed":
        layer.send_response(make_response(invite, 486, to_tag="b0b"), 0.1)
    layer.transport_failed(tid, 0.2)
    assert drain(layer) == [TransportFailed(tid), TransactionTerminated(tid)]
    assert (layer.get_timer(), len(layer)) == (None, 0)


def test_server_invite_transport_error_in_accepted_is_reported() -> None:
    invite = request("66")
    layer, tid = receive_invite("66")
    layer.send_response(make_response(invite, 200, to_tag="b0b"), 0.1)
    layer.transport_failed(tid, 0.2)
    assert drain(layer) == [TransportFailed(tid)]
    assert state_of(layer, tid) is State.ACCEPTED


# The non-INVITE server transaction (§17.2.2).


def receive_register(reliable: bool) -> tuple[TransactionLayer, str]:
    layer = TransactionLayer(seeded(1))
    layer.receive(request("03"), 0.0, reliable=reliable)
    (event,) = drain(layer)
    assert isinstance(event, RequestReceived)
    return layer, event.transaction_id


@TRANSPORTS
def test_server_non_invite_trying_absorbs_retransmissions(reliable: bool) -> None:
    layer, tid = receive_register(reliable)
    tx = layer.get(tid)
    assert isinstance(tx, ServerNonInviteTransaction)
    assert tx.state is State.TRYING
    layer.receive(request("03"), 0.5)
    assert (drain(layer), layer.messages_to_send(), layer.get_timer()) == ([], [], None)
    layer.transport_failed(tid, 0.6)  # nothing was sent: nothing failed
    assert drain(layer) == []


@TRANSPORTS
def test_server_non_invite_final_response_and_timer_j(reliable: bool) -> None:
    layer, tid = receive_register(reliable)
    challenge = response("04")  # Kamailio's 401 to that REGISTER
    layer.send_response(challenge, 0.1)
    assert layer.messages_to_send() == [challenge]
    if reliable:  # Timer J is 0
        assert drain(layer) == [TransactionTerminated(tid)]
        return
    assert state_of(layer, tid) is State.COMPLETED
    layer.receive(request("03"), 0.6)
    assert layer.messages_to_send() == [challenge]
    assert drain(layer) == []
    assert layer.get_timer() == 0.1 + 32
    assert run_timers(layer) == []
    assert drain(layer) == [TransactionTerminated(tid)]


@TRANSPORTS
def test_server_non_invite_proceeding(reliable: bool) -> None:
    register = request("03")
    layer, tid = receive_register(reliable)
    trying = make_response(register, 100)
    layer.send_response(trying, 0.1)
    assert state_of(layer, tid) is State.PROCEEDING
    layer.receive(register, 0.5)
    assert layer.messages_to_send() == [trying, trying]
    ok = make_response(register, 200, to_tag="reg")
    layer.send_response(ok, 0.7)
    assert layer.messages_to_send() == [ok]
    assert (layer.get(tid) is None) is reliable


@pytest.mark.parametrize("status", [100, 200, 401])
def test_server_non_invite_response_in_completed_is_illegal(status: int) -> None:
    register = request("03")
    layer, _ = receive_register(reliable=False)
    layer.send_response(response("04"), 0.1)
    target = "Proceeding" if status == 100 else "Completed"
    with pytest.raises(InvalidStateError, match=f"from Completed to {target}"):
        layer.send_response(make_response(register, status, to_tag="x"), 0.2)


@pytest.mark.parametrize("state", ["proceeding", "completed"])
def test_server_non_invite_transport_error(state: str) -> None:
    register = request("03")
    layer, tid = receive_register(reliable=False)
    layer.send_response(make_response(register, 100 if state == "proceeding" else 200), 0.1)
    layer.transport_failed(tid, 0.2)
    assert drain(layer) == [TransportFailed(tid), TransactionTerminated(tid)]
    assert len(layer) == 0


# Every row of the four tables, on UDP and WS, and every input a state has no row for.

MACHINES: dict[type[Transaction], dict[State, list[int]]] = {
    # How to reach each state: the statuses of the responses received (client) or sent (server)
    # after the request; -1 is an ACK.
    ClientInviteTransaction: {
        State.CALLING: [],
        State.PROCEEDING: [180],
        State.ACCEPTED: [200],
        State.COMPLETED: [486],
    },
    ClientNonInviteTransaction: {State.TRYING: [], State.PROCEEDING: [100], State.COMPLETED: [200]},
    ServerInviteTransaction: {
        State.PROCEEDING: [],
        State.COMPLETED: [486],
        State.CONFIRMED: [486, -1],
        State.ACCEPTED: [200],
    },
    ServerNonInviteTransaction: {State.TRYING: [], State.PROCEEDING: [100], State.COMPLETED: [200]},
}
CLIENT_INPUTS: list[Input] = [Trigger.RECEIVED_1XX, Trigger.RECEIVED_2XX, Trigger.RECEIVED_300_699]
SERVER_INPUTS: list[Input] = [
    Trigger.RECEIVED_REQUEST,
    Trigger.RECEIVED_ACK,
    Trigger.TU_1XX,
    Trigger.TU_2XX,
    Trigger.TU_300_699,
]
STATUS = {
    Trigger.RECEIVED_1XX: 180,
    Trigger.RECEIVED_2XX: 200,
    Trigger.RECEIVED_300_699: 486,
    Trigger.TU_1XX: 180,
    Trigger.TU_2XX: 200,
    Trigger.TU_300_699: 486,
}


def inputs_of(cls: type[Transaction]) -> list[Input]:
    """What can reach a machine but its timers (which are only armed where they have a row)."""
    if cls is ClientInviteTransaction:
        return [*CLIENT_INPUTS, Trigger.TRANSPORT_ERROR, Trigger.TU_ABANDONED]
    if cls is ClientNonInviteTransaction:
        return [*CLIENT_INPUTS, Trigger.TRANSPORT_ERROR]
    if cls is ServerNonInviteTransaction:  # an ACK only ever matches an INVITE transaction
        inputs = [i for i in SERVER_INPUTS if i is not Trigger.RECEIVED_ACK]
        return [*inputs, Trigger.TRANSPORT_ERROR]
    return [*SERVER_INPUTS, Trigger.TRANSPORT_ERROR]


MESSAGE_ACTIONS = {
    Action.SEND,
    Action.RETRANSMIT,
    Action.RETRANSMIT_AT_T2,
    Action.SEND_ACK,
    Action.SEND_TRYING,
}


def reach(
    cls: type[Transaction], state: State, reliable: bool
) -> tuple[TransactionLayer, ClientTransaction | ServerTransaction]:
    layer = TransactionLayer(seeded(1))
    client = issubclass(cls, ClientTransaction)
    invite = cls in (ClientInviteTransaction, ServerInviteTransaction)
    req = request("44" if invite else "03")
    tx: ClientTransaction | ServerTransaction
    if client:
        tx = layer.send_request(req, 0.0, reliable=reliable)
    else:
        layer.receive(req, 0.0, reliable=reliable)
        (event,) = drain(layer)
        assert isinstance(event, RequestReceived)
        found = layer.get(event.transaction_id)
        assert isinstance(found, ServerTransaction)
        tx = found
    for status in MACHINES[cls][state]:
        answer = make_response(req, status, to_tag="t")
        if status == -1:
            layer.receive(make_ack(req, make_response(req, 486, to_tag="t")), 0.05)
        elif client:
            layer.receive(answer, 0.05)
        else:
            layer.send_response(answer, 0.05)
    assert tx.state is state
    drain(layer)
    layer.messages_to_send()
    return layer, tx


def apply(layer: TransactionLayer, tx: ClientTransaction | ServerTransaction, input: Input) -> None:
    req = tx.request
    if isinstance(input, Timer):
        deadline = tx.deadline(input)
        assert deadline is not None
        layer.handle_timer(deadline)
    elif input is Trigger.TRANSPORT_ERROR:
        layer.transport_failed(tx.id, 0.1)
    elif input is Trigger.TU_ABANDONED:
        layer.abandon(tx.id, 0.1)
    elif input is Trigger.RECEIVED_REQUEST:
        layer.receive(req, 0.1)
    elif input is Trigger.RECEIVED_ACK:
        final = tx.last_response if isinstance(tx, ServerTransaction) else None
        if final is None or final.status < 200:
            final = make_response(req, 486, to_tag="t")
        layer.receive(make_ack(req, final), 0.1)
    elif input in CLIENT_INPUTS:
        layer.receive(make_response(req, STATUS[input], to_tag="t"), 0.1)
    else:
        layer.send_response(make_response(req, STATUS[input], to_tag="t"), 0.1)


def settles(cls: type[Transaction], state: State, reliable: bool) -> State:
    """Where a transaction entering `state` ends up: zero timers fire at once."""
    for timer in cls.TIMERS.get(state, frozenset()):
        if TimerSettings().duration(timer, reliable) == 0:
            return cls.TABLE[state][timer][0]
    return state


def reachable(cls: type[Transaction], state: State, reliable: bool) -> bool:
    return settles(cls, state, reliable) is state


ROWS = [
    pytest.param(
        cls,
        state,
        input,
        reliable,
        id=f"{cls.__name__}-{state.value}-{input.value}-" + ("ws" if reliable else "udp"),
    )
    for cls in MACHINES
    for state, row in cls.TABLE.items()
    for input in row
    for reliable in (False, True)
    if reachable(cls, state, reliable)
    and not (isinstance(input, Timer) and TimerSettings().duration(input, reliable) is None)
]


@pytest.mark.parametrize(("cls", "state", "input", "reliable"), ROWS)
def test_every_table_row(
    cls: type[Transaction], state: State, input: Input, reliable: bool
) -> None:
    layer, tx = reach(cls, state, reliable)
    new, actions = cls.TABLE[state][input]
    apply(layer, tx, input)
    assert tx.state is settles(cls, new, reliable)
    events, sent = drain(layer), layer.messages_to_send()
    ids = [getattr(e, "transaction_id", None) for e in events]
    assert set(ids) <= {tx.id}
    kinds = [type(e) for e in events]
    if Action.PASS_UP in actions:
        assert kinds[0] in (ResponseReceived, AckReceived)
    if Action.TIMED_OUT in actions:
        assert isinstance(input, Timer)
        assert TransactionTimedOut(tx.id, input) in events
    if Action.TRANSPORT_FAILED in actions:
        assert kinds[0] is TransportFailed
    if MESSAGE_ACTIONS & set(actions):
        assert sent
    if not actions and new is state:  # absorbed
        assert (events, sent) == ([], [])
    assert (TransactionTerminated in kinds) is (tx.state is State.TERMINATED)
    assert (layer.get(tx.id) is None) is (tx.state is State.TERMINATED)


UNLISTED = [
    pytest.param(
        cls,
        state,
        input,
        reliable,
        id=f"{cls.__name__}-{state.value}-{input.value}-" + ("ws" if reliable else "udp"),
    )
    for cls in MACHINES
    for state in MACHINES[cls]
    for input in inputs_of(cls)
    for reliable in (False, True)
    if input not in cls.TABLE[state] and reachable(cls, state, reliable)
]


@pytest.mark.parametrize(("cls", "state", "input", "reliable"), UNLISTED)
def test_inputs_without_a_row(
    cls: type[Transaction], state: State, input: Input, reliable: bool
) -> None:
    """A peer's message is dropped without a trace; a response from the TU is refused."""
    layer, tx = reach(cls, state, reliable)
    if input in (Trigger.TU_1XX, Trigger.TU_2XX, Trigger.TU_300_699, Trigger.TU_ABANDONED):
        with pytest.raises(InvalidStateError, match=f"from {state.value} to "):
            apply(layer, tx, input)
    else:
        apply(layer, tx, input)
        assert (drain(layer), layer.messages_to_send()) == ([], [])
    assert tx.state is state


# Matching (§17.1.3, §17.2.3, §9.2) and the RFC 2543 fallback.


def test_client_cancel_and_invite_share_a_branch_but_not_a_transaction() -> None:
    layer = TransactionLayer(seeded(1))
    invite_tx = layer.send_request(request("47"), 0.0)
    layer.receive(response("52"), 0.1)  # 180
    cancel_tx = layer.send_request(request("53"), 0.3)
    assert invite_tx.id != cancel_tx.id
    layer.receive(response("55"), 0.31)  # 200 canceling: CSeq CANCEL
    layer.receive(response("59"), 0.32)  # 487: CSeq INVITE
    assert drain(layer) == [
        ResponseReceived(invite_tx.id, response("52")),
        ResponseReceived(cancel_tx.id, response("55")),
        TransactionTerminated(cancel_tx.id),
        ResponseReceived(invite_tx.id, response("59")),
        TransactionTerminated(invite_tx.id),
    ]


def test_server_cancel_gets_its_own_transaction_and_finds_its_invite() -> None:
    layer = TransactionLayer(seeded(1))
    invite, cancel = request("49"), request("54")
    layer.receive(invite, 0.0)
    layer.receive(cancel, 0.3)
    invite_event, cancel_event = drain(layer)
    assert isinstance(invite_event, RequestReceived)
    assert isinstance(cancel_event, RequestReceived)
    assert cancel_event.request == cancel
    assert invite_event.transaction_id != cancel_event.transaction_id
    target = layer.cancel_target(cancel)
    assert target is not None and target.id == invite_event.transaction_id
    layer.send_response(response("56"), 0.31)  # 200 to the CANCEL
    layer.send_response(response("57"), 0.32)  # 487 to the INVITE
    assert layer.messages_to_send() == [response("56"), response("57")]
    assert drain(layer) == [TransactionTerminated(cancel_event.transaction_id)]
    assert target.state is State.COMPLETED


def test_cancel_target_is_none_without_the_invite() -> None:
    layer = TransactionLayer(seeded(1))
    layer.receive(request("54"), 0.0)
    assert layer.cancel_target(request("54")) is None
    layer.receive(request("03"), 0.0)  # a non-INVITE with another branch changes nothing
    assert layer.cancel_target(request("54")) is None


def test_responses_matching_no_transaction_are_stray() -> None:
    layer = TransactionLayer(seeded(1))
    layer.send_request(request("03"), 0.0)
    drain(layer)
    other_branch = response("06")
    no_branch = with_branch(response("04"), None)
    no_cookie = with_branch(response("04"), "8327036")
    strays = [other_branch, no_branch, no_cookie]
    for stray in strays:
        layer.receive(stray, 0.1)
    assert drain(layer) == [StrayResponseReceived(m) for m in strays]


def test_a_response_needs_the_request_method_in_cseq() -> None:
    layer = TransactionLayer(seeded(1))
    layer.send_request(request("03"), 0.0)
    headers = response("04").headers.mutable()
    headers.set("CSeq", "1 OPTIONS")  # right branch, wrong method
    bad = response("04").with_headers(headers)
    layer.receive(bad, 0.1)
    assert drain(layer) == [StrayResponseReceived(bad)]


def test_same_branch_from_another_sent_by_is_another_transaction() -> None:
    layer = TransactionLayer(seeded(1))
    register = request("03")
    headers = register.headers.mutable()
    headers.set("Via", "SIP/2.0/WS other.invalid;branch=z9hG4bK8327036")
    layer.receive(register, 0.0)
    layer.receive(register.with_headers(headers), 0.0)
    first, second = drain(layer)
    assert isinstance(first, RequestReceived) and isinstance(second, RequestReceived)
    assert first.transaction_id != second.transaction_id


def test_sent_by_host_is_matched_case_insensitively() -> None:
    layer = TransactionLayer(seeded(1))
    register = request("03")
    headers = register.headers.mutable()
    headers.set("Via", "SIP/2.0/WS PEPGSJCV4LQ1.invalid;branch=z9hG4bK8327036")
    layer.receive(register, 0.0)
    layer.receive(register.with_headers(headers), 0.0)
    assert len(drain(layer)) == 1


def test_ack_for_a_2xx_matching_nothing_goes_to_the_tu() -> None:
    layer = TransactionLayer(seeded(1))
    ack = request("18")
    layer.receive(ack, 0.0)
    assert drain(layer) == [AckReceived(ack, None)]
    assert len(layer) == 0


RFC2543_INVITE = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com:5060\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def rfc2543(data: bytes, **replace: str) -> Request:
    for old, new in replace.items():
        data = data.replace(old.encode(), new.encode())
    message = parse(data)
    assert isinstance(message, Request)
    return message


def test_rfc2543_invite_retransmission_response_ack_and_cancel() -> None:
    invite = rfc2543(RFC2543_INVITE)
    layer = TransactionLayer(seeded(1))
    layer.receive(invite, 0.0)
    (event,) = drain(layer)
    assert isinstance(event, RequestReceived)
    tid = event.transaction_id
    layer.receive(invite, 0.5)  # retransmission: same URI, tags, Call-ID, CSeq, top Via
    assert drain(layer) == []
    busy = make_response(invite, 486, to_tag="b0b")
    layer.send_response(busy, 1.0)  # found by Via, Call-ID, CSeq and From tag
    assert layer.messages_to_send()[-1] == busy
    layer.receive(invite, 1.5)
    assert layer.messages_to_send() == [busy]
    # The ACK matches with the CSeq method ignored and the To tag of the response sent.
    wrong_tag = make_ack(invite, make_response(invite, 486, to_tag="other"))
    layer.receive(wrong_tag, 2.0)
    assert drain(layer) == [AckReceived(wrong_tag)]
    layer.receive(make_ack(invite, busy), 2.0)
    assert drain(layer) == []
    assert state_of(layer, tid) is State.CONFIRMED
    # A CANCEL has a transaction of its own and finds the INVITE's.
    cancel = rfc2543(RFC2543_INVITE, INVITE="CANCEL")
    layer.receive(cancel, 2.1)
    (cancel_event,) = drain(layer)
    assert isinstance(cancel_event, RequestReceived)
    assert cancel_event.transaction_id != tid
    target = layer.cancel_target(cancel)
    assert target is not None and target.id == tid


@pytest.mark.parametrize(
    "change",
    [
        {"sip:bob@biloxi.example.com SIP": "sip:carol@biloxi.example.com SIP"},
        {"tag=1928301774": "tag=other"},
        {"a84b4c76e66710": "other-call"},
        {"314159": "314160"},
        {"pc33.atlanta.example.com:5060": "pc34.atlanta.example.com:5060"},
        {"To: Bob <sip:bob@biloxi.example.com>": "To: <sip:bob@biloxi.example.com>;tag=x"},
    ],
    ids=["request-uri", "from-tag", "call-id", "cseq", "top-via", "to-tag"],
)
def test_rfc2543_matching_needs_every_field(change: dict[str, str]) -> None:
    layer = TransactionLayer(seeded(1))
    layer.receive(rfc2543(RFC2543_INVITE), 0.0)
    layer.receive(rfc2543(RFC2543_INVITE, **change), 0.1)
    assert [type(e) for e in drain(layer)] == [RequestReceived, RequestReceived]
    assert len(layer) == 2


def test_rfc2543_reinvite_ack_matches_with_the_dialog_to_tag() -> None:
    reinvite = rfc2543(RFC2543_INVITE, **{"Bob <sip:bob@biloxi.example.com>": "<sip:b@b>;tag=b0b"})
    layer = TransactionLayer(seeded(1))
    layer.receive(reinvite, 0.0)
    (event,) = drain(layer)
    assert isinstance(event, RequestReceived)
    busy = make_response(reinvite, 491)
    layer.send_response(busy, 0.1)
    layer.receive(make_ack(reinvite, busy), 0.2)
    assert drain(layer) == []
    assert state_of(layer, event.transaction_id) is State.CONFIRMED


def test_rfc2543_non_invite_retransmission_is_absorbed() -> None:
    options = rfc2543(RFC2543_INVITE, INVITE="OPTIONS")
    layer = TransactionLayer(seeded(1))
    layer.receive(options, 0.0)
    layer.receive(options, 0.5)
    assert len(drain(layer)) == 1
    ok = make_response(options, 200, to_tag="x")
    layer.send_response(ok, 0.6)  # UDP (the Via says): Timer J = 32 s
    layer.receive(options, 0.7)
    assert layer.messages_to_send() == [ok, ok]


# send_request and the rest of the API.


def test_send_request_adds_a_branch_when_there_is_none() -> None:
    register = with_branch(request("03"), None)
    assert register.via.branch is None
    layer = TransactionLayer(seeded(7))
    tx = layer.send_request(register, 0.0)
    branch = seeded(7).branch()
    assert tx.request.via.branch == branch
    assert tx.request.via.host == register.via.host
    assert layer.messages_to_send() == [tx.request]
    assert without(tx.request, "via") == without(register, "via")
    ok = make_response(tx.request, 200, to_tag="x")
    layer.receive(ok, 0.1)
    assert drain(layer)[0] == ResponseReceived(tx.id, ok)


def test_send_request_keeps_the_other_vias_of_a_combined_line() -> None:
    register = request("03")
    headers = register.headers.mutable()
    headers.set("Via", "SIP/2.0/UDP a.example, SIP/2.0/UDP b.example;branch=z9hG4bKb")
    layer = TransactionLayer(seeded(7))
    tx = layer.send_request(register.with_headers(headers), 0.0)
    assert [v.host for v in tx.request.vias] == ["a.example", "b.example"]
    assert tx.request.via.branch == seeded(7).branch()


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda r: r.replace(method="ACK"), "ACK"),
        (lambda r: with_branch(r, "1234"), "magic cookie"),
        (lambda r: r.replace(method="OPTIONS"), "CSeq method"),
        (lambda r: r.with_headers(_drop(r, "via")), "Via"),
    ],
    ids=["ack", "no-cookie", "cseq", "no-via"],
)
def test_send_request_refuses(mangle: Callable[[Request], Request], message: str) -> None:
    layer = TransactionLayer(seeded(1))
    with pytest.raises(InvalidStateError, match=message):
        layer.send_request(mangle(request("03")), 0.0)
    assert (len(layer), layer.messages_to_send()) == (0, [])


def _drop(message: Message, name: str) -> MutableHeaders:
    headers = message.headers.mutable()
    headers.remove(name)
    return headers


def test_send_request_refuses_a_second_transaction_with_the_same_branch() -> None:
    layer = TransactionLayer(seeded(1))
    layer.send_request(request("03"), 0.0)
    with pytest.raises(InvalidStateError, match="exists"):
        layer.send_request(request("03"), 0.1)


def test_reliability_comes_from_the_via_by_default() -> None:
    layer = TransactionLayer(seeded(1))
    udp = layer.send_request(request("65"), 0.0)  # SIPp's INVITE over UDP
    assert not udp.reliable
    assert layer.get_timer() == 0.5  # Timer A
    ws = layer.send_request(request("10"), 0.0)
    assert ws.reliable


def test_send_response_without_transaction_is_refused() -> None:
    layer = TransactionLayer(seeded(1))
    with pytest.raises(InvalidStateError, match="no server transaction"):
        layer.send_response(response("04"), 0.0)


def test_send_stateless_queues_the_message() -> None:
    layer = TransactionLayer(seeded(1))
    ack = request("18")
    layer.send_stateless(ack)
    assert layer.messages_to_send() == [ack]
    assert (len(layer), layer.get_timer(), drain(layer)) == (0, None, [])


def test_transaction_ids_are_never_reused() -> None:
    layer = TransactionLayer(seeded(1))
    first = layer.send_request(request("05"), 0.0)
    layer.receive(response("06"), 0.1)
    second = layer.send_request(request("05"), 0.2)  # same branch, after the first ended
    assert first.id != second.id
    assert repr(second) == f"<ClientNonInviteTransaction {second.id} Trying>"


def test_timers_fire_in_deadline_order_across_transactions() -> None:
    layer = TransactionLayer(seeded(1))
    slow = layer.send_request(request("03"), 0.0)  # F at 32
    fast = layer.send_request(request("65"), 0.0, reliable=True)  # B at 32 too, later in order
    cancel = layer.send_request(request("53"), 1.0, reliable=False)  # E at 1.5
    layer.handle_timer(now=100.0)  # a late glue fires all that is due, earliest first
    assert [type(m).__name__ for m in layer.messages_to_send()] == ["Request"] * 4
    assert [(type(e).__name__, getattr(e, "transaction_id", None)) for e in drain(layer)] == [
        ("TransactionTimedOut", slow.id),
        ("TransactionTerminated", slow.id),
        ("TransactionTimedOut", fast.id),
        ("TransactionTerminated", fast.id),
        ("TransactionTimedOut", cancel.id),
        ("TransactionTerminated", cancel.id),
    ]


def test_memory_is_bounded() -> None:
    layer = TransactionLayer(seeded(1))
    invite = request("65")
    for n in range(2000):
        branch = f"{MAGIC_COOKIE}n{n}"
        tx = layer.send_request(with_branch(invite, branch), float(n), reliable=False)
        ringing = make_response(tx.request, 180, to_tag="t")
        layer.receive(ringing, n + 0.1)  # cancels A and B: their heap entries go stale
        layer.receive(ringing.replace(status=404, reason="Not Found"), n + 0.2)
        layer.transport_failed(tx.id, n + 0.3)
    assert len(layer) == 0
    assert len(layer._timers) < 600  # stale timer entries are compacted
    assert layer.get_timer() is None


# Invariants under random input: nothing but InvalidStateError escapes, every transaction
# ends with exactly one TransactionTerminated, and what remains waits without a timer.

WAITING = {
    ClientInviteTransaction: {State.PROCEEDING},  # for a final response (the TU may CANCEL)
    ClientNonInviteTransaction: set(),
    ServerInviteTransaction: {State.PROCEEDING},  # for the TU's final response
    ServerNonInviteTransaction: {State.TRYING, State.PROCEEDING},
}

steps = st.lists(
    st.tuples(
        st.sampled_from(["message", "ack", "respond", "timer", "error"]),
        st.sampled_from([100, 180, 200, 202, 302, 407, 486, 603]),
        st.floats(0, 40),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(st.booleans(), st.sampled_from(["10", "03", "66", "12"]), steps)
def test_random_inputs_keep_the_invariants(
    reliable: bool, number: str, ops: list[tuple[str, int, float]]
) -> None:
    layer = TransactionLayer(seeded(1))
    req = request(number)
    client = number in ("10", "03")
    tx: ClientTransaction | ServerTransaction
    if client:
        tx = layer.send_request(req, 0.0, reliable=reliable)
    else:
        layer.receive(req, 0.0, reliable=reliable)
        (first,) = drain(layer)
        assert isinstance(first, RequestReceived)
        found = layer.get(first.transaction_id)
        assert found is not None
        tx = found
    kind, tid, now, events = type(tx), tx.id, 0.0, list[Event]()
    for op, status, dt in ops:
        if op == "timer":
            now += dt
            layer.handle_timer(now)
        elif op == "error":
            layer.transport_failed(tid, now)
        elif op == "message" and client:
            layer.receive(make_response(req, status, to_tag=f"t{status}"), now)
        elif op == "message":
            layer.receive(req, now)  # a retransmission
        elif op == "ack":
            layer.receive(make_ack(req, make_response(req, status, to_tag="t")), now)
        elif op == "respond" and not client:
            with contextlib.suppress(InvalidStateError):  # e.g. a 1xx after the final
                layer.send_response(make_response(req, status, to_tag="t"), now)
        events += drain(layer)
    run_timers(layer)
    events += drain(layer)
    ended = [e for e in events if isinstance(e, TransactionTerminated) and e.transaction_id == tid]
    if layer.get(tid) is None:
        assert len(ended) == 1
        assert [e for e in events if getattr(e, "transaction_id", None) == tid][-1] == ended[0]
    else:
        assert ended == []
        assert tx.state in WAITING[kind]
        assert layer.get_timer() is None
