"""The connection's writer: order, closing after the backlog, a page that does not read."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from starlette.websockets import WebSocket

from webphone.gateway.connection import MAX_QUEUED, Connection


class FakeWebSocket:
    """What the writer uses of a Starlette WebSocket; `stuck` holds every send."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.stuck = asyncio.Event()
        self.stuck.set()

    async def send_text(self, text: str) -> None:
        await self.stuck.wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def connection() -> tuple[Connection, FakeWebSocket]:
    fake = FakeWebSocket()
    return Connection(cast(WebSocket, fake)), fake


async def test_messages_go_in_order_then_the_close() -> None:
    conn, fake = connection()
    conn.put({"n": 1})
    conn.put({"n": float("nan")})  # not JSON: skipped, the connection lives on
    conn.put({"n": 2, "s": "é"})
    conn.close(4001, "moved")
    conn.put({"n": 3})  # after the close: dropped
    await asyncio.wait_for(conn.write(), 1)
    assert fake.sent == ['{"n":1}', '{"n":2,"s":"é"}']
    assert fake.closed == (4001, "moved")


async def test_a_page_that_does_not_read_is_closed() -> None:
    conn, fake = connection()
    fake.stuck.clear()
    writer = asyncio.create_task(conn.write())
    message: dict[str, Any] = {"type": "event"}
    for _ in range(MAX_QUEUED + 5):
        conn.put(message)
    assert not conn.open
    fake.stuck.set()
    await asyncio.wait_for(writer, 1)
    assert fake.closed == (1008, "messages not read")
    assert len(fake.sent) <= 1  # the one in flight when the backlog was dropped
