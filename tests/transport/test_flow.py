"""Flows, the flow table, and the shared receive path that answers what it cannot parse."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from webphone.sip import Request, Response, parse
from webphone.transport import Flow, FlowClosed, FlowOpened, FlowTable, TransportError
from webphone.transport.events import TransportEvent
from webphone.transport.flow import deliver, salvage_request

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sip"
REGISTER = (FIXTURES / "03-alice-to-kamailio-register.sip").read_bytes()


class Wire:
    """A fake connection: what was sent, and whether it was closed."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    async def send(self, data: bytes) -> None:
        self.sent.append(data)

    async def close(self) -> None:
        self.closed = True


def make_flow(transport: str = "TCP", wire: Wire | None = None) -> Flow:
    wire = wire or Wire()
    return Flow(transport, ("127.0.0.1", 5555), ("127.0.0.1", 5060), wire.send, wire.close)


@pytest.mark.asyncio
async def test_a_flow_sends_messages_and_bytes_until_closed() -> None:
    wire = Wire()
    flow = make_flow("WS", wire)
    message = parse(REGISTER)
    await flow.send(message)
    await flow.send(b"\r\n")
    assert wire.sent == [bytes(message), b"\r\n"]
    assert flow.reliable and not flow.closed and flow.id.startswith("ws-")
    await flow.close()
    assert wire.closed and flow.closed
    with pytest.raises(TransportError, match="closed"):
        await flow.send(b"x")


@pytest.mark.asyncio
async def test_a_failing_send_is_a_transport_error() -> None:
    async def broken(data: bytes) -> None:
        raise ConnectionResetError("reset by peer")

    flow = Flow("TCP", ("127.0.0.1", 1), ("127.0.0.1", 2), broken)
    with pytest.raises(TransportError, match="reset by peer"):
        await flow.send(b"x")


def test_flows_check_their_transport_and_udp_is_unreliable() -> None:
    with pytest.raises(ValueError, match="SCTP"):
        make_flow("SCTP")
    assert not make_flow("UDP").reliable
    assert make_flow("TCP").id != make_flow("TCP").id


def test_the_table_finds_flows_and_reports_their_life() -> None:
    events: list[TransportEvent] = []
    table = FlowTable(events.append)
    flow = make_flow("TCP")
    table.add(flow)
    assert table.get(flow.id) is flow and flow.id in table and list(table) == [flow]
    assert table.find("TCP", ("127.0.0.1", 5555)) is flow
    assert table.find("WS", ("127.0.0.1", 5555)) is None
    table.remove(flow, "closed by peer")
    table.remove(flow, "twice")  # harmless
    assert len(table) == 0 and table.get(flow.id) is None and flow.closed
    assert events == [
        FlowOpened(flow.id, "TCP", ("127.0.0.1", 5555)),
        FlowClosed(flow.id, "TCP", ("127.0.0.1", 5555), "closed by peer"),
    ]


def test_deliver_hands_on_a_good_message() -> None:
    got: list[tuple[Request | Response, Flow]] = []
    flow = make_flow()
    assert deliver(REGISTER, flow, lambda m, f: got.append((m, f))) is None
    assert got == [(parse(REGISTER), flow)]


def test_a_callback_bug_does_not_escape() -> None:
    def buggy(message: Request | Response, flow: Flow) -> None:
        raise RuntimeError("bug")

    assert deliver(REGISTER, make_flow(), buggy) is None


def _broken(old: bytes, new: bytes) -> bytes:
    assert old in REGISTER
    return REGISTER.replace(old, new)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (_broken(b"Max-Forwards: 69", b"Max-Forwards: lots"), 400),
        (_broken(b"REGISTER sip:127.0.0.1 SIP/2.0", b"REGISTER sip:127.0.0.1 SIP/3.0"), 505),
        (_broken(b"Content-Length: 0", b"Content-Length: 10"), 400),
        (_broken(b"CSeq: 1 REGISTER", b"CSeq: 1 INVITE"), 400),
    ],
)
def test_a_malformed_request_with_readable_headers_is_answered(data: bytes, status: int) -> None:
    got: list[object] = []
    response = deliver(data, make_flow(), lambda m, f: got.append(m))
    assert got == [] and response is not None and response.status == status
    request = parse(REGISTER)
    assert response.call_id == request.call_id and response.cseq.seq == request.cseq.seq
    assert response.via == request.via
    again = parse(bytes(response))  # a valid message, reason phrase included
    assert isinstance(again, Response) and again.status == status


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff garbage",
        _broken(b"Call-ID: cakqrr4krqea93oc3neic7\r\n", b""),  # cannot be matched: dropped
        _broken(b"Via: SIP/2.0/WS ", b"Via: nonsense "),
        _broken(b"REGISTER sip:127.0.0.1", b"ACK sip:127.0.0.1").replace(b"1 REGISTER", b"1 ACK")
        + b"junk\x00",
        (FIXTURES / "04-kamailio-to-alice-401-unauthorized-register.sip")
        .read_bytes()
        .replace(b"SIP/2.0 401", b"SIP/2.0 4x1"),  # a bad response is never answered
    ],
)
def test_what_cannot_be_answered_is_dropped(data: bytes) -> None:
    assert deliver(data, make_flow(), lambda m, f: None) is None


def test_salvage_reads_what_it_can() -> None:
    request = salvage_request(_broken(b"REGISTER sip:127.0.0.1 ", b"REGISTER <<bad>> "))
    assert request is not None and request.method == "REGISTER"
    assert salvage_request(b"SIP/2.0 200 OK\r\n\r\n") is None


@pytest.mark.asyncio
async def test_a_send_that_never_finishes_times_out_and_closes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("webphone.transport.flow.SEND_TIMEOUT", 0.05)
    wire = Wire()

    async def stuck(data: bytes) -> None:
        await asyncio.sleep(10)

    flow = Flow("TCP", ("127.0.0.1", 1), ("127.0.0.1", 2), stuck, wire.close)
    with pytest.raises(TransportError, match="timed out"):
        await flow.send(b"x")
    assert flow.closed and wire.closed
