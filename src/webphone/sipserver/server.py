"""The embedded SIP server in asyncio: listeners in, `ServerCore` in the middle, one loop timer.

    server = SipServer(ServerConfig(ws=None), users=UserStore.open())
    await server.start()                                  # UDP and TCP listeners
    app = Starlette(routes=[WebSocketRoute("/sip", server.websocket_app())])
    ...
    await server.close()

Every message a listener parses goes to the core with where it came from; what the core wants
sent goes out over UDP or the flow named; calls to built-in services run as tasks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

from starlette.types import ASGIApp

from webphone.sip import Message
from webphone.transport import (
    Flow,
    FlowClosed,
    FlowOpened,
    FlowTable,
    TcpListener,
    TransportError,
    UdpListener,
    WsServer,
    serve_tcp,
    serve_udp,
    serve_ws,
    sip_websocket_endpoint,
)
from webphone.transport.events import TransportEvent

from .auth import DictDirectory, UserDirectory
from .config import Address, ConfigError, ServerConfig, format_hostport
from .core import ServerCore
from .registrar import Origin
from .routing import Target
from .service_host import ServiceRunner
from .services import ServiceRegistry, default_services

logger = logging.getLogger(__name__)
T = TypeVar("T")


class SipServer:
    """Registrar, proxy and built-in services on UDP, TCP and WebSocket listeners."""

    def __init__(
        self,
        config: ServerConfig | None = None,
        users: UserDirectory | None = None,
        services: ServiceRegistry | None = None,
    ) -> None:
        self.config = config or ServerConfig()
        self.services = services if services is not None else default_services()
        self.core = ServerCore(self.config, users or DictDirectory(), self.services)
        self.flows = FlowTable(self._on_transport_event)
        self.udp: UdpListener | None = None
        self.tcp: TcpListener | None = None
        self.ws: WsServer | None = None
        self._endpoint = sip_websocket_endpoint(self.on_message, self.flows)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner = ServiceRunner(self.core, self.services, self._now, self._flush, self._spawn)
        self._flushing = False

    def websocket_app(self) -> ASGIApp:
        """The SIP-over-WebSocket ASGI endpoint, to mount at `/sip` with `WebSocketRoute`."""
        return self._endpoint

    async def start(self) -> None:
        """Open the configured listeners; a `ConfigError` names the one that failed."""
        self._loop = asyncio.get_running_loop()
        config, hops = self.config, self.core.hops
        try:
            if config.udp is not None:
                self.udp = await _listen("udp", config.udp, serve_udp(*config.udp, self.on_message))
                hops.udp = self.udp.local
                hops.add_local(self.udp.local, config.domain)
            if config.tcp is not None:
                tcp = serve_tcp(*config.tcp, self.on_message, self.flows)
                self.tcp = await _listen("tcp", config.tcp, tcp)
                hops.add_local(self.tcp.local, config.domain)
            if config.ws is not None:
                self.ws = await _listen("ws", config.ws, serve_ws(*config.ws, self._endpoint))
                hops.add_local((self.ws.host, self.ws.port), config.domain)
        except BaseException:
            await self.close()
            raise

    def listening(self) -> list[str]:
        """Where the server listens, one line each: `udp 127.0.0.1:5060`, `ws ws://...`."""
        out = []
        if self.udp is not None:
            out.append(f"udp {format_hostport(self.udp.local)}")
        if self.tcp is not None:
            out.append(f"tcp {format_hostport(self.tcp.local)}")
        if self.ws is not None:
            out.append(f"ws {self.ws.url}")
        return out

    async def close(self) -> None:
        """End service calls, close the listeners and their connections; safe to repeat."""
        self._runner.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        ws, tcp, udp = self.ws, self.tcp, self.udp
        self.ws = self.tcp = self.udp = None
        if ws is not None:
            await ws.close()
        if tcp is not None:
            await tcp.close()
        if udp is not None:
            await udp.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Input.

    def _now(self) -> float:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop.time()

    def on_message(self, message: Message, flow: Flow) -> None:
        """Every message a listener parsed (the listeners' `on_message`)."""
        flow_id = None if flow.transport == "UDP" else flow.id
        now = self._now()
        self.core.receive(message, Origin(flow.transport, flow.remote, flow_id), now)
        self._flush()

    def _on_transport_event(self, event: TransportEvent) -> None:
        if isinstance(event, FlowOpened):
            flow = self.flows.get(event.flow_id)
            if flow is not None:
                self.core.flow_opened(flow.id, flow.transport, flow.remote, flow.local)
        elif isinstance(event, FlowClosed):
            self.core.flow_closed(event.flow_id, self._now())
            self._flush()

    # Output.

    def _flush(self) -> None:
        if self._flushing:  # re-entered from a service callback: the loop below goes on
            return
        self._flushing = True
        try:
            core = self.core
            while True:
                messages = core.messages_to_send()
                for message, target in messages:
                    self._send(message, target)
                event = core.next_event()
                if event is not None:
                    self._runner.on_event(event)
                elif not messages:
                    break
        finally:
            self._flushing = False
        self._arm()

    def _send(self, message: Message, target: Target) -> None:
        if target.flow_id is None:
            if self.udp is None:
                return
            try:
                self.udp.send_to(bytes(message), target.remote)
            except (TransportError, OSError) as e:
                logger.debug("UDP send to %s failed: %s", target.remote, e)
            return
        flow = self.flows.get(target.flow_id)
        if flow is None:
            logger.debug("flow %s is gone; dropped a message", target.flow_id)
            return
        self._spawn(_send_over(flow, message))

    def _arm(self) -> None:
        deadline = self.core.get_timer()
        if deadline is None or (self._timer is not None and self._timer_at <= deadline):
            return
        if self._timer is not None:
            self._timer.cancel()
        loop = self._loop or asyncio.get_running_loop()
        self._timer_at = deadline
        self._timer = loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._timer = None
        try:
            self.core.handle_timer(self._now())
        except Exception:
            logger.exception("SIP server timer failed")
        self._flush()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _listen(field: str, address: Address, opening: Awaitable[T]) -> T:
    """Await a listener; an OSError (port in use, bad address) names the flag."""
    try:
        return await opening
    except OSError as e:
        reason = e.strerror or str(e)
        message = f"cannot listen on {format_hostport(address)}: {reason}"
        raise ConfigError(field, message) from None


async def _send_over(flow: Flow, message: Message) -> None:
    try:
        await flow.send(message)
    except TransportError as e:
        logger.debug("send over %s failed: %s", flow.id, e)
