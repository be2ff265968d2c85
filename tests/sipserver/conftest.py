"""Fixtures of the SIP server tests: a server on loopback ports picked by the OS, time limits."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator
from types import FrameType

import pytest

from webphone.sipserver import (
    BusyService,
    DictDirectory,
    ServerConfig,
    ServiceRegistry,
    SipServer,
)

from .helpers import USERS

TEST_TIME_LIMIT = 60  # seconds, per test


@pytest.fixture(autouse=True)
def _time_limit() -> Iterator[None]:
    """Fail a test that runs longer than TEST_TIME_LIMIT seconds (a hung await, say)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"test ran longer than {TEST_TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def services() -> ServiceRegistry:
    return ServiceRegistry([BusyService()])


@pytest.fixture
async def server(services: ServiceRegistry) -> AsyncIterator[SipServer]:
    """UDP and WebSocket on 127.0.0.1, free ports; alice, bob and carol as users."""
    config = ServerConfig(
        udp=("127.0.0.1", 0), tcp=("127.0.0.1", 0), ws=("127.0.0.1", 0), user_cache_ttl=0
    )
    server = SipServer(config, DictDirectory(USERS), services)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
def ws_url(server: SipServer) -> str:
    assert server.ws is not None
    return server.ws.url
