"""Registration: REGISTER with digest, refresh before expiry, unregister (RFC 3261 §10.2)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..sip import Request, Response
from ..sip._useragent import UserAgentConfig
from ..sip.errors import ParseError
from ..sip.requests import register, unregister
from .events import Error, PhoneEvent, Registered, Unregistered
from .useragent import UserAgent

logger = logging.getLogger(__name__)

#: Refresh this long before the registration runs out, or at half its life if that is shorter.
REFRESH_MARGIN = 30.0


class RegistrationError(Exception):
    """The registrar refused us; `code` is the Error event's code."""

    def __init__(self, code: str, message: str, sip_status: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.sip_status = sip_status


class Registration:
    """Keeps one Contact registered: same Call-ID, rising CSeq, refreshed before expiry."""

    def __init__(
        self,
        ua: UserAgent,
        config: UserAgentConfig,
        expires: int,
        emit: Callable[[PhoneEvent], None],
    ) -> None:
        self._ua = ua
        self._config = config
        self._expires = expires
        self._emit = emit
        self._call_id = ua.ids.call_id()
        self._from_tag = ua.ids.tag()
        self._cseq = 0
        self._refresh: asyncio.TimerHandle | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self.registered = False
        self.expires: int | None = None

    async def register(self) -> Registered:
        """REGISTER now; raises RegistrationError (and emits an Error) when refused."""
        request = self._next(register, expires=self._expires)
        exchange = await self._ua.request(self._ua.preauthorized(request))
        self._cseq = exchange.request.cseq.seq  # a digest retry raised it (RFC 3261 §10.2.4)
        response = exchange.response
        if response.status == 423:  # Interval Too Brief: ask again for Min-Expires (§10.2.8)
            minimum = _int(response.headers.get("Min-Expires"))
            if minimum is not None and minimum > self._expires:
                self._expires = minimum
                return await self.register()
        if not response.is_success:
            self.registered = False
            raise self._refused(response)
        self.expires = self._granted(response)
        was_registered, self.registered = self.registered, True
        self._schedule(self.expires)
        event = Registered(server=self._ua.transport.connected_url or "", expires=self.expires)
        if not was_registered:  # refreshes are not news
            self._emit(event)
        return event

    async def unregister(self, reason: str = "requested") -> None:
        """Remove our binding (expires 0); the Unregistered event follows whatever the answer."""
        self._cancel_refresh()
        was_registered, self.registered = self.registered, False
        if self._ua.transport.is_connected:
            request = self._next(unregister)
            exchange = await self._ua.request(self._ua.preauthorized(request))
            self._cseq = exchange.request.cseq.seq
            response = exchange.response
            if not response.is_success:
                logger.info("un-REGISTER answered %s %s", response.status, response.reason)
        if was_registered:
            self._emit(Unregistered(reason=reason))

    def lost(self, reason: str) -> None:
        """The connection dropped: the binding went with its flow (RFC 5626 §4.4.1)."""
        self._cancel_refresh()
        if self.registered:
            self.registered = False
            self._emit(Unregistered(reason=reason))

    def close(self) -> None:
        self._cancel_refresh()
        if self._refreshing is not None:
            self._refreshing.cancel()

    def _next(self, build: Callable[..., Request], **kwargs: object) -> Request:
        self._cseq += 1
        return build(
            self._config,
            self._ua.ids,
            call_id=self._call_id,
            cseq=self._cseq,
            from_tag=self._from_tag,
            **kwargs,
        )

    def _granted(self, response: Response) -> int:
        """The expiry the registrar gave our Contact (its own param, else Expires, §10.2.4)."""
        try:
            for contact in response.contacts:
                instance = (contact.param("+sip.instance") or "").strip('"')
                ours = contact.uri == self._config.contact or (
                    instance and instance == self._config.instance_id
                )
                if ours and contact.expires is not None:
                    return contact.expires
            return response.expires if response.expires is not None else self._expires
        except ParseError:
            return self._expires

    def _refused(self, response: Response) -> RegistrationError:
        status = response.status
        if status in (401, 407):
            code, text = "auth_failed", "wrong user name or password"
        elif status == 403:
            code, text = "forbidden", "the registrar refused this account"
        elif status in (408, 503) and not self._ua.transport.is_connected:
            code, text = "unreachable", "no connection to the SIP server"
        else:
            code, text = "register_failed", "registration failed"
        message = f"{text} ({status} {response.reason})"
        self._emit(Error(code=code, message=message, sip_status=status))
        return RegistrationError(code, message, status)

    def _schedule(self, expires: int) -> None:
        self._cancel_refresh()
        if expires <= 0:
            return
        delay = max(1.0, min(expires - REFRESH_MARGIN, expires / 2))
        self._refresh = asyncio.get_running_loop().call_later(delay, self._start_refresh)

    def _start_refresh(self) -> None:
        self._refresh = None
        self._refreshing = asyncio.ensure_future(self._refresh_now())

    async def _refresh_now(self) -> None:
        try:
            await self.register()
        except RegistrationError:
            logger.warning("registration refresh refused")
        except Exception:
            logger.exception("registration refresh failed")

    def _cancel_refresh(self) -> None:
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None
