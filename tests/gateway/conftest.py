"""Fixtures: Kamailio, a gateway served by uvicorn, fake pages, and far-end headless Phones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from support.page import FakePage
from support.phones import TONES, USERS, PhoneFactory, PhoneUnderTest
from support.services import Kamailio
from webphone.gateway import GatewayConfig, GatewayEndpoint, SessionRegistry
from webphone.gateway.session import OnCdr
from webphone.phone import AiortcMedia, LevelMeter, Media, Phone, PhoneConfig, ToneSource
from webphone.transport import WsServer, serve_ws


@pytest.fixture(scope="package")
def kamailio() -> Iterator[Kamailio]:
    with Kamailio(USERS) as server:
        yield server


@dataclass
class Gateway:
    """A gateway endpoint served on loopback, and its sessions."""

    server: WsServer
    sessions: SessionRegistry
    pages: list[FakePage]

    @property
    def url(self) -> str:
        return f"{self.server.url}/gateway"

    def page(self, tone_hz: float = TONES["alice"]) -> FakePage:
        page = FakePage(self.url, tone_hz)
        self.pages.append(page)
        return page


GatewayFactory = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def start_gateway() -> AsyncIterator[GatewayFactory]:
    """`await start_gateway(on_cdr, **GatewayConfig fields)`: a gateway; closed after the test."""
    started: list[Gateway] = []

    async def start(on_cdr: OnCdr | None = None, **config: object) -> Gateway:
        sessions = SessionRegistry(GatewayConfig(**config), on_cdr=on_cdr)  # type: ignore[arg-type]
        app = Starlette(routes=[WebSocketRoute("/gateway", GatewayEndpoint(sessions))])
        gateway = Gateway(await serve_ws("127.0.0.1", 0, app), sessions, [])
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        for page in gateway.pages:
            await page.close()
        await gateway.sessions.close()
        await gateway.server.close()


@pytest.fixture
def cdrs() -> list[dict[str, Any]]:
    """The CDRs the `gateway` fixture stored."""
    return []


@pytest.fixture
async def gateway(
    start_gateway: GatewayFactory, kamailio: Kamailio, cdrs: list[dict[str, Any]]
) -> Gateway:
    """A gateway whose sessions use Kamailio unless their page says otherwise."""
    return await start_gateway(cdrs.append, default_servers=(kamailio.ws_url,))


@pytest.fixture
async def make_phone() -> AsyncIterator[PhoneFactory]:
    """Headless far-end Phones that send their user's tone and measure what they hear."""
    made: list[PhoneUnderTest] = []

    async def make(name: str, url: str, *, auto_answer: bool = False) -> PhoneUnderTest:
        holder: list[PhoneUnderTest] = []

        def media(video: bool) -> Media:
            meter = LevelMeter()
            endpoint = AiortcMedia(ToneSource(TONES[name]), meter, hosts=["127.0.0.1"])
            holder[0].meters.append(meter)
            holder[0].media.append(endpoint)
            return endpoint

        config = PhoneConfig(ws_servers=(url,), username=name, password=USERS[name])
        phone = Phone(config, media_factory=media, auto_answer=auto_answer)
        holder.append(PhoneUnderTest(phone, name))
        made.append(holder[0])
        await phone.register()
        return holder[0]

    yield make
    for under_test in made:
        await under_test.phone.close()
