"""The dial policy of saved components, and a CDR row for every browser call: written as the
call starts (component, session, SIP user), answered mid-call, completed as it ends; refused
calls are rows that say why."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from support.page import FakePage
from webphone.store import CdrFilter, CdrRow

from .served import SALES_PASSWORD, USERS, Served, serve_app


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    served = await serve_app(tmp_path)
    try:
        yield served
    finally:
        await served.close()


def component(served: Served, name: str, **policy: object) -> None:
    account = {"username": "sales", "password": SALES_PASSWORD, "allowed_origins": "*"}
    served.db.components.create(name, account | policy)


async def bob(served: Served) -> FakePage:
    """A page registered as bob (no component), who rings and answers only when told."""
    page = served.page(None, tone_hz=880.0)
    await page.connect()
    await page.ok("set_config", username="bob", password=USERS["bob"])
    await page.ok("register")
    return page


async def rows(served: Served, ready: Callable[[list[CdrRow]], bool], **where: Any) -> list[CdrRow]:
    """The component's CDR rows (oldest first) once `ready` says so: rows are written in a
    thread, a moment after the event that caused them."""
    found: list[CdrRow] = []
    for _ in range(100):
        found = list(reversed(served.db.cdrs.list(CdrFilter(**where))))
        if ready(found):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"CDR rows never ready: {found}")


async def test_a_destination_outside_the_list_is_refused_and_recorded(served: Served) -> None:
    component(served, "support", allowed_destinations="bob\n+4420*")
    callee = await bob(served)
    page = await served.open("support")
    await page.ok("register")
    for address in ("alice", "+4430123", "sip:bob@127.0.0.1;maddr=192.0.2.1"):
        refused = await page.op("make_call", address=address)
        assert (refused["type"], refused["code"]) == ("error", "forbidden_destination"), refused
        assert "may" in refused["message"]
    assert page.requests == []  # no call, so no media asked of the page

    await page.ok("make_call", address="bob")  # allowed: it rings
    await callee.event("ringing_in")
    await page.ok("hangup")
    await page.event("end")

    found = await rows(
        served, lambda r: len(r) == 4 and r[-1].state == "ended", component_id="support"
    )
    refusals = found[:3]
    assert all(r.reason and r.reason.startswith("refused: this phone may") for r in refusals)
    assert {(r.sip_status, r.ended_by, r.state, r.direction) for r in refusals} == {
        (None, "system", "ended", "outgoing")
    }
    assert refusals[0].to_uri == "sip:alice@127.0.0.1" and refusals[0].user_name == "sales"
    assert found[3].sip_status == 487 and found[3].call_id == page.events[-1]["call_id"]


async def test_the_most_concurrent_calls_of_a_component(served: Served) -> None:
    component(served, "one-line", max_concurrent_calls=1)
    callee = await bob(served)
    first, second = await served.open("one-line"), await served.open("one-line")
    await first.ok("make_call", address="bob")
    await callee.event("ringing_in")
    busy = await second.op("make_call", address="bob")
    assert (busy["code"], busy["message"]) == (
        "too_many_calls",
        "all 1 lines of this phone are busy; try again later",
    )
    await first.ok("hangup")
    await first.event("end")
    await second.ok("make_call", address="nobody")  # the line is free again
    await second.event("end")
    found = await rows(served, lambda r: len(r) == 3, component_id="one-line")
    assert [r.reason for r in found].count("refused: " + busy["message"]) == 1


async def test_calls_per_hour_per_visitor(served: Served) -> None:
    component(served, "limited", calls_per_hour_per_visitor=2)
    page = await served.open("limited")
    for _ in range(2):
        await page.ok("make_call", address="nobody")
        assert (await page.event("end"))["cdr"]["sip_status"] == 404
    limited = await page.op("make_call", address="nobody")
    assert limited["code"] == "rate_limited" and "at most 2 call(s) per hour" in limited["message"]
    other = await served.open("limited")  # the same visitor (IP) on another page
    assert (await other.op("make_call", address="nobody"))["code"] == "rate_limited"
    # Rows are finished off the event loop: wait until none is still active.
    found = await rows(
        served,
        lambda r: len(r) == 4 and all(x.state != "active" for x in r),
        component_id="limited",
    )
    assert sorted(r.sip_status or 0 for r in found) == [0, 0, 404, 404]  # two refused, no status


async def test_a_call_is_a_row_from_its_start_answered_mid_call(served: Served) -> None:
    component(served, "sales")
    callee = await bob(served)
    page = await served.open("sales")
    session = served.app.state.sessions.resume(page.token).name
    call_id = (await page.ok("make_call", address="bob"))["call_id"]
    await callee.event("ringing_in")
    (active,) = await rows(served, lambda r: len(r) == 1, component_id="sales")
    assert (active.call_id, active.state, active.answered_at) == (call_id, "active", None)
    assert (active.session_name, active.user_name, active.to_uri) == (
        session,
        "sales",
        "sip:bob@127.0.0.1",
    )
    await callee.ok("answer")
    await page.event("answer")
    await rows(served, lambda r: r[0].answered_at is not None, component_id="sales")
    await page.ok("hangup")
    cdr = (await page.event("end"))["cdr"]
    (ended,) = await rows(served, lambda r: r[0].state == "ended", component_id="sales")
    assert (ended.id, ended.sip_status, ended.ended_by) == (active.id, 200, "local")
    assert ended.talk_seconds == cdr["talk_seconds"]
    # The callee's side is a row too: an incoming call of a session without component.
    (incoming,) = await rows(
        served, lambda r: len(r) == 1 and r[0].state == "ended", direction="incoming"
    )
    assert (incoming.call_id, incoming.user_name, incoming.component_id) == (call_id, "bob", None)
