"""A hidden `<web-phone>` driven only through its JavaScript API (page.evaluate).

Every event of the seed's API fires with the detail docs/component.md gives, both as a DOM
event (recorded by the tracker init script) and through its `onX` handler property, which is
called as `fn(detail, event)` with `this` the element.
"""

from __future__ import annotations

from typing import Any

import pytest

from support.phones import USERS, PhoneFactory
from webphone.phone import Answered, Ended, RingingIn

from .helpers import PageOpener, PhonePage

pytestmark = pytest.mark.asyncio(loop_scope="module")

HANDLERS = {
    "registered": "onRegistered",
    "unregistered": "onUnregistered",
    "ringingin": "onRingingIn",
    "ringingout": "onRingingOut",
    "answer": "onAnswer",
    "end": "onEnd",
    "error": "onError",
}

INSTALL_HANDLERS = """
window.__handled = [];
for (const [type, name] of Object.entries(arg)) {
  el[name] = function (detail, event) {
    window.__handled.push({ type, detail: JSON.parse(JSON.stringify(detail ?? null)),
      eventType: event?.type, sameDetail: event?.detail === detail, self: this === el });
  };
}
"""


async def handled(phone: PhonePage, type: str) -> list[Any]:
    """Details the `onX` handler of `type` was called with; checks how it was called."""
    calls: list[dict[str, Any]] = await phone.page.evaluate("window.__handled")
    mine = [c for c in calls if c["type"] == type]
    for call in mine:
        assert call["eventType"] == type and call["sameDetail"] and call["self"], call
    return [c["detail"] for c in mine]


async def both(phone: PhonePage, type: str, count: int = 1) -> Any:
    """The `count`-th `type` event's detail, checked to be what the handler got too."""
    detail = (await phone.wait_event(type, count))["detail"]
    assert (await handled(phone, type))[count - 1] == detail
    return detail


async def test_hidden_phone_driven_by_the_api_fires_every_event(
    open_phone: PageOpener, far_phone: PhoneFactory
) -> None:
    bob = await far_phone("bob")
    api = await open_phone('<web-phone id="api" hidden></web-phone>')
    assert not await api.element.is_visible()
    await api.evaluate(INSTALL_HANDLERS, HANDLERS)

    await api.call("setConfig", {"username": "alice", "password": USERS["alice"]})
    result = await api.call("register")
    assert result["expires"] > 0 and result["server"].endswith("/sip")
    assert await both(api, "registered") == result

    # An outgoing call: ringingout, answer, hold, mute, end with its CDR.
    call_id = await api.call("makeCall", "bob")
    assert isinstance(call_id, str) and call_id
    assert await both(api, "ringingout") == {"callId": call_id, "status": 180, "earlyMedia": False}
    await bob.phone.wait_for(RingingIn)
    await bob.phone.answer()
    answer = await both(api, "answer")
    assert answer["callId"] == call_id and answer["direction"] == "outgoing"
    assert answer["remoteUri"].startswith("sip:bob@")
    assert (await api.state())["call"]["state"] == "active"

    await api.call("hold")
    assert (await api.wait_event("hold"))["detail"] == {
        "callId": call_id,
        "local": True,
        "remote": False,
    }
    await api.call("unhold")
    assert (await api.wait_event("hold", 2))["detail"]["local"] is False
    await api.call("mute")
    assert (await api.state())["call"]["muted"] is True
    await api.call("unmute")
    assert (await api.state())["call"]["muted"] is False

    await api.call("hangup")
    cdr = await both(api, "end")
    assert cdr["call_id"] == call_id and cdr["direction"] == "outgoing"
    assert (cdr["ended_by"], cdr["sip_status"]) == ("local", 200)
    assert cdr["ringing_at"] is not None and cdr["talk_seconds"] > 0
    assert (await bob.phone.wait_for(Ended)).cdr["call_id"] == call_id

    # An incoming call: ringingin, answered through the API, ended by the far end.
    await bob.phone.make_call("alice")
    ringing = await both(api, "ringingin")
    assert bob.phone.call is not None
    assert ringing == {
        "callId": bob.phone.call.call_id,
        "fromUri": "sip:bob@127.0.0.1",
        "fromName": None,
        "fromUser": "bob",
        "video": False,
    }
    await api.call("answer")
    answer = await both(api, "answer", 2)
    assert answer["direction"] == "incoming" and answer["callId"] == ringing["callId"]
    await bob.phone.wait_for(Answered)
    await bob.phone.hangup()
    cdr = await both(api, "end", 2)
    assert (cdr["direction"], cdr["ended_by"]) == ("incoming", "remote")

    await api.call("unregister")
    assert await both(api, "unregistered") == {"reason": "requested"}
    assert (await api.state())["registration"] == "unregistered"

    # A refused microphone (the test seam getUserMedia): an error in words, code media_failed.
    await api.evaluate(
        "el.phone.getUserMedia = () => Promise.reject("
        "new DOMException('Permission denied', 'NotAllowedError'));"
    )
    await api.call("register")
    call_id = await api.call("makeCall", "bob")  # resolves once dialling; media comes next
    error = await both(api, "error")
    assert error == {
        "code": "media_failed",
        "message": error["message"],
        "sipStatus": None,
        "callId": call_id,
    }
    assert error["message"].startswith("Microphone access was refused")
    cdr = await both(api, "end", 3)
    assert (cdr["call_id"], cdr["ended_by"], cdr["answered_at"]) == (call_id, "system", None)
    assert "Microphone access was refused" in cdr["reason"]
    assert len(await api.events("error")) == 1  # said once, in words
    assert (await api.state())["call"] is None

    # Every handler ran as often as its DOM event fired.
    for type in HANDLERS:
        assert len(await handled(api, type)) == len(await api.events(type)), type
