"""A SIP-over-WebSocket client (RFC 7118) with keepalive, failover and reconnect with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import ssl
import string
from collections.abc import Callable, Sequence
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from webphone.sip import ParseError, parse

from . import trace
from .events import Connected, ConnectFailed, Disconnected, TransportEvent
from .failover import FailoverPolicy
from .flow import Message, TransportError, bad_message_event, call_safely

logger = logging.getLogger(__name__)

SUBPROTOCOL = Subprotocol("sip")  # RFC 7118 §4: the only subprotocol of SIP over WebSocket
#: Larger WebSocket messages close the connection (code 1009); a SIP message is at most 64 KiB.
MAX_FRAME = 128 * 1024
_PING, _PONG = b"\r\n\r\n", b"\r\n"  # RFC 5626 §3.5.1, as some servers send it over WebSocket


class SipWebSocketClient:
    """One SIP-over-WebSocket connection to the first server of a list that accepts it.

    `on_message` gets every SIP message received, `on_event` every `TransportEvent`; both are
    plain functions called on the event loop, and an exception in them is logged, not raised.
    `ssl_context` replaces the default TLS context (certificate checks on); `ca_file` adds a
    private CA to the default one. Each server gets `connect_timeout` seconds for TCP, TLS and
    the handshake. `keepalive_interval` is the WebSocket ping period and the time allowed for
    the pong (None: no pings). `backoff_initial`/`backoff_max` and `rng` shape the waits
    between reconnection rounds (see `FailoverPolicy`).
    """

    #: WebSocket is a reliable transport: no retransmissions of requests (RFC 3261 §17.1.1.2).
    reliable = True

    def __init__(
        self,
        servers: Sequence[str],
        *,
        on_message: Callable[[Message], None],
        on_event: Callable[[TransportEvent], None],
        ssl_context: ssl.SSLContext | None = None,
        ca_file: str | None = None,
        connect_timeout: float = 5.0,
        keepalive_interval: float | None = 25.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._policy = FailoverPolicy(
            servers, initial=backoff_initial, maximum=backoff_max, rng=rng
        )
        self._on_message = on_message
        self._on_event = on_event
        if ssl_context is None and any(u.startswith("wss:") for u in self._policy.servers):
            # Certificate and host name checks on; `ca_file` adds a private CA's root.
            ssl_context = ssl.create_default_context()
            if ca_file is not None:
                ssl_context.load_verify_locations(cafile=ca_file)
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive_interval
        # RFC 7118 §5: the client cannot be reached at its address, so Via (and Contact)
        # carry a random host under .invalid (RFC 2606), the same for the client's life.
        alphabet = string.ascii_lowercase + string.digits
        self._via_host = "".join(secrets.choice(alphabet) for _ in range(12)) + ".invalid"
        self._ws: ClientConnection | None = None
        self._url: str | None = None
        self._round = 0  # the failover round that made the current connection
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def connected_url(self) -> str | None:
        return self._url if self.is_connected else None

    @property
    def is_connected(self) -> bool:
        return self._ws is not None and self._ws.close_code is None and not self._closing

    @property
    def via_transport(self) -> str:
        """ "WSS" or "WS" (RFC 7118 §5), for the connected server (else the first listed)."""
        url = self._url or self._policy.servers[0]
        return "WSS" if url.startswith("wss:") else "WS"

    @property
    def via_host(self) -> str:
        return self._via_host

    async def start(self) -> None:
        """Connect to the first server that accepts, in list order; then keep the connection.

        Raises `TransportError` listing every server and why it failed when none accepts.
        """
        if self._task is not None or self._closing:
            raise TransportError("start() was already called, or the client is closed")
        failures: list[tuple[str, BaseException]] = []
        for url in self._policy.servers:
            try:
                ws = await self._open(url)
            except Exception as e:
                failures.append((url, e))
                continue
            self._attach(ws, url, 0)
            self._task = asyncio.create_task(self._run(), name=f"sip-ws {url}")
            call_safely(self._on_event, Connected(url, reconnect=False))
            return
        listing = "; ".join(f"{url}: {describe(e, self._connect_timeout)}" for url, e in failures)
        raise TransportError(
            f"no SIP WebSocket server accepted a connection: {listing}", tuple(failures)
        )

    async def send(self, message: Message | bytes) -> None:
        """Send one SIP message as one WebSocket message (RFC 7118 §5)."""
        ws = self._ws
        if ws is None or not self.is_connected:
            raise TransportError("not connected to a SIP WebSocket server")
        data = message if isinstance(message, bytes) else bytes(message)
        trace.sent(data, self.via_transport, self._url or "")
        try:
            # Text frames must be UTF-8; a binary body goes in a binary frame (RFC 7118 §5).
            await ws.send(data.decode("utf-8"))
        except UnicodeDecodeError:
            await self._send_raw(ws, data)
        except ConnectionClosed as e:
            raise TransportError(f"connection to {self._url} closed while sending: {e}") from e

    async def close(self) -> None:
        """Close the connection and stop reconnecting."""
        if self._closing:
            return
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        ws, url = self._ws, self._url  # None while reconnecting: Disconnected was reported
        if ws is not None:
            await ws.close()
        self._ws = None
        if url is not None and ws is not None:
            call_safely(self._on_event, Disconnected(url, "closed by us", will_reconnect=False))

    async def _open(self, url: str) -> ClientConnection:
        # websockets refuses `ssl` with ws:// URLs, and ssl=None with wss:// ones.
        tls: dict[str, Any] = {"ssl": self._ssl} if url.startswith("wss:") else {}
        try:
            async with asyncio.timeout(self._connect_timeout):
                ws = await connect(
                    url,
                    subprotocols=[SUBPROTOCOL],
                    **tls,
                    open_timeout=None,  # asyncio.timeout above bounds TCP, TLS and handshake
                    ping_interval=self._keepalive,
                    ping_timeout=self._keepalive,
                    close_timeout=2.0,
                    max_size=MAX_FRAME,
                    compression=None,  # SIP messages are small; inflate costs memory per peer
                    proxy=None,  # straight to the SIP server, whatever the environment says
                )
        except Exception as e:
            call_safely(self._on_event, ConnectFailed(url, describe(e, self._connect_timeout)))
            raise
        if ws.subprotocol != SUBPROTOCOL:
            # RFC 7118 §4: without "sip" in the server's answer, the client must not go on.
            await ws.close(1002, "subprotocol sip required")
            error = TransportError("server did not select the WebSocket subprotocol sip")
            call_safely(self._on_event, ConnectFailed(url, str(error)))
            raise error
        return ws

    def _attach(self, ws: ClientConnection, url: str, round_: int) -> None:
        self._ws, self._url, self._round = ws, url, round_

    async def _run(self) -> None:
        """Receive until the connection drops, then reconnect; until `close()` cancels it."""
        loop = asyncio.get_running_loop()
        while True:
            ws, url = self._ws, self._url
            assert ws is not None and url is not None
            opened = loop.time()
            reason = await self._receive(ws, url)
            if self._closing:
                return
            self._ws = None
            call_safely(self._on_event, Disconnected(url, reason, will_reconnect=True))
            n = self._policy.first_attempt_after_drop(self._round, loop.time() - opened)
            await self._reconnect(n)

    async def _reconnect(self, n: int) -> None:
        while True:
            attempt = self._policy.attempt(n)
            n += 1
            if attempt.delay:
                await asyncio.sleep(attempt.delay)
            try:
                ws = await self._open(attempt.url)
            except Exception as e:
                logger.info("reconnecting to %s failed: %s", attempt.url, describe(e))
                continue
            self._attach(ws, attempt.url, attempt.round)
            call_safely(self._on_event, Connected(attempt.url, reconnect=True))
            return

    async def _receive(self, ws: ClientConnection, url: str) -> str:
        """Hand on every message until the connection closes; returns why it closed."""
        try:
            async for frame in ws:
                data = frame.encode("utf-8") if isinstance(frame, str) else bytes(frame)
                if data == _PING:
                    await ws.send(_PONG.decode())
                elif data.strip(b"\r\n"):  # a lone CRLF is a pong (or padding): nothing to do
                    self._handle(data, url)
        except ConnectionClosed:
            pass
        code, why = ws.close_code, ws.close_reason
        return f"connection closed (code {code}{': ' + why if why else ''})"

    def _handle(self, data: bytes, url: str) -> None:
        trace.received(data, self.via_transport, url)
        try:
            message = parse(data)
        except ParseError as e:
            # A client answers nothing to a bad request: the server's transaction times out.
            logger.info("bad SIP message from %s: %s", url, e)
            call_safely(self._on_event, bad_message_event(data, e, url))
            return
        call_safely(self._on_message, message)

    @staticmethod
    async def _send_raw(ws: ClientConnection, data: bytes) -> None:
        try:
            await ws.send(data)
        except ConnectionClosed as e:
            raise TransportError(f"connection closed while sending: {e}") from e


def describe(error: BaseException, timeout: float | None = None) -> str:
    """Why a connection failed, in a few words for a person."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate error: {error.verify_message}"
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout}s" if timeout is not None else "timed out"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TransportError):
        return str(error)
    if isinstance(error, InvalidStatus):
        return f"HTTP {error.response.status_code} instead of a WebSocket upgrade"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
