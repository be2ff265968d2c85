"""Saved components through the gateway: a ticket for an allowed origin, the saved account kept
on the server, and pages of other origins refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from webphone.web.tickets import Tickets, load_secret

from .served import SALES_PASSWORD, SHOP, Served, serve_app

EVIL = "https://evil.example.net"
OTHER = "https://other.example.org"


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    served = await serve_app(tmp_path)
    served.db.components.create(
        "sales",
        {
            "username": "sales",
            "password": SALES_PASSWORD,
            "display_name": "Sales desk",
            "width": 320,
            "show_hold": False,
            "allowed_origins": f"{SHOP}\n{OTHER}",
        },
    )
    served.db.components.create("private", {"username": "sales", "password": SALES_PASSWORD})
    try:
        yield served
    finally:
        await served.close()


async def test_an_allowed_page_uses_the_saved_account_and_never_sees_its_password(
    served: Served,
) -> None:
    reply = await served.get("/tickets/sales", {"Origin": SHOP})
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == SHOP
    assert reply.headers["cache-control"] == "no-store" and "Origin" in reply.headers["vary"]
    body = reply.json()
    assert (body["component"], body["expires_in"]) == ("sales", 300)
    assert SALES_PASSWORD.encode() not in reply.body

    page = served.page(SHOP)
    hello = await page.connect(component="sales", ticket=body["ticket"])
    config = hello["config"]
    assert (config["username"], config["displayName"]) == ("sales", "Sales desk")
    assert (config["width"], config["show_hold"], config["show_dialpad"]) == (320, False, True)
    assert "password" not in config

    registered = await page.ok("register")  # with the password the page never had
    assert registered["server"] == f"ws://127.0.0.1:{served.port}/sip"
    refused = await page.op("set_config", username="mallory", password="guess")
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    await page.ok("make_call", address="nobody")
    end = await page.event("end")
    assert end["cdr"]["sip_status"] == 404
    await page.ok("unregister")
    await page.event("unregistered")

    assert len(page.frames) >= 8  # hello, replies, events: all recorded
    assert SALES_PASSWORD not in page.received()


async def test_the_servers_own_origin_is_always_allowed(served: Served) -> None:
    own = served.base
    # A same-origin fetch carries no Origin header (the hosted page /p/ID); the ticket is for
    # the server's own origin, which the WebSocket's Origin then names.
    reply = await served.get("/tickets/private")
    assert reply.status == 200 and "access-control-allow-origin" not in reply.headers
    page = served.page(own)
    hello = await page.connect(component="private", ticket=reply.json()["ticket"])
    assert hello["type"] == "result"

    refused = await served.get("/tickets/private", {"Origin": SHOP})
    assert (refused.status, refused.json()["error"]["code"]) == (403, "forbidden")
    assert "access-control-allow-origin" not in refused.headers
    missing = await served.get("/tickets/nothing-here", {"Origin": SHOP})
    assert (missing.status, missing.json()["error"]["code"]) == (404, "not_found")


async def test_tickets_are_checked_with_the_pages_origin(served: Served, tmp_path: Path) -> None:
    async def hello(origin: str | None, **fields: Any) -> str:
        page = served.page(origin)
        reply = await page.connect(component="sales", **fields)
        assert (reply["type"], reply["code"]) == ("error", "forbidden"), reply
        await page.close()
        return str(reply["message"])

    shop_ticket = await served.ticket("sales", SHOP)
    assert "a ticket is needed" in await hello(SHOP)
    assert "not valid" in await hello(SHOP, ticket="9999999999.forged-mac")
    assert "not valid" in await hello(SHOP, ticket="garbage")
    # Another allowed origin cannot use the shop's ticket, nor a refused origin any ticket.
    assert f"not valid for component sales on {OTHER}" in await hello(OTHER, ticket=shop_ticket)
    assert f"pages of {EVIL} may not use" in await hello(EVIL, ticket=shop_ticket)
    # A program without Origin is taken for the server's own page: the shop's ticket is not it.
    assert "not valid" in await hello(None, ticket=shop_ticket)

    old = Tickets(load_secret(tmp_path), clock=lambda: time.time() - 301)
    assert "expired" in await hello(SHOP, ticket=old.issue("sales", SHOP))
    other_secret = Tickets(b"x" * 32)
    assert "not valid" in await hello(SHOP, ticket=other_secret.issue("sales", SHOP))
    private_ticket = await served.ticket("private", None)
    assert "not valid" in await hello(served.base, ticket=private_ticket.replace("1", "2", 1))

    page = served.page(SHOP)
    reply = await page.connect(component="nothing-here", ticket=shop_ticket)
    assert reply["code"] == "forbidden" and "no component" in reply["message"]
    assert len(served.app.state.sessions) == 0


async def test_a_resume_token_is_no_use_to_a_page_of_another_origin(served: Served) -> None:
    shop = await served.open("sales", SHOP)
    thief = served.page(EVIL)
    thief.token = shop.token
    reply = await thief.connect(resume=True)
    assert reply["resumed"] is False  # a new session of its own, without the component
    assert reply["config"]["username"] == "" and (await thief.event("error"))["code"] == (
        "resume_failed"
    )
    again = served.page(SHOP)
    again.token = shop.token
    assert (await again.connect(resume=True))["resumed"] is True
