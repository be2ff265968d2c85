"""Fixtures of the SIP server tests: a server on loopback ports picked by the OS, time limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from webphone.sipserver import (
    BusyService,
    DictDirectory,
    ServerConfig,
    ServiceRegistry,
    SipServer,
)

from .helpers import USERS


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
