"""Fixtures: the SIP servers phones register to, and a maker of test phones."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from support.phones import TONES, USERS, PhoneFactory, PhoneUnderTest
from support.services import Kamailio
from webphone.phone import AiortcMedia, LevelMeter, Media, Phone, PhoneConfig, ToneSource
from webphone.sipserver import ServerConfig, SipServer, default_services
from webphone.sipserver.auth import DictDirectory


@pytest.fixture(scope="module")
def kamailio() -> Iterator[Kamailio]:
    with Kamailio(USERS) as server:
        yield server


@pytest.fixture
async def embedded() -> AsyncIterator[SipServer]:
    """The embedded SIP server with the test users, its WebSocket listener on a free port."""
    server = SipServer(
        ServerConfig(ws=("127.0.0.1", 0)),
        users=DictDirectory(USERS),
        services=default_services(media_hosts=["127.0.0.1"]),
    )
    await server.start()
    yield server
    await server.close()


@pytest.fixture(params=["embedded", "kamailio"])
def server_url(request: pytest.FixtureRequest) -> str:
    """The WebSocket URL of each SIP server a test runs against: ours, and Kamailio."""
    if request.param == "kamailio":
        return str(request.getfixturevalue("kamailio").ws_url)
    server: SipServer = request.getfixturevalue("embedded")
    assert server.ws is not None
    return server.ws.url


@pytest.fixture
async def make_phone() -> AsyncIterator[PhoneFactory]:
    made: list[PhoneUnderTest] = []

    async def make(
        name: str,
        servers: tuple[str, ...] | str,
        *,
        password: str | None = None,
        register: bool = True,
        auto_answer: bool = False,
        **config: object,
    ) -> PhoneUnderTest:
        holder: list[PhoneUnderTest] = []

        def media(video: bool) -> Media:
            meter = LevelMeter()
            endpoint = AiortcMedia(ToneSource(TONES[name]), meter, hosts=["127.0.0.1"], video=video)
            holder[0].meters.append(meter)
            holder[0].media.append(endpoint)
            return endpoint

        phone = Phone(
            PhoneConfig(
                ws_servers=(servers,) if isinstance(servers, str) else servers,
                username=name,
                password=USERS[name] if password is None else password,
            ).replace(**config),
            media_factory=media,
            auto_answer=auto_answer,
        )
        under_test = PhoneUnderTest(phone, name)
        holder.append(under_test)
        made.append(under_test)
        if register:
            await phone.register()
        return under_test

    yield make
    for under_test in made:
        await under_test.phone.close()
