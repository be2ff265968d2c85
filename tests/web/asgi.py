"""Drive an ASGI app in-process: one HTTP request, or the lifespan's start and stop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


async def request(
    app: ASGIApp, path: str, *, method: str = "GET", headers: Sequence[tuple[str, str]] = ()
) -> Reply:
    """`method path` with `headers`, as uvicorn would hand it to the app."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # no disconnect while the app answers
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(dict(message))

    await asyncio.wait_for(app(scope, receive, send), 5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers_out = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return Reply(start["status"], headers_out, body)


async def lifespan(app: ASGIApp, during: Callable[[], Awaitable[None]]) -> list[str]:
    """Start the app, run `during`, stop it; the lifespan messages the app sent."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    sent: list[str] = []
    started = asyncio.Event()

    async def send(message: Message) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            started.set()

    inbox.put_nowait({"type": "lifespan.startup"})

    async def run() -> None:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)

    running = asyncio.create_task(run())
    await asyncio.wait_for(started.wait(), 5)
    await during()
    inbox.put_nowait({"type": "lifespan.shutdown"})
    await asyncio.wait_for(running, 5)
    return sent
