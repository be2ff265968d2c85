"""SIPp through the embedded proxy over UDP, with digest auth on REGISTER and INVITE.

A SIPp UAS registers as bob (register_auth.xml, then uas.xml on the same port); a SIPp UAC
calls bob as alice (uac_auth.xml: INVITE, 407, INVITE with credentials, 180, 200, ACK, BYE).
Runs only inside a loopback-only network namespace, and fails (never skips) without SIPp:

    unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest tests/sipserver'
"""

from __future__ import annotations

import asyncio

import pytest

from support.netns import in_loopback_namespace
from support.services import Sipp, SippResult
from webphone.sipserver import SipServer

CALLS = 50
RATE = 50.0


@pytest.fixture
def loopback_only() -> None:
    if not in_loopback_namespace():
        pytest.fail(
            "SIPp tests run only in a loopback-only network namespace; as root:\n"
            "  unshare --net sh -c 'ip link set lo up && exec .venv/bin/python -m pytest "
            "tests/sipserver'"
        )


async def run(sipp: Sipp) -> SippResult:
    return await asyncio.to_thread(sipp.run)


async def test_sipp_calls_through_the_proxy(server: SipServer, loopback_only: None) -> None:
    assert server.udp is not None
    target = f"127.0.0.1:{server.udp.local[1]}"
    # The UAS registers from the port it will then answer on (one SIPp cannot do both).
    registration = Sipp("register_auth", target, service="bob", auth=("bob", "bob-secret"))
    registered = await run(registration)
    assert registered.ok, registered.summary()
    assert len(server.core.registrar.lookup("bob", 0)) == 1
    uas = Sipp("uas", service="bob", local_port=registration.local_port, calls=CALLS, timeout=30)
    uas.start()
    try:
        uac = Sipp(
            "uac_auth",
            target,
            service="bob",
            keys={"caller": "alice"},
            auth=("alice", "alice-secret"),
            calls=CALLS,
            rate=RATE,
            timeout=30,
        )
        result = await run(uac)
    finally:
        await asyncio.to_thread(uas.stop)
    assert result.ok, result.summary()
    assert result.successful == CALLS and result.failed == 0, result.summary()
