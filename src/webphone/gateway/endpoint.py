"""The ASGI WebSocket endpoint at /gateway: frames in, checked, handed to the page's session.

Per connection: a size limit and a rate limit, `hello` first (which opens or resumes a
session), then operations dispatched to the session and `media_result`s to its media. A bad
message is answered with an error and the connection goes on. Mount it with
`WebSocketRoute("/gateway", GatewayEndpoint(sessions))`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from .access import ComponentRequest, page_origin
from .connection import Connection
from .protocol import (
    RATE_LIMITED,
    VERSION,
    Operation,
    ProtocolError,
    RateLimiter,
    decode,
    parse_operation,
)
from .session import Session
from .sessions import SessionRegistry

__all__ = ["GatewayEndpoint"]

logger = logging.getLogger(__name__)
_TOO_FAST = "more messages per second than allowed"


class GatewayEndpoint:
    """An ASGI app speaking the gateway protocol on each WebSocket connection."""

    def __init__(self, sessions: SessionRegistry) -> None:
        self.sessions = sessions
        self.config = sessions.config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _upgrade_required(send)
            return
        if scope["type"] != "websocket":
            return  # lifespan: the app that mounts us starts and stops the sessions
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        connection = Connection(websocket)
        writer = asyncio.create_task(connection.write(), name="gateway writer")
        reader = _Reader(self.sessions, connection, _Page.of(websocket))
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await reader.receive(message.get("text"), asyncio.get_running_loop().time())
        finally:
            connection.shut()
            if reader.session is not None:
                reader.session.detach(connection)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class _Page:
    """Who is at the other end, as the handshake says (the page cannot change it)."""

    origin: str
    host: str | None
    client: str | None

    @classmethod
    def of(cls, websocket: WebSocket) -> _Page:
        host = websocket.headers.get("host")
        secure = websocket.url.scheme == "wss"
        client = websocket.client.host if websocket.client else None
        return cls(page_origin(websocket.headers.get("origin"), host, secure=secure), host, client)


class _Reader:
    """What one connection has said so far: its session (after hello) and its rate."""

    def __init__(self, sessions: SessionRegistry, connection: Connection, page: _Page) -> None:
        self.sessions = sessions
        self.connection = connection
        self.page = page
        self.limiter = RateLimiter(sessions.config.rate_limit)
        self.session: Session | None = None

    async def receive(self, frame: str | None, now: float) -> None:
        """One frame (None for a binary one); answers errors itself, never raises.

        Only a hello for a saved component awaits (the component is looked up); frames after
        it wait meanwhile, so that nothing overtakes the hello."""
        allowed = self.limiter.allow(now)
        try:
            op = parse_operation(decode(frame, self.sessions.config.max_message_bytes))
            # A media_result answers our own request: dropping it would stall a call.
            if not allowed and op.op != "media_result":
                raise ProtocolError(
                    RATE_LIMITED, "more than the allowed messages per second", op.id
                )
            if op.op == "hello" and self.session is None:
                self.session = await self._hello(op)
            else:
                self._dispatch(op)
        except ProtocolError as e:
            if not allowed and e.code != RATE_LIMITED:
                e = ProtocolError(RATE_LIMITED, _TOO_FAST, e.id)
            self.connection.put(e.reply())

    def _dispatch(self, op: Operation) -> None:
        session = self.session
        if session is None:
            raise ProtocolError("hello_first", "the first operation must be hello", op.id)
        if op.op == "hello":
            raise ProtocolError("invalid_state", "hello was already said here", op.id)
        if session.closed:  # the server is shutting down; the connection closes next
            raise ProtocolError("invalid_state", "the session is closed", op.id)
        elif op.op == "media_result":
            if not session.media.resolve(op.fields["rid"], op.get("result"), op.get("error")):
                logger.debug("session %s: late or unknown media_result", session.name)
        else:
            session.run(op, self.connection)

    async def _hello(self, op: Operation) -> Session:
        if op.fields["version"] != VERSION:
            message = f"this server speaks version {VERSION}"
            raise ProtocolError("version", message, op.id, versions=[VERSION])
        page = self.page
        token = op.get("resume")
        session = self.sessions.resume(token, page.origin) if token else None
        if session is not None:
            session.hello(self.connection, op.id, resumed=True, last_seq=op.get("last_seq", 0))
            return session
        component = None
        if op.get("component") is not None:
            request = ComponentRequest(
                op.fields["component"], op.get("ticket"), page.origin, page.host, page.client
            )
            component = await self.sessions.component(op.id, request)
        session = self.sessions.open(op.id, component, origin=page.origin, client=page.client)
        session.hello(self.connection, op.id, resumed=False, last_seq=0)
        if token:
            session.notify("resume_failed", "the session is unknown or expired; this is a new one")
        return session


async def _upgrade_required(send: Send) -> None:
    body = b"the webphone gateway speaks WebSocket (docs/protocol.md)\n"
    headers = [(b"content-type", b"text/plain"), (b"upgrade", b"websocket")]
    await send({"type": "http.response.start", "status": 426, "headers": headers})
    await send({"type": "http.response.body", "body": body})
