"""Live: the gateway's sessions and the SIP server's registrations, as a page and as JSON."""

from __future__ import annotations

import time
from types import SimpleNamespace

from starlette.applications import Starlette

from webphone.phone.call import CallState
from webphone.phone.cdr import Cdr
from webphone.web.admin import Registration
from webphone.web.admin.live import describe

from .client import Browser


async def test_an_empty_server(admin: Browser) -> None:
    page = await admin.get("/admin/live")
    assert page.status == 200 and "No browser has a phone open." in page.text
    assert "Nobody is registered." in page.text and 'data-src="/admin/live.json"' in page.text
    data = (await admin.get("/admin/live.json")).text
    assert '"sessions":[]' in data and '"registrations":[]' in data


async def test_sessions_and_registrations_are_listed(
    admin: Browser, app: Starlette, registrations: list[Registration]
) -> None:
    session = app.state.sessions.open(None, origin="https://shop.example.com")
    try:
        registrations.append(Registration("alice", "sip:a@x.invalid", "WS", "127.0.0.1:5", 60))
        page = await admin.get("/admin/live")
        assert session.name in page.text and "waiting to resume" in page.text
        assert "not registered" in page.text and "sip:a@x.invalid" in page.text
        assert "page settings" in page.text and "https://shop.example.com" in page.text
        reply = await admin.get("/admin/live.json")
        assert reply.header("content-type") == "application/json"
        assert f'"session":"{session.name}"' in reply.text
        assert '"counts":{"sessions":1,"registered":0,"calls":0,"bindings":1}' in reply.text
    finally:
        await session.close()
    assert '"sessions":[]' in (await admin.get("/admin/live.json")).text


async def test_a_call_is_described(app: Starlette) -> None:
    session = app.state.sessions.open(None)
    try:
        now = time.time()
        cdr = Cdr("c1", "incoming", "sip:bob@127.0.0.1", "sip:alice@127.0.0.1", None, now - 30)
        cdr.from_name, cdr.answered_at = "Bob", now - 20
        call = SimpleNamespace(
            cdr=cdr, state=CallState.ACTIVE, local_hold=False, remote_hold=True, muted=True
        )
        session.phone.call = call
        described = describe(session, now)
        assert described["call"] == {
            "state": "in call",
            "direction": "incoming",
            "remote": "bob@127.0.0.1",
            "remote_name": "Bob",
            "held": True,
            "muted": True,
            "seconds": 20,
        }
        session.phone.call = None
    finally:
        await session.close()
