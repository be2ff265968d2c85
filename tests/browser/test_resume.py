"""The page's gateway WebSocket drops mid-call; the component reconnects, resumes its session,
and the call lives on (docs/protocol.md, "Resuming a dropped connection").

The tracker init script keeps every WebSocket the page opens, so a test can close the
component's socket as a network failure would, or send its reconnect attempts to a dead port
for a while.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from support.phones import USERS, PhoneFactory, PhoneUnderTest
from support.services import free_port
from webphone.phone import Answered, Ended, PhoneEvent

from .helpers import PageOpener, PhonePage, web_phone

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class FarEnd:
    """A Python bob and every event his Phone emitted."""

    bob: PhoneUnderTest
    heard: list[PhoneEvent] = field(default_factory=list)

    def ended(self) -> list[Ended]:
        return [e for e in self.heard if isinstance(e, Ended)]

    async def wait_ended(self, timeout: float = 5.0) -> Ended:
        async def read() -> list[Ended]:
            return self.ended()

        found: list[Ended] = await PhonePage.wait_for(
            read, lambda ended: len(ended) > 0, timeout, "bob's end"
        )
        return found[0]


async def call_bob(open_phone: PageOpener, far_phone: PhoneFactory) -> tuple[PhonePage, FarEnd]:
    """alice's page calls a Python bob who answers at once; the page hears him."""
    far = FarEnd(await far_phone("bob", auto_answer=True))
    far.bob.phone.on(far.heard.append)
    alice = await open_phone(
        web_phone(auto_register=True, username="alice", password=USERS["alice"])
    )
    await alice.registered()
    await alice.dial("bob")
    await alice.in_call()
    await alice.wait_stats(lambda s: s.hearing, what="bob's tone")
    assert any(isinstance(e, Answered) for e in far.heard)
    return alice, far


async def gateway_states(phone: PhonePage) -> list[str]:
    events = await phone.events("connection")
    return [e["detail"]["state"] for e in events if e["detail"]["via"] == "gateway"]


async def sockets(phone: PhonePage) -> int:
    count: int = await phone.page.evaluate("window.__wpt.sockets.length")
    return count


async def test_call_survives_a_dropped_gateway_connection(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    alice, far = await call_bob(open_phone, far_phone)
    assert await sockets(alice) == 1

    await alice.page.evaluate("window.__wpt.sockets.at(-1).close()")
    await alice.wait_for(
        lambda: gateway_states(alice),
        lambda states: states[-2:] == ["reconnecting", "connected"],
        what="reconnected",
    )
    assert await sockets(alice) == 2
    state = await alice.state()
    assert state["connection"] == "connected" and state["registration"] == "registered"
    assert state["call"]["state"] == "active"
    assert far.ended() == []
    assert len(await alice.events("answer")) == 1  # no event repeated by the resume
    assert await alice.peer_connections() == 1

    # Media never went through the socket: it kept flowing. And the resumed session carries
    # the call's signalling: hold and unhold ask the page for new offers over the new socket.
    s0, s1 = await alice.flow(1.0)
    assert s1.packets_received - s0.packets_received > 20
    await alice.click("Hold")
    assert (await alice.wait_event("hold"))["detail"]["local"] is True
    await alice.click("Hold")
    assert (await alice.wait_event("hold", 2))["detail"]["local"] is False
    s0, s1 = await alice.flow(1.0)
    assert s1.packets_received - s0.packets_received > 20

    await alice.click("Hang up")
    cdr = (await alice.wait_event("end"))["detail"]
    assert (cdr["ended_by"], cdr["sip_status"]) == ("local", 200)
    theirs = (await far.wait_ended()).cdr
    assert theirs["call_id"] == cdr["call_id"] and theirs["ended_by"] == "remote"
    await asyncio.sleep(0.5)  # time for a duplicate to show up
    assert len(await alice.events("end")) == 1
    assert len(far.ended()) == 1


async def test_events_missed_while_disconnected_arrive_once_on_resume(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    alice, far = await call_bob(open_phone, far_phone)
    # Offline: the socket drops, and reconnect attempts go to a dead port.
    dead = f"ws://127.0.0.1:{free_port()}/gateway"
    await alice.page.evaluate(
        "(url) => { window.__wpt.offline = url; window.__wpt.sockets.at(-1).close(); }", dead
    )
    await alice.wait_state(lambda s: s["connection"] == "reconnecting", what="reconnecting")
    assert "reconnecting" in await alice.status_text()
    await alice.page.wait_for_function(  # a reconnect attempt has failed
        "(url) => window.__wpt.sockets.some((ws) => ws.url == url && ws.readyState == 3)", arg=dead
    )

    # bob hangs up while the page cannot hear of it; the server keeps the event.
    await far.bob.phone.hangup()
    await far.wait_ended()
    await asyncio.sleep(0.3)
    assert await alice.events("end") == []
    assert (await alice.state())["call"] is not None
    await alice.page.evaluate("window.__wpt.offline = null")

    cdr = (await alice.wait_event("end", timeout=15))["detail"]
    assert cdr["call_id"] == far.ended()[0].cdr["call_id"]
    assert (cdr["ended_by"], cdr["sip_status"]) == ("remote", 200)
    state = await alice.wait_state(lambda s: s["connection"] == "connected", what="resumed")
    assert state["call"] is None and state["registration"] == "registered"
    assert await sockets(alice) >= 3  # the first, a failed attempt, the resumed one
    await asyncio.sleep(0.5)
    assert len(await alice.events("end")) == 1
    assert await alice.page.evaluate("window.__wpt.pcs.at(-1).connectionState") == "closed"
