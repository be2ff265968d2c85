"""The live sessions of a gateway: opened by `hello`, found again by resume token, capped.

The registry also holds what sessions share: the `components` hook that lets a page use a
saved component, the dial policies' memory (`CallLimits`), and the hooks told about sessions
and calls (CDR rows, metrics).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Iterator, Sequence

from ..phone import PhoneConfig
from ..sip import SipUri
from .access import ComponentLookup, ComponentRefusedError, ComponentRequest, SavedComponent
from .config import GatewayConfig
from .hooks import GatewayHooks, HookList
from .policy import CallLimits
from .protocol import ProtocolError
from .session import OnCdr, Session

__all__ = ["ComponentLookup", "SessionRegistry"]

logger = logging.getLogger(__name__)


class SessionRegistry:
    """Every session not yet closed, attached to a page or waiting for one to resume."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        on_cdr: OnCdr | None = None,
        components: ComponentLookup | None = None,
        hooks: Sequence[GatewayHooks] = (),
        limits: CallLimits | None = None,
    ) -> None:
        self.config = config
        #: Told about sessions and calls; `hooks.add(...)` adds one.
        self.hooks = HookList(list(hooks))
        self.limits = limits or CallLimits()
        self._on_cdr = on_cdr
        self._components = components
        self._by_token: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._by_token)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._by_token.values()))

    @property
    def attached(self) -> int:
        """Sessions with a page connected now (the rest wait for a resume)."""
        return sum(s.attached for s in self._by_token.values())

    @property
    def registered(self) -> int:
        """Sessions whose Phone is registered now."""
        return sum(s.registered for s in self._by_token.values())

    def calls(self, component_id: str | None = None) -> int:
        """Calls going on (or being dialled) now: all, or those of one component's sessions."""
        return sum(
            s.in_call
            for s in self._by_token.values()
            if component_id is None or s.component_id == component_id
        )

    async def component(self, op_id: int | None, request: ComponentRequest) -> SavedComponent:
        """The saved component a hello asks for, or `ProtocolError("forbidden")` saying why."""
        if self._components is None:
            raise ProtocolError("forbidden", "this server has no saved components", op_id)
        try:
            found = self._components(request)
            if inspect.isawaitable(found):
                found = await found
        except ComponentRefusedError as e:
            logger.info("component %r refused to %s: %s", request.component, request.origin, e)
            raise ProtocolError("forbidden", str(e), op_id) from None
        except Exception:  # the store is down, say: the page may try again later
            logger.exception("looking up component %r failed", request.component)
            message = "the component cannot be looked up now; try again later"
            raise ProtocolError("internal_error", message, op_id) from None
        if isinstance(found, PhoneConfig):  # a bare account: no policy, nothing public
            found = SavedComponent(request.component, found)
        if found is None:
            message = f"no component {request.component[:60]!r} here, or the ticket is not valid"
            raise ProtocolError("forbidden", message, op_id)
        return found

    def open(
        self,
        op_id: int | None,
        component: SavedComponent | None = None,
        *,
        origin: str | None = None,
        client: str | None = None,
    ) -> Session:
        """A new session, with a saved component's account and policy if `component`."""
        if len(self._by_token) >= self.config.max_sessions:
            raise ProtocolError("server_busy", "too many sessions; try again later", op_id)
        session = Session(
            self.config,
            component=component,
            origin=origin,
            client=client,
            hooks=self.hooks,
            admit=self._admit if component is not None else None,
            on_closed=self._forget,
            on_cdr=self._on_cdr,
        )
        self._by_token[session.resume_token] = session
        logger.info(
            "session %s opened%s (%d live)",
            session.name,
            f" for component {component.id}" if component else "",
            len(self._by_token),
        )
        self.hooks.session_opened(session)
        return session

    def resume(self, token: str, origin: str | None = None) -> Session | None:
        """The session `token` belongs to, unless it is closed, unknown, or was opened by a
        page of another origin (a token that leaked to another site is no use there)."""
        session = self._by_token.get(token)
        if session is None or session.closed:
            return None
        if origin is not None and session.origin is not None and session.origin != origin:
            logger.info("session %s: resume from another origin %s refused", session.name, origin)
            return None
        return session

    def _admit(self, session: Session, target: SipUri) -> None:
        component = session.component
        assert component is not None
        self.limits.admit(component, target, session.client, self.calls(component.id))

    def _forget(self, session: Session) -> None:
        if self._by_token.pop(session.resume_token, None) is not None:
            self.hooks.session_closed(session)

    async def close(self) -> None:
        """Close every session (server shutdown): calls hang up, registrations go, and the
        hooks finish their work (the last CDR rows are written)."""
        sessions = list(self._by_token.values())
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        await self.hooks.close()
