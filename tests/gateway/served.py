"""The whole app as `webphone serve` runs it (store, embedded SIP server, gateway), served on
loopback, and pages that say where they come from (the WebSocket's Origin header) and keep
every frame they receive."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from support.page import TIMEOUT, FakePage
from support.services import free_port
from webphone.sipserver import ServerConfig, SipServer
from webphone.store import Database
from webphone.transport import WsServer, serve_ws
from webphone.web import Settings, create_app
from webphone.web.tickets import Tickets, load_secret

#: SIP users of the embedded server. The component's password is distinctive, so that a test
#: can look for it in everything the page receives.
SALES_PASSWORD = "s3cret-of-the-sales-line"
USERS = {"sales": SALES_PASSWORD, "bob": "bob-password"}
SHOP = "https://shop.example.com"


class _Recording:
    """A client connection that keeps every frame it receives."""

    def __init__(self, ws: ClientConnection, frames: list[str | bytes]) -> None:
        self._ws = ws
        self.frames = frames

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    async def __aiter__(self) -> AsyncIterator[str | bytes]:
        async for frame in self._ws:
            self.frames.append(frame)
            yield frame


class OriginPage(FakePage):
    """A FakePage whose handshake carries `origin` (None: no Origin header, like a program);
    `frames` holds every frame received, over every connection."""

    def __init__(self, url: str, origin: str | None, tone_hz: float = 440.0) -> None:
        super().__init__(url, tone_hz)
        self.origin = origin
        self.frames: list[str | bytes] = []

    async def connect(self, *, resume: bool = False, **hello: Any) -> dict[str, Any]:
        ws = await connect(
            self.url,
            origin=Origin(self.origin) if self.origin else None,
            open_timeout=TIMEOUT,
            max_size=None,
        )
        self.ws = cast(ClientConnection, _Recording(ws, self.frames))
        self._tasks = [asyncio.create_task(self._read(self.ws)), asyncio.create_task(self._media())]
        if resume:
            hello |= {"resume": self.token, "last_seq": self.last_seq}
        reply = await self.op("hello", **({"version": 1} | hello))
        if reply["type"] == "result":
            self.token = reply["resume_token"]
        return reply

    def received(self) -> str:
        """Everything received so far, as one text."""
        return "\n".join(f if isinstance(f, str) else f.decode("latin-1") for f in self.frames)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    """The app on 127.0.0.1:port, its database, and the pages made for it."""

    port: int
    db: Database
    tickets: Tickets
    app: Starlette
    server: WsServer
    sip: SipServer
    pages: list[OriginPage] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page(self, origin: str | None = SHOP, tone_hz: float = 440.0) -> OriginPage:
        page = OriginPage(f"ws://127.0.0.1:{self.port}/gateway", origin, tone_hz)
        self.pages.append(page)
        return page

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        return await asyncio.to_thread(_get, self.base + path, headers or {})

    async def ticket(self, component: str, origin: str | None = SHOP) -> str:
        reply = await self.get(f"/tickets/{component}", {"Origin": origin} if origin else {})
        assert reply.status == 200, reply
        return str(reply.json()["ticket"])

    async def open(self, component: str, origin: str | None = SHOP) -> OriginPage:
        """A page of `origin` with a session for the component, its ticket fetched first."""
        page = self.page(origin)
        reply = await page.connect(component=component, ticket=await self.ticket(component, origin))
        assert reply["type"] == "result", reply
        return page

    async def close(self) -> None:
        for page in self.pages:
            await page.close()
        await self.app.state.sessions.close()  # calls end, the last CDR rows are written
        await self.server.close()
        await self.sip.close()
        self.db.close()


def _get(url: str, headers: dict[str, str]) -> Reply:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers)
    try:
        with opener.open(request, timeout=5) as response:
            return Reply(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, _lower(e.headers.items()), e.read())


def _lower(items: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


async def serve_app(data_dir: Path) -> Served:
    """The app with its store in `data_dir`, the embedded SIP server's users being `USERS`."""
    db = Database.open(data_dir)
    for name, password in USERS.items():
        db.sip_users.add(name, password)
    sip = SipServer(ServerConfig(udp=None, tcp=None, ws=None), db.sip_users)
    await sip.start()
    port = free_port()
    tickets = Tickets(load_secret(data_dir))
    app = create_app(
        Settings(port=port, data_dir=data_dir),
        sip_app=sip.websocket_app(),
        database=db,
        tickets=tickets,
    )
    server = await serve_ws("127.0.0.1", port, app)
    return Served(port, db, tickets, app, server, sip)
