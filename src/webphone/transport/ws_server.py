"""The SIP-over-WebSocket listener (RFC 7118) as an ASGI app, and a helper to serve it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from ssl import SSLContext

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from .flow import Flow, FlowTable, OnMessage, TransportError, deliver

logger = logging.getLogger(__name__)

SUBPROTOCOL = "sip"  # RFC 7118 §4
#: Larger WebSocket messages close the connection (code 1009); a SIP message is at most 64 KiB.
MAX_FRAME = 128 * 1024
_PING, _PONG = b"\r\n\r\n", b"\r\n"  # RFC 5626 §3.5.1, as JsSIP and others send it over WS


class SipWebSocketEndpoint:
    """An ASGI app: each WebSocket connection speaking `sip` is a `Flow` in `flows`.

    Serve it alone (`serve_ws`) or mount it in a Starlette app:
    `WebSocketRoute("/sip", SipWebSocketEndpoint(on_message, flows))`.
    """

    def __init__(self, on_message: OnMessage, flows: FlowTable) -> None:
        self.on_message = on_message
        self.flows = flows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _upgrade_required(send)
            return
        if scope["type"] != "websocket":
            return  # lifespan: nothing to start or stop
        websocket = WebSocket(scope, receive, send)
        if SUBPROTOCOL not in scope.get("subprotocols", ()):
            # RFC 7118 §4: a SIP WebSocket server only talks `sip`. Closing before accepting
            # refuses the handshake (the ASGI server answers 403).
            logger.info("refused a WebSocket without subprotocol sip from %s", scope.get("client"))
            await websocket.close(code=1002)
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)

        async def send_message(data: bytes) -> None:
            try:
                # Text frames must be UTF-8; a binary body goes in a binary frame (RFC 7118 §5).
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                await websocket.send_bytes(data)
            else:
                await websocket.send_text(text)

        async def close() -> None:
            await websocket.close(code=1000)

        client, server = scope.get("client") or ("", 0), scope.get("server") or ("", 0)
        flow = Flow(
            "WSS" if scope.get("scheme") == "wss" else "WS",
            (str(client[0]), int(client[1])),
            (str(server[0]), int(server[1] or 0)),
            send_message,
            close,
        )
        self.flows.add(flow)
        reason = "closed by peer"
        try:
            reason = await self._receive(websocket, flow)
        except TransportError as e:  # the peer left while we answered it
            reason = f"send failed: {e}"
        finally:
            self.flows.remove(flow, reason)

    async def _receive(self, websocket: WebSocket, flow: Flow) -> str:
        while True:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                return f"closed (code {event.get('code', 1000)})"
            text, data = event.get("text"), event.get("bytes")
            raw = text.encode("utf-8") if text is not None else bytes(data or b"")
            if raw == _PING:
                await flow.send(_PONG)
            elif raw.strip(b"\r\n"):  # a lone CRLF is a pong or padding: nothing to do
                response = deliver(raw, flow, self.on_message)
                if response is not None:
                    await flow.send(response)


def sip_websocket_endpoint(on_message: OnMessage, flows: FlowTable) -> SipWebSocketEndpoint:
    """The ASGI app for SIP over WebSocket; mountable at `/sip` with `WebSocketRoute`."""
    return SipWebSocketEndpoint(on_message, flows)


async def _upgrade_required(send: Send) -> None:
    body = b"SIP over WebSocket: connect with the WebSocket subprotocol sip (RFC 7118)\n"
    headers = [(b"content-type", b"text/plain"), (b"upgrade", b"websocket")]
    await send({"type": "http.response.start", "status": 426, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Signals belong to the application that embeds this listener, not to uvicorn.
        yield


class WsServer:
    """A running `serve_ws`: where it listens, and `close()`."""

    def __init__(self, server: uvicorn.Server, task: asyncio.Task[None], host: str, port: int):
        self._server = server
        self._task = task
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        scheme = "wss" if self._server.config.ssl is not None else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    async def close(self, timeout: float = 5.0) -> None:
        """Close every connection (code 1012, "service restart") and stop listening."""
        self._server.should_exit = True
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._task)
        except TimeoutError:
            self._server.force_exit = True
            await self._task


async def serve_ws(
    host: str, port: int, app: ASGIApp, ssl: SSLContext | None = None, *, timeout: float = 5.0
) -> WsServer:
    """Serve an ASGI app with uvicorn on (host, port), port 0 for a free one; WSS with `ssl`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)  # SO_REUSEADDR: restarts reuse it
    sock.setblocking(False)
    # asyncio only disables Nagle on sockets it creates; accepted sockets inherit this on Linux.
    # Without it two small frames sent back to back wait ~40 ms for the delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        log_config=None,  # leave the application's logging configuration alone
        access_log=False,
        ws_max_size=MAX_FRAME,
        ws_per_message_deflate=False,  # SIP messages are small; inflate costs memory per peer
        ssl_context_factory=(lambda _config, _default: ssl) if ssl is not None else None,
        timeout_graceful_shutdown=int(timeout),
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn {host}:{port}")
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                if task.done():
                    break
                await asyncio.sleep(0.01)
    except TimeoutError:
        server.force_exit = server.should_exit = True
    if not server.started:
        with contextlib.suppress(Exception, SystemExit):  # uvicorn exits on a failed startup
            await task
        sock.close()
        raise OSError(f"could not serve WebSocket on {host}:{port}")
    bound = sock.getsockname()
    return WsServer(server, task, str(bound[0]), int(bound[1]))
