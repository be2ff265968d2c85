"""The Phone: the seed's API in Python (setConfig, register, makeCall, answer, hangup ...).

One registration and one call at a time, like a desk phone; events go to `on_event`
callbacks and can be awaited with `wait_for`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from ..sip import Request, Response, SipUri
from ..sip._useragent import UserAgentConfig, capabilities
from ..sip.dialog import DialogId
from ..sip.ids import Ids
from ..transport import SipWebSocketClient, TransportError
from ..transport.events import Connected, ConnectFailed, Disconnected, TransportEvent
from .aiortc_media import AiortcMedia
from .call import Call, CallContext, CallState
from .config import ConfigError, PhoneConfig, parse_servers
from .events import ConnectionChanged, Error, PhoneEvent, Registered, RingingIn
from .media import Media
from .registration import Registration, RegistrationError
from .useragent import UserAgent

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=PhoneEvent)

#: Settings that make another account: changing one means a new connection and registration.
_ACCOUNT = ("ws_servers", "username", "password", "auth_username", "realm", "ca_file")
MediaFactory = Callable[[bool], Media]


class PhoneError(Exception):
    """An action the Phone cannot do now; `code` matches the Error event codes."""

    def __init__(self, code: str, message: str, sip_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.sip_status = sip_status


class Phone:
    """A SIP user agent over WebSocket with in-process (aiortc) or browser media."""

    def __init__(
        self,
        config: PhoneConfig | None = None,
        *,
        media_factory: MediaFactory | None = None,
        on_event: Callable[[PhoneEvent], None] | None = None,
        ids: Ids | None = None,
        auto_answer: bool = False,
    ) -> None:
        self.config = config or PhoneConfig()
        # The factory is told whether the call has video: for an incoming call, whether the
        # offer has it; the media then decides (the browser by its `video` attribute).
        self._media_factory = media_factory or self._aiortc_media
        self._listeners: list[Callable[[PhoneEvent], None]] = [on_event] if on_event else []
        self._inbox: collections.deque[PhoneEvent] = collections.deque(maxlen=512)
        self._waiters: list[asyncio.Future[None]] = []
        self._ids = ids or Ids()
        self.auto_answer = auto_answer
        self._ua: UserAgent | None = None
        self._registration: Registration | None = None
        self._want_registered = False
        self._account_changed = False
        self.call: Call | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # The seed's API.

    def set_config(
        self,
        ws_servers: str | list[str] | tuple[str, ...] | None = None,
        username: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
        cli: str | None = None,
        realm: str | None = None,
        **more: object,
    ) -> None:
        """Change settings; they apply to the next registration. Raises ConfigError."""
        changes: dict[str, object] = {
            k: v
            for k, v in {
                "username": username,
                "password": password,
                "display_name": display_name,
                "cli": cli,
                "realm": realm,
                **more,
            }.items()
            if v is not None
        }
        if ws_servers is not None:
            changes["ws_servers"] = parse_servers(ws_servers)
        unknown = set(changes) - {f.name for f in dataclasses.fields(PhoneConfig)}
        if unknown:
            raise ConfigError(sorted(unknown)[0], changes[sorted(unknown)[0]], "unknown setting")
        self.config = self.config.replace(**changes).validated()

    @property
    def config(self) -> PhoneConfig:
        return self._config

    @config.setter
    def config(self, config: PhoneConfig) -> None:
        """New settings apply to the next registration or call; another account (servers, user,
        password) means a new connection then."""
        old = getattr(self, "_config", None)
        if old is not None and any(getattr(config, n) != getattr(old, n) for n in _ACCOUNT):
            self._account_changed = True
        self._config = config

    async def register(self) -> Registered:
        """Connect (first server that answers) and REGISTER. Raises PhoneError when refused."""
        if self._account_changed:
            if self.call is not None:
                raise PhoneError("busy", "the account cannot change during a call")
            await self._disconnect()
        self._want_registered = True
        ua = await self._connect()
        if self._registration is None:
            self._registration = Registration(
                ua, self._ua_config(ua), self.config.register_expires, self._emit
            )
        try:
            return await self._registration.register()
        except RegistrationError as e:
            self._want_registered = False
            raise PhoneError(e.code, str(e), e.sip_status) from None

    async def unregister(self) -> None:
        self._want_registered = False
        if self._registration is not None:
            await self._registration.unregister()

    async def make_call(self, address: str, *, video: bool | None = None) -> Call:
        """Call `address` (a user, a number, user@host or a SIP URI); returns once dialling.

        The call's progress comes as events: ringing_out, answer, end (with the CDR)."""
        if self.call is not None:
            raise PhoneError("busy", f"already in a call ({self.call.state.value})")
        target = self.config.target_uri(address)
        if self._account_changed:
            await self._disconnect()
        ua = await self._connect()
        config = self._ua_config(ua, for_call=True)
        media = self._media_factory(self.config.video if video is None else video)
        call = Call.outgoing(self._context(ua, config), media, target, ua.transport.connected_url)
        self.call = call
        self._spawn(self._guard(call, call.dial(target)))
        return call

    async def answer(self) -> None:
        await self._current("answer").answer()

    async def hangup(self) -> None:
        await self._current("hang up").hangup()

    async def hold(self) -> None:
        await self._current("hold").set_hold(True)

    async def unhold(self) -> None:
        await self._current("unhold").set_hold(False)

    def mute(self) -> None:
        self._current("mute").set_mute(True)

    def unmute(self) -> None:
        self._current("unmute").set_mute(False)

    async def dialpad_press(self, digit: str) -> None:
        """DTMF in an answered call (RFC 4733 when negotiated, else SIP INFO)."""
        await self._current("send DTMF").send_dtmf(digit)

    async def close(self) -> None:
        """Hang up, unregister and disconnect."""
        call = self.call
        if call is not None:
            await call.hangup()
            await call.close()
        await self._disconnect()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _disconnect(self) -> None:
        """Unregister (bounded) and close the SIP connection."""
        self._account_changed = False
        registration, self._registration = self._registration, None
        if registration is not None:
            if registration.registered:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(registration.unregister(), 5)
            registration.close()
        if self._ua is not None:
            await self._ua.transport.close()
            await self._ua.close()
            self._ua = None

    def _aiortc_media(self, video: bool) -> Media:
        return AiortcMedia(video=video and self.config.video)

    # Events.

    def on(self, listener: Callable[[PhoneEvent], None]) -> None:
        self._listeners.append(listener)

    async def wait_for(self, kind: type[E], timeout: float = 10.0) -> E:
        """The oldest event of `kind` not yet waited for, waiting up to `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for event in self._inbox:
                if isinstance(event, kind):
                    self._inbox.remove(event)
                    return event
            arrived: asyncio.Future[None] = loop.create_future()
            self._waiters.append(arrived)
            try:
                await asyncio.wait_for(arrived, max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise TimeoutError(f"no {kind.name} event within {timeout} s") from None

    def _emit(self, event: PhoneEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("event listener failed on %s", event.name)
        self._inbox.append(event)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    # Wiring.

    async def _connect(self) -> UserAgent:
        if self._ua is not None and self._ua.transport.is_connected:
            return self._ua
        config = self.config.validated()
        if self._ua is None:
            holder: list[UserAgent] = []
            transport = SipWebSocketClient(
                config.ws_servers,
                on_message=lambda message: holder[0].receive(message),  # noqa: PLW0108
                on_event=self._on_transport_event,
                ca_file=config.ca_file,
            )
            ua = UserAgent(
                transport,
                self._ids,
                username=config.auth_username or config.username,
                password=config.password,
                on_request=self._on_request,
                on_stray_response=self._on_stray_response,
            )
            holder.append(ua)
            self._ua = ua
            ua.start()
        try:
            await self._ua.transport.start()
        except TransportError as e:
            message = f"cannot reach any SIP server: {e}"
            self._emit(Error("unreachable", message))
            raise PhoneError("unreachable", message) from None
        return self._ua

    def _ua_config(self, ua: UserAgent, *, for_call: bool = False) -> UserAgentConfig:
        config, transport = self.config, ua.transport
        user = (config.cli or config.username) if for_call else config.username
        return UserAgentConfig(
            aor=SipUri(host=config.domain, user=user),
            contact=SipUri(
                transport.via_host, user=self._contact_user, params=(("transport", "ws"),)
            ),
            via_host=transport.via_host,
            via_transport=transport.via_transport,
            display_name=config.display_name,
            instance_id=f"<{config.instance_id}>",
            user_agent=config.user_agent,
        )

    @property
    def _contact_user(self) -> str:
        return self.config.instance_id.rsplit("-", 1)[-1][:8] or "webphone"

    def _context(self, ua: UserAgent, config: UserAgentConfig) -> CallContext:
        return CallContext(ua, config, self._emit, self.config.dtmf_mode, self._call_ended)

    def _call_ended(self, call: Call) -> None:
        if self.call is call:
            self.call = None

    def _current(self, action: str) -> Call:
        if self.call is None:
            raise PhoneError("no_call", f"no call to {action}")
        return self.call

    def _on_transport_event(self, event: TransportEvent) -> None:
        if isinstance(event, Disconnected):
            if self._registration is not None:
                self._registration.lost("connection lost")
            self._emit(ConnectionChanged("disconnected", event.url, event.reason))
        elif isinstance(event, Connected):
            self._emit(
                ConnectionChanged("reconnected" if event.reconnect else "connected", event.url)
            )
            if event.reconnect and self._want_registered and self._registration is not None:
                self._spawn(self._reregister())
        elif isinstance(event, ConnectFailed):
            logger.info("could not connect to %s: %s", event.url, event.reason)

    async def _reregister(self) -> None:
        try:
            if self._registration is not None:
                await self._registration.register()
        except RegistrationError:
            pass  # the Error event has been emitted

    async def _on_request(self, transaction_id: str, request: Request) -> None:
        ua = self._ua
        assert ua is not None
        call = self.call
        method = request.method
        if call is not None and call.matches(request):
            await call.on_request(transaction_id, request)
        elif method == "CANCEL":
            target = ua.transactions.cancel_target(request)
            ua.respond(request, 200 if target is not None else 481)
            if target is not None and call is not None and call.is_invite(target.request):
                await call.cancelled()
        elif method == "ACK":
            pass  # for a call that ended meanwhile
        elif request.to.tag is not None:
            ua.respond(request, 481)  # §12.2.2: no such dialog
        elif method == "INVITE":
            await self._incoming(ua, request)
        elif method == "OPTIONS":
            ua.respond(request, 200, headers=capabilities(self._ua_config(ua)))
        else:
            allow = ", ".join(self._ua_config(ua).allow)
            ua.respond(request, 405, headers=[("Allow", allow)])

    async def _incoming(self, ua: UserAgent, request: Request) -> None:
        if self.call is not None:
            ua.respond(request, 486, to_tag=self._ids.tag())
            return
        video = b"m=video" in request.body
        media = self._media_factory(video)
        call = Call.incoming(
            self._context(ua, self._ua_config(ua)), media, request, ua.transport.connected_url
        )
        self.call = call
        call.ring()
        caller = request.from_
        user = caller.uri.user if isinstance(caller.uri, SipUri) else None
        self._emit(RingingIn(call.call_id, str(caller.uri), caller.display_name, user, video))
        if self.auto_answer:
            await call.answer()

    def _on_stray_response(self, response: Response) -> None:
        call = self.call
        if call is not None and DialogId.of_received(response) == (
            call.dialog.id if call.dialog else None
        ):
            call.stray_response(response)

    async def _guard(self, call: Call, work: Awaitable[None]) -> None:
        try:
            await work
        except Exception as e:
            logger.exception("call %s failed", call.call_id)
            if call.state is not CallState.ENDED:
                await call._end("system", None, f"internal error: {e}", error="call_failed")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
