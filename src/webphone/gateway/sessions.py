"""The live sessions of a gateway: opened by `hello`, found again by resume token, capped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..phone import PhoneConfig
from .config import GatewayConfig
from .protocol import ProtocolError
from .session import OnCdr, Session

__all__ = ["ComponentLookup", "SessionRegistry"]

logger = logging.getLogger(__name__)

#: (component name, ticket) -> the saved component's Phone settings, or None to refuse.
ComponentLookup = Callable[[str, str | None], PhoneConfig | None]


class SessionRegistry:
    """Every session not yet closed, attached to a page or waiting for one to resume."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        on_cdr: OnCdr | None = None,
        components: ComponentLookup | None = None,
    ) -> None:
        self.config = config
        self._on_cdr = on_cdr
        self._components = components
        self._by_token: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._by_token)

    @property
    def attached(self) -> int:
        """Sessions with a page connected now (the rest wait for a resume)."""
        return sum(s.attached for s in self._by_token.values())

    def open(
        self, op_id: int | None, component: str | None = None, ticket: str | None = None
    ) -> Session:
        """A new session, with a saved component's settings if `component` is given."""
        if len(self._by_token) >= self.config.max_sessions:
            raise ProtocolError("server_busy", "too many sessions; try again later", op_id)
        phone_config = None
        if component is not None:
            found = self._components(component, ticket) if self._components else None
            if found is None:
                message = f"no component {component[:60]!r} here, or the ticket is not valid"
                raise ProtocolError("forbidden", message, op_id)
            phone_config = found
        session = Session(
            self.config,
            phone_config=phone_config,
            locked=phone_config is not None,
            on_closed=self._forget,
            on_cdr=self._on_cdr,
        )
        self._by_token[session.resume_token] = session
        logger.info("session %s opened (%d live)", session.name, len(self._by_token))
        return session

    def resume(self, token: str) -> Session | None:
        """The session `token` belongs to, unless it is closed or unknown."""
        session = self._by_token.get(token)
        return session if session is not None and not session.closed else None

    def _forget(self, session: Session) -> None:
        self._by_token.pop(session.resume_token, None)

    async def close(self) -> None:
        """Close every session (server shutdown): calls hang up, registrations go."""
        sessions = list(self._by_token.values())
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
