"""The dial policy of saved components, checked when a page asks to call (`make_call`).

Three limits, in this order (the first that fails names the refusal):

- `forbidden_destination`: the destination matches none of the component's patterns;
- `too_many_calls`: the component's sessions already have the most calls at once;
- `rate_limited`: this visitor (client IP) placed the most calls in the last hour.

Counts are this server process's own: several webphone servers behind a load balancer each
apply the limits to the sessions they hold (see docs/operations.md).
"""

from __future__ import annotations

import collections
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from ..phone import PhoneConfig
from ..phone.cdr import iso
from ..sip import SipUri
from .access import SavedComponent

__all__ = [
    "FORBIDDEN_DESTINATION",
    "RATE_LIMITED",
    "TOO_MANY_CALLS",
    "CallLimits",
    "CallRefusedError",
    "refused_cdr",
]

FORBIDDEN_DESTINATION = "forbidden_destination"
TOO_MANY_CALLS = "too_many_calls"
RATE_LIMITED = "rate_limited"

HOUR = 3600.0
#: Visitors remembered before a sweep drops those with no call in the last hour.
_SWEEP_AT = 10_000


class CallRefusedError(Exception):
    """A call the dial policy does not allow; `code` is the error code the page gets."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def refused_cdr(config: PhoneConfig, target: SipUri, why: CallRefusedError) -> dict[str, Any]:
    """The CDR of a call the policy refused: no SIP was sent, so the Call-ID is our own."""
    now = iso(time.time())
    return {
        "call_id": f"refused-{secrets.token_hex(8)}",
        "direction": "outgoing",
        "from": str(config.aor) if config.username else None,
        "from_name": config.display_name,
        "to": str(target),
        "cli": config.cli,
        "started_at": now,
        "ended_at": now,
        "ended_by": "system",
        "sip_status": None,
        "reason": f"refused: {why}",
    }


def destination(target: SipUri) -> str:
    """What the patterns are matched against: `user@host` as it will be dialled."""
    return f"{target.user}@{target.host}" if target.user else target.host


class CallLimits:
    """The dial policies' memory on this server: the calls each visitor placed in the last hour.

    `clock` is monotonic seconds (a test passes its own).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._placed: dict[tuple[str, str], collections.deque[float]] = {}

    def admit(
        self, component: SavedComponent, target: SipUri, client: str | None, active_calls: int
    ) -> None:
        """Let the call to `target` go (and count it), or raise `CallRefusedError`.

        `active_calls` is how many calls the component's sessions have now.
        """
        policy = component.policy
        if policy.destinations is not None:
            # URI parameters (maddr, transport) or headers could route the call elsewhere than
            # the patterns say: a component with a destination list dials plain addresses only.
            if target.params or target.headers:
                raise CallRefusedError(
                    FORBIDDEN_DESTINATION, "this phone may only call plain addresses (no ;params)"
                )
            if not policy.destinations(destination(target)):
                raise CallRefusedError(
                    FORBIDDEN_DESTINATION, f"this phone may not call {destination(target)}"
                )
        limit = policy.max_concurrent_calls
        if limit is not None and active_calls >= limit:
            raise CallRefusedError(
                TOO_MANY_CALLS, f"all {limit} lines of this phone are busy; try again later"
            )
        per_hour = policy.calls_per_hour_per_visitor
        if per_hour is None:
            return
        now = self._clock()
        placed = self._recent((component.id, client or "unknown"), now)
        if len(placed) >= per_hour:
            minutes = math.ceil((HOUR - (now - placed[0])) / 60)
            raise CallRefusedError(
                RATE_LIMITED,
                f"at most {per_hour} call(s) per hour from here; try again in {minutes} min",
            )
        placed.append(now)

    def _recent(self, key: tuple[str, str], now: float) -> collections.deque[float]:
        """The times of the visitor's calls in the last hour (the list kept for it)."""
        if len(self._placed) >= _SWEEP_AT:
            for stale in [
                k for k, times in self._placed.items() if not times or now - times[-1] >= HOUR
            ]:
                del self._placed[stale]
        placed = self._placed.setdefault(key, collections.deque())
        while placed and now - placed[0] >= HOUR:
            placed.popleft()
        return placed
