"""Where a request goes (RFC 3261 §16.4, §16.5): to a user's contacts, or along its Route.

Each method gives the requests to forward, built for their targets (§16.6), or the `Refusal`
to answer with. Loose routing only: our own Route entries are popped, and a strict router's
Request-URI (§16.4, §16.12.1) is not rewritten back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from webphone.sip import Request
from webphone.sip.ids import MAGIC_COOKIE

from .auth import CachedDirectory
from .proxy import Proxy
from .registrar import Registrar
from .routing import Hops, Target, is_loop, loop_hash

#: Requests that may create a dialog, so they are record-routed (§16.6 step 4).
DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})

Branches = list[tuple[Request, Target]]


@dataclass(frozen=True, slots=True)
class Refusal:
    """The final response to send instead of forwarding."""

    status: int
    reason: str | None = None


class Router:
    """Targets of requests, from the registrar and the Route header."""

    def __init__(
        self, hops: Hops, registrar: Registrar, users: CachedDirectory, proxy: Proxy
    ) -> None:
        self._hops = hops
        self._registrar = registrar
        self._users = users
        self._proxy = proxy

    def contacts(
        self, request: Request, user: str, inbound: Target, now: float
    ) -> Branches | Refusal:
        """§16.5: every contact registered for `user` (parallel forking)."""
        bindings = self._registrar.lookup(user, now)
        if not bindings:
            known = self._users.get_password(user, now) is not None
            return Refusal(480 if known else 404)
        hash_ = loop_hash(request)
        if is_loop(request, hash_):
            return Refusal(482)
        record = inbound if request.method in DIALOG_CREATING else None
        out = []
        for binding in bindings:
            target = Target.of(binding.origin)
            branch = self._proxy.branch_id(hash_)
            forwarded = self._proxy.build(
                request, binding.uri, target, branch, routes=None, record_route=record,
                strip_credentials=True,
            )  # fmt: skip
            out.append((forwarded, target))
        return out

    def along_route(
        self, request: Request, inbound: Target, *, in_dialog: bool
    ) -> Branches | Refusal:
        """Loose routing (§16.4, §16.12): past our own Route entries to the next one, or to
        the Request-URI. A flow named in our Route wins: it is the only way to that side."""
        if request.max_forwards == 0:
            return Refusal(483)
        routes, flow, _ = self._hops.pop_own_routes(request)
        if flow is not None:
            target = self._hops.flow_target(flow)
            if target is None:  # RFC 5626 §5.3: the flow is gone
                return Refusal(430, "Flow Failed")
        else:
            target = self._hops.resolve(routes[0].uri if routes else request.uri)
        if target is None:
            if in_dialog:
                return Refusal(481, "Call/Transaction Does Not Exist (no route)")
            return Refusal(404, "Not Found (no route)")
        hash_ = loop_hash(request)
        if is_loop(request, hash_):
            return Refusal(482)
        record = inbound if not in_dialog and request.method in DIALOG_CREATING else None
        forwarded = self._proxy.build(
            request, request.uri, target, self._proxy.branch_id(hash_), routes=routes,
            record_route=record, strip_credentials=not in_dialog,
        )  # fmt: skip
        return [(forwarded, target)]

    def ack(self, ack: Request) -> tuple[Request, Target] | None:
        """The ACK for a 2xx, forwarded statelessly along its route (§16.11); None: drop."""
        if ack.max_forwards == 0:
            return None
        routes, flow, _ = self._hops.pop_own_routes(ack)
        if flow is not None:
            target = self._hops.flow_target(flow)
        else:
            target = self._hops.resolve(routes[0].uri if routes else ack.uri)
        if target is None:
            return None
        # Stateless: the same ACK again (a retransmission) gets the same branch (§16.11).
        digest = hashlib.blake2b((ack.via.branch or ack.call_id).encode(), digest_size=8)
        branch = f"{MAGIC_COOKIE}{digest.hexdigest()}"
        return self._proxy.build(ack, ack.uri, target, branch, routes=routes), target
