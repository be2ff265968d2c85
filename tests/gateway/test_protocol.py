"""The protocol core without I/O: frames to operations or error codes, the rate limiter."""

from __future__ import annotations

import json

import pytest

from webphone.gateway import Operation, ProtocolError, RateLimiter, decode, parse_operation
from webphone.gateway.protocol import error_reply, event_message, media_message, result_reply

LIMIT = 64 * 1024


def parse(frame: str | bytes | None) -> Operation:
    return parse_operation(decode(frame, LIMIT))


@pytest.mark.parametrize(
    ("frame", "op", "fields"),
    [
        ('{"op": "hello", "id": 1, "version": 1}', "hello", {"version": 1}),
        ('{"op": "ping"}', "ping", {}),
        ('{"op": "make_call", "id": 2, "address": "bob"}', "make_call", {"address": "bob"}),
        ('{"op": "make_call", "address": "bob", "video": true}', "make_call", {"video": True}),
        ('{"op": "dtmf", "id": 3, "digit": "#"}', "dtmf", {"digit": "#"}),
        ('{"op": "dtmf", "digit": "a"}', "dtmf", {"digit": "a"}),
        ('{"op": "set_config", "wsServers": ["ws://a", "ws://b"]}', "set_config", {}),
        ('{"op": "set_config", "wsServers": "ws://a", "cli": null}', "set_config", {}),
        ('{"op": "media_result", "rid": "m1", "result": {"sdp": "v=0"}}', "media_result", {}),
        ('{"op": "media_result", "rid": "m1", "error": "NotAllowedError"}', "media_result", {}),
        ('{"op": "ping", "id": 5, "extra": "ignored"}', "ping", {}),
    ],
)
def test_valid_operations(frame: str, op: str, fields: dict[str, object]) -> None:
    parsed = parse(frame)
    assert parsed.op == op
    assert parsed.id == json.loads(frame).get("id")
    for name, value in fields.items():
        assert parsed.fields[name] == value
    assert "extra" not in parsed.fields


@pytest.mark.parametrize(
    ("frame", "code", "op_id", "words"),
    [
        ("not json", "bad_json", None, "not JSON"),
        ("[1, 2]", "bad_json", None, "object"),
        ('"hello"', "bad_json", None, "object"),
        (b'{"op": "ping"}', "bad_json", None, "text frame"),
        (None, "bad_json", None, "text frame"),
        ("[" * 100_000 + "]" * 100_000, "too_large", None, "65536"),
        ("[" * 20_000 + "]" * 20_000, "bad_json", None, "nested too deeply"),
        ('{"op": "fly", "id": 4}', "unknown_op", 4, "fly"),
        ('{"id": 4}', "bad_message", 4, "op"),
        ('{"op": "ping", "id": "x"}', "bad_message", None, "id"),
        ('{"op": "ping", "id": true}', "bad_message", None, "id"),
        ('{"op": "hello", "id": 1}', "bad_message", 1, "version: missing"),
        ('{"op": "hello", "id": 1, "version": true}', "bad_message", 1, "version"),
        ('{"op": "make_call", "id": 6, "address": 5}', "bad_message", 6, "address: expected"),
        ('{"op": "make_call", "id": 6, "address": "b", "video": 1}', "bad_message", 6, "video"),
        ('{"op": "dtmf", "id": 7, "digit": "12"}', "bad_message", 7, "digit"),
        ('{"op": "dtmf", "id": 7, "digit": "x"}', "bad_message", 7, "digit"),
        ('{"op": "set_config", "id": 8, "username": 5}', "bad_message", 8, "username"),
        ('{"op": "set_config", "id": 8, "wsServers": [1]}', "bad_message", 8, "wsServers"),
        ('{"op": "media_result", "id": 9}', "bad_message", 9, "rid"),
    ],
)
def test_bad_frames_name_their_code(
    frame: str | bytes | None, code: str, op_id: int | None, words: str
) -> None:
    with pytest.raises(ProtocolError) as raised:
        parse(frame)
    assert raised.value.code == code
    assert raised.value.id == op_id
    assert words in str(raised.value)
    reply = raised.value.reply()
    assert (reply["type"], reply["id"], reply["code"]) == ("error", op_id, code)


def test_size_counts_utf8_bytes() -> None:
    frame = json.dumps({"op": "ping", "pad": "é" * 20_000}, ensure_ascii=False)
    assert len(frame) < LIMIT // 2
    assert parse(frame).op == "ping"
    with pytest.raises(ProtocolError) as raised:
        parse(json.dumps({"op": "ping", "pad": "€" * 22_000}, ensure_ascii=False))
    assert raised.value.code == "too_large"


def test_message_builders() -> None:
    assert result_reply(3, call_id="c") == {"type": "result", "id": 3, "ok": True, "call_id": "c"}
    assert error_reply(None, "bad_json", "no") == {
        "type": "error",
        "id": None,
        "code": "bad_json",
        "message": "no",
    }
    event = event_message(12, {"event": "dtmf", "digit": "5"})
    assert event == {"type": "event", "seq": 12, "event": "dtmf", "digit": "5"}
    media = media_message("m3", "create_offer", {"direction": "sendonly"})
    assert media == {
        "type": "media",
        "rid": "m3",
        "method": "create_offer",
        "direction": "sendonly",
    }


def test_rate_limiter_allows_the_limit_per_window() -> None:
    limiter = RateLimiter(50)
    assert all(limiter.allow(10.0 + i * 0.001) for i in range(50))
    assert not limiter.allow(10.5)
    assert not limiter.allow(10.99)  # refused ones do not count, nor free a slot
    assert limiter.allow(11.0)  # the first message is a second old now
    assert not limiter.allow(11.0005)
    assert limiter.allow(11.002)


def test_rate_limiter_steady_pace_is_never_limited() -> None:
    limiter = RateLimiter(50)
    assert all(limiter.allow(i * 0.021) for i in range(500))
