"""The web app: static files with ETags, /healthz, the lifespan, and /gateway + /sip together."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from support.services import free_port
from webphone.sipserver import DictDirectory, ServerConfig, SipServer
from webphone.transport import serve_ws
from webphone.web import PACKAGE_STATIC, Settings, create_app

from .asgi import lifespan, request

USERS = {"alice": "alice-secret", "bob": "bob-secret"}
OFFER = (Path(__file__).resolve().parents[1] / "fixtures/sip/67-chromium-offer.sdp").read_text()


@pytest.fixture
def static(tmp_path: Path) -> Path:
    (tmp_path / "webphone.js").write_text("export class WebPhone {}\n")
    (tmp_path / "webphone.d.ts").write_text("export declare class WebPhone {}\n")
    return tmp_path


async def test_webphone_js_has_its_type_an_etag_and_revalidates(static: Path) -> None:
    app = create_app(Settings(static_dir=static))
    first = await request(app, "/webphone.js")
    assert first.status == 200 and first.body == b"export class WebPhone {}\n"
    assert first.headers["content-type"] == "text/javascript; charset=utf-8"
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["access-control-allow-origin"] == "*"
    assert first.headers["x-content-type-options"] == "nosniff"
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')

    same = await request(app, "/webphone.js", headers=[("If-None-Match", f'"x", W/{etag}')])
    assert (same.status, same.body, same.headers["etag"]) == (304, b"", etag)

    (static / "webphone.js").write_text("export class WebPhone { v2 }\n")
    os.utime(static / "webphone.js", ns=(1, 2))  # a new mtime even within the same tick
    changed = await request(app, "/webphone.js", headers=[("If-None-Match", etag)])
    assert changed.status == 200 and changed.headers["etag"] != etag
    assert b"v2" in changed.body

    head = await request(app, "/webphone.js", method="HEAD")  # uvicorn drops the body
    assert head.status == 200 and head.headers["etag"] == changed.headers["etag"]


async def test_type_declarations_and_missing_files(static: Path) -> None:
    app = create_app(Settings(static_dir=static))
    types = await request(app, "/webphone.d.ts")
    assert types.status == 200
    assert types.headers["content-type"] == "application/typescript; charset=utf-8"
    (static / "webphone.js").unlink()
    assert (await request(app, "/webphone.js")).status == 404


async def test_the_demo_page_or_a_placeholder(static: Path) -> None:
    app = create_app(Settings(static_dir=static))
    placeholder = await request(app, "/")
    assert placeholder.status == 200
    assert placeholder.headers["content-type"] == "text/html; charset=utf-8"
    assert b"/webphone.js" in placeholder.body
    (static / "index.html").write_text("<!doctype html><web-phone></web-phone>\n")
    page = await request(app, "/")
    assert page.body == b"<!doctype html><web-phone></web-phone>\n" and "etag" in page.headers


async def test_the_packaged_component_is_served_as_javascript() -> None:
    if not (PACKAGE_STATIC / "webphone.js").is_file():
        pytest.skip("static/webphone.js is not written yet")
    reply = await request(create_app(Settings()), "/webphone.js")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"


async def test_healthz() -> None:
    app = create_app(Settings(sip_servers=("wss://pbx.example.com",)))
    reply = await request(app, "/healthz")
    assert reply.status == 200 and reply.headers["cache-control"] == "no-store"
    body = json.loads(reply.body)
    assert body["status"] == "ok" and body["version"]
    assert (body["sessions"], body["attached"]) == (0, 0)
    assert body["sip_servers"] == ["wss://pbx.example.com"]


async def test_without_an_embedded_server_there_is_no_sip_route() -> None:
    app = create_app(Settings())
    assert (await request(app, "/sip")).status == 404
    assert app.state.sessions.config.default_servers == ()


async def test_the_lifespan_end_closes_every_session() -> None:
    app = create_app(Settings())
    sessions = app.state.sessions

    async def during() -> None:
        sessions.open(None)
        sessions.open(None)
        assert len(sessions) == 2

    sent = await lifespan(app, during)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert len(sessions) == 0


@pytest.fixture
async def served() -> AsyncIterator[str]:
    """The app as `webphone serve` runs it: the embedded SIP server mounted at /sip."""
    sip = SipServer(ServerConfig(udp=None, tcp=None, ws=None), DictDirectory(USERS))
    await sip.start()
    port = free_port()
    app = create_app(Settings(port=port), sip_app=sip.websocket_app())
    server = await serve_ws("127.0.0.1", port, app)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        await app.state.sessions.close()
        await server.close()
        await sip.close()


class Page:
    """Just enough of a page to register and place a call: media requests get a captured
    offer or an empty result, and no media flows."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ids = 0

    async def op(self, op: str, **fields: Any) -> dict[str, Any]:
        self.ids += 1
        await self.ws.send(json.dumps({"op": op, "id": self.ids, **fields}))
        return await self.next(lambda m: m.get("id") == self.ids and m["type"] != "event")

    async def next(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        async with asyncio.timeout(5):
            while True:
                message: dict[str, Any] = json.loads(await self.ws.recv())
                if message["type"] == "media":
                    result = {"sdp": OFFER} if message["method"] == "create_offer" else {}
                    answer = {"op": "media_result", "rid": message["rid"], "result": result}
                    await self.ws.send(json.dumps(answer))
                if match(message):
                    return message


async def test_a_session_uses_the_embedded_server_by_default(served: str) -> None:
    async with connect(f"{served}/gateway") as ws:
        page = Page(ws)
        hello = await page.op("hello", version=1)
        assert hello["config"]["wsServers"] == [f"{served}/sip"]
        await page.op("set_config", username="alice", password=USERS["alice"])
        registered = await page.op("register")
        assert registered["type"] == "result" and registered["server"] == f"{served}/sip"
        await page.op("make_call", address="nobody")
        end = await page.next(lambda m: m.get("event") == "end")
        assert end["cdr"]["sip_status"] == 404


async def test_sip_over_http_is_refused_with_426(served: str) -> None:
    async with connect(f"{served}/sip", subprotocols=["sip"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "sip"
    reader, writer = await asyncio.open_connection("127.0.0.1", int(served.rsplit(":", 1)[1]))
    writer.write(b"GET /sip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status.startswith(b"HTTP/1.1 426")
