"""What the gateway tells the rest of the server: sessions, calls, refusals, operation times.

The CDR writer (`records.CdrRecorder`) and the metrics (web/metrics.py) are hooks. Each method
runs on the event loop, in the middle of the gateway's work, so a hook must not block: a
database write goes to a thread. A hook that raises is logged and the others still run; the
session is never harmed by a hook.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..phone import PhoneEvent

if TYPE_CHECKING:
    from .session import Session

__all__ = ["GatewayHooks", "HookList"]

logger = logging.getLogger(__name__)


class GatewayHooks:
    """Override the methods you need; each does nothing here."""

    def session_opened(self, session: Session) -> None:
        """A new session (not a resumed one)."""

    def session_closed(self, session: Session) -> None:
        """The session is gone: closed, or not resumed in time."""

    def call_started(self, session: Session, call: dict[str, Any]) -> None:
        """A call began: dialling out (after the dial policy let it), or ringing in. `call` is
        the start of its CDR: call_id, direction, from, to, cli, server, started_at."""

    def call_refused(self, session: Session, cdr: dict[str, Any], code: str) -> None:
        """The dial policy refused a call; `cdr` says to whom and why (`reason`), `code` is
        the error code the page got."""

    def phone_event(self, session: Session, event: PhoneEvent) -> None:
        """Every event of the session's Phone (answer, end with the CDR, registered, ...)."""

    def operation_done(self, op: str, seconds: float, error: str | None) -> None:
        """An operation of a page was answered after `seconds`; `error` is its error code."""

    async def close(self) -> None:
        """The gateway stops: finish what is pending (a CDR write)."""


class HookList(GatewayHooks):
    """Several hooks as one; hooks added later are told from then on."""

    def __init__(self, hooks: list[GatewayHooks] | None = None) -> None:
        self.hooks = list(hooks or [])

    def add(self, hook: GatewayHooks) -> None:
        self.hooks.append(hook)

    def _each(self, method: str, *args: Any) -> None:
        for hook in self.hooks:
            try:
                getattr(hook, method)(*args)
            except Exception:
                logger.exception("gateway hook %s.%s failed", type(hook).__name__, method)

    def session_opened(self, session: Session) -> None:
        self._each("session_opened", session)

    def session_closed(self, session: Session) -> None:
        self._each("session_closed", session)

    def call_started(self, session: Session, call: dict[str, Any]) -> None:
        self._each("call_started", session, call)

    def call_refused(self, session: Session, cdr: dict[str, Any], code: str) -> None:
        self._each("call_refused", session, cdr, code)

    def phone_event(self, session: Session, event: PhoneEvent) -> None:
        self._each("phone_event", session, event)

    def operation_done(self, op: str, seconds: float, error: str | None) -> None:
        self._each("operation_done", op, seconds, error)

    async def close(self) -> None:
        results = await asyncio.gather(*(h.close() for h in self.hooks), return_exceptions=True)
        for hook, result in zip(self.hooks, results, strict=True):
            if isinstance(result, Exception):
                logger.error("closing gateway hook %s failed: %r", type(hook).__name__, result)
