"""Failures the user must be told about: a wrong password, an unreachable SIP server.

Each is said on the status line and raised as an `error` event (and `onError`) with its code.
The handler is set by an inline script before the module upgrades the element: a property set
that early must still be called.
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from support.phones import USERS
from support.services import free_port

from .helpers import PageOpener, PhonePage, web_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")

ON_ERROR = """<script>
  window.__errors = [];
  document.querySelector("web-phone").onError = (detail, event) =>
    window.__errors.push({ detail, type: event.type });
</script>"""


async def on_error_calls(phone: PhonePage) -> list[dict[str, object]]:
    calls: list[dict[str, object]] = await phone.page.evaluate("window.__errors")
    return calls


async def test_wrong_password_is_shown_and_raised_as_auth_failed(open_phone: PageOpener) -> None:
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password="not-" + USERS["alice"]) + ON_ERROR
    )
    error = (await alice.wait_event("error"))["detail"]
    assert error["code"] == "auth_failed"
    assert error["sipStatus"] in (401, 407)
    assert "wrong user name or password" in error["message"]
    await expect(alice.status).to_contain_text("wrong user name or password")
    assert await on_error_calls(alice) == [{"detail": error, "type": "error"}]
    state = await alice.state()
    assert (state["connection"], state["registration"]) == ("connected", "unregistered")
    assert await alice.events("registered") == []
    # The status line says it in red (the dot's tone).
    assert await alice.part("status").get_attribute("data-tone") == "bad"


async def test_unreachable_sip_servers_are_shown_and_raised_as_unreachable(
    open_phone: PageOpener,
) -> None:
    dead = ", ".join(f"ws://127.0.0.1:{free_port()}/sip" for _ in range(2))
    alice = await open_phone(
        web_phone(auto_register=True, sip_server=dead, username="alice", password=USERS["alice"])
        + ON_ERROR
    )
    error = (await alice.wait_event("error"))["detail"]
    assert error["code"] == "unreachable"
    assert "cannot reach any SIP server" in error["message"]
    await expect(alice.status).to_contain_text("cannot reach any SIP server")
    assert [call["detail"] for call in await on_error_calls(alice)] == [error]
    assert (await alice.state())["registration"] == "unregistered"


async def test_correcting_a_wrong_password_registers(open_phone: PageOpener) -> None:
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password="not-" + USERS["alice"])
    )
    await alice.wait_event("error")
    await alice.evaluate("el.password = arg;", USERS["alice"])
    await alice.registered(timeout=3)
