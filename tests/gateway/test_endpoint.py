"""The /gateway endpoint over a real WebSocket: hello, bad messages, limits, settings.

No SIP server is needed here: nothing in these tests registers or calls.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from support.page import FakePage
from webphone.gateway import ComponentRequest
from webphone.phone import PhoneConfig

from .conftest import Gateway, GatewayFactory

SERVER = "ws://127.0.0.1:9/sip"  # never connected to in these tests


@pytest.fixture
async def quiet(start_gateway: GatewayFactory) -> Gateway:
    return await start_gateway(default_servers=(SERVER,))


@pytest.fixture
async def page(quiet: Gateway) -> FakePage:
    page = quiet.page()
    await page.connect()
    return page


async def test_hello_opens_a_session(quiet: Gateway) -> None:
    page = quiet.page()
    reply = await page.connect()
    assert reply["type"] == "result" and reply["ok"] is True
    assert (reply["version"], reply["resumed"], reply["seq"]) == (1, False, 0)
    assert len(reply["resume_token"]) >= 32 and reply["session"]
    assert reply["config"] == {
        "wsServers": [SERVER],
        "username": "",
        "displayName": None,
        "cli": None,
        "realm": None,
    }
    assert len(quiet.sessions) == 1 and quiet.sessions.attached == 1
    assert (await page.ok("ping"))["id"] == 2


async def test_hello_comes_first_and_once(quiet: Gateway) -> None:
    page = quiet.page()
    reply = await page.connect(version=2)  # the wrong version: nothing opened, say it again
    assert (reply["code"], reply["versions"]) == ("version", [1])
    error = await page.op("register")
    assert (error["type"], error["code"], error["id"]) == ("error", "hello_first", 2)
    assert len(quiet.sessions) == 0
    assert (await page.ok("hello", version=1))["resumed"] is False
    again = await page.op("hello", version=1)
    assert again["code"] == "invalid_state"
    assert len(quiet.sessions) == 1


@pytest.mark.parametrize(
    ("frame", "code", "op_id"),
    [
        ("{not json", "bad_json", None),
        ("[1]", "bad_json", None),
        (b"\x00\x01", "bad_json", None),
        ('{"op": "teleport", "id": 41}', "unknown_op", 41),
        ('{"op": "make_call", "id": 42}', "bad_message", 42),
        ('{"op": "dtmf", "id": 43, "digit": "Z"}', "bad_message", 43),
        (json.dumps({"op": "ping", "id": 44, "pad": "x" * 70_000}), "too_large", None),
    ],
)
async def test_bad_messages_get_an_error_and_the_session_lives_on(
    page: FakePage, frame: str | bytes, code: str, op_id: int | None
) -> None:
    await page.send(frame)
    await page.ok("ping")
    assert [(e["code"], e["id"]) for e in page.errors] == [(code, op_id)]
    assert page.errors[0]["message"]


async def test_errors_answer_the_operation_by_id(page: FakePage) -> None:
    reply = await page.op("teleport")
    assert (reply["type"], reply["code"], reply["id"]) == ("error", "unknown_op", 2)
    reply = await page.op("make_call", address=7)
    assert (reply["code"], reply["message"]) == ("bad_message", "address: expected a string")
    for op in ("answer", "hangup", "hold", "mute", "dtmf"):
        reply = await page.op(op, digit="1")
        assert reply["code"] == "invalid_state", (op, reply)


async def test_too_many_messages_are_rate_limited(page: FakePage) -> None:
    assert page.ws is not None
    frames = [json.dumps({"op": "ping", "id": 1000 + i}) for i in range(70)]
    for frame in frames:
        await page.ws.send(frame)
    await asyncio.sleep(0.3)
    # Each op got exactly one reply: a result, or an error saying it came too fast.
    assert sorted(m["id"] for m in page.unmatched) == list(range(1000, 1070))
    limited = [e["id"] for e in page.errors]
    assert len(limited) >= 20 and limited[-1] == 1069
    assert all(e["code"] == "rate_limited" for e in page.errors)
    await asyncio.sleep(1.0)
    assert (await page.ok("ping"))["ok"] is True  # the session lives on


async def test_set_config_errors_name_the_field(page: FakePage) -> None:
    cases = {
        "wsServers": {"wsServers": "ftp://example.com"},
        "username": {"username": "bob smith"},
        "cli": {"username": "bob", "cli": "a b"},
        "realm": {"username": "bob", "realm": "no such realm!"},
    }
    for field, settings in cases.items():
        reply = await page.op("set_config", **settings)
        assert (reply["code"], reply["field"]) == ("config_error", field), reply
        assert reply["message"].startswith(f"{field}="), reply
    # Settings may come in parts; a missing user name is named when it matters.
    await page.ok("set_config", displayName="Bob")
    reply = await page.op("register")
    assert (reply["code"], reply["field"]) == ("config_error", "username")
    await page.ok("set_config", username="bob", password="x", wsServers="")
    reply = await page.op("make_call", address="sip:")
    assert (reply["code"], reply["field"]) == ("config_error", "address")


async def test_config_is_public_without_the_password(quiet: Gateway) -> None:
    page = quiet.page()
    await page.connect()
    servers = ["ws://127.0.0.1:9/a", "wss://example.com/b"]
    await page.ok("set_config", wsServers=servers, username="bob", password="secret", cli="")
    await page.drop()
    reply = await page.connect(resume=True)
    assert reply["resumed"] is True
    assert reply["config"]["wsServers"] == servers and reply["config"]["cli"] is None
    assert "secret" not in json.dumps(reply)


async def test_unknown_resume_token_starts_a_new_session(quiet: Gateway) -> None:
    page = quiet.page()
    page.token = "no-such-token"
    reply = await page.connect(resume=True)
    assert reply["resumed"] is False and reply["resume_token"] != "no-such-token"
    error = await page.event("error")
    assert (error["code"], error["seq"]) == ("resume_failed", 1)


async def test_sessions_are_capped(start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(default_servers=(SERVER,), max_sessions=1)
    await gateway.page().connect()
    reply = await gateway.page().connect()
    assert reply["code"] == "server_busy"


async def test_components_need_a_lookup_that_knows_them(start_gateway: GatewayFactory) -> None:
    gateway = await start_gateway(default_servers=(SERVER,))
    reply = await gateway.page().connect(component="sales")
    assert reply["code"] == "forbidden"

    def lookup(request: ComponentRequest) -> PhoneConfig | None:
        if (request.component, request.ticket) != ("sales", "t1"):
            return None
        return PhoneConfig(ws_servers=(SERVER,), username="sales", password="secret")

    gateway.sessions._components = lookup
    page = gateway.page()
    reply = await page.connect(component="sales", ticket="t1")
    assert reply["config"]["username"] == "sales" and "secret" not in json.dumps(reply)
    reply = await page.op("set_config", username="mallory")
    assert reply["code"] == "forbidden"


async def test_stray_media_results_are_ignored(page: FakePage) -> None:
    await page.send({"op": "media_result", "rid": "m99", "result": {"sdp": "v=0"}})
    await page.ok("ping")
    assert page.errors == []


async def test_a_second_connection_takes_the_session_over(quiet: Gateway) -> None:
    first = quiet.page()
    await first.connect()
    second = quiet.page()
    second.token = first.token
    reply = await second.connect(resume=True)
    assert reply["resumed"] is True
    assert first.ws is not None
    await asyncio.wait_for(first.ws.wait_closed(), 2)
    assert first.ws.close_code == 4001
    assert len(quiet.sessions) == 1
    await second.ok("ping")
