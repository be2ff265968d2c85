"""The stateful proxy (RFC 3261 §16): forward to every target, relay responses, pick the best.

One `Context` per proxied server transaction (§16's "response context") holds its branches, one
client transaction each. Provisional responses go upstream at once, every 2xx too (§16.7 step
5); other finals wait until each branch has one, then the best goes up (§16.7 step 6). A 2xx or
6xx, or a CANCEL from upstream, cancels the branches still pending (§16.7 step 10, §16.10).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field

from webphone.sip import InvalidStateError, NameAddr, Request, Response, Uri
from webphone.sip.builders import cancel as make_cancel
from webphone.sip.builders import make_response
from webphone.sip.ids import MAGIC_COOKIE
from webphone.sip.transaction import TransactionLayer

from .routing import Hops, Target

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Branch:
    """One forwarded copy of the request: its client transaction and where it went."""

    tid: str
    request: Request
    target: Target
    provisional: bool = False  # a 1xx came: a CANCEL may now be sent (§9.1)
    final: bool = False
    cancel_pending: bool = False  # cancel as soon as a provisional response arrives
    cancelled: bool = False


@dataclass(slots=True)
class Context:
    """The response context of one proxied request (§16)."""

    server_tid: str
    request: Request  # as received, top Via fixed
    inbound: Target
    branches: dict[str, Branch] = field(default_factory=dict)
    best: Response | None = None
    final_sent: bool = False
    cancelled: bool = False


def _rank(status: int) -> tuple[int, int]:
    """Lower is better (§16.7 step 6): any 6xx, then the lowest class; 408 the last of 4xx."""
    return (0 if status >= 600 else status // 100, status == 408)


class Proxy:
    """Response contexts over the server's `TransactionLayer`; the core feeds it events."""

    def __init__(self, layer: TransactionLayer, hops: Hops, local_tag: str) -> None:
        self._layer = layer
        self._hops = hops
        self._tag = local_tag
        self._by_server: dict[str, Context] = {}
        self._by_client: dict[str, Context] = {}
        self._cancels: dict[str, str] = {}  # CANCEL client tid -> its branch
        self._by_flow: dict[str, set[str]] = {}  # connection flow -> tids that depend on it
        self._serial = itertools.count(1)

    def __len__(self) -> int:
        return len(self._by_server)

    def build(
        self,
        request: Request,
        uri: Uri,
        target: Target,
        branch: str,
        *,
        routes: list[NameAddr] | None,
        record_route: Target | None = None,
        strip_credentials: bool = False,
    ) -> Request:
        """The request as forwarded (§16.6): Request-URI, Max-Forwards - 1, Route (`routes`
        replaces them unless None), Record-Route when `record_route` names the inbound side,
        and our Via on top."""
        headers = request.headers.mutable()
        max_forwards = request.max_forwards
        headers.set("Max-Forwards", "70" if max_forwards is None else str(max_forwards - 1))
        if routes is not None:
            headers.remove("route")
            for route in routes:
                headers.add("Route", str(route))
        if strip_credentials:  # ours, consumed here (§22.3)
            headers.remove("proxy-authorization")
        if record_route is not None:
            if record_route.flow_id is not None or target.flow_id is not None:
                headers.prepend("Record-Route", self._hops.record_route(record_route))
            headers.prepend("Record-Route", self._hops.record_route(target))
        headers.prepend("Via", self._hops.via(target, branch))
        return Request(request.method, uri, headers.freeze(), request.body)

    def branch_id(self, loop_hash: str) -> str:
        """A branch unique to this server's life, starting with the loop hash (§16.6 step 8)."""
        return f"{MAGIC_COOKIE}{loop_hash}.{next(self._serial):x}"

    def forward(
        self,
        server_tid: str,
        request: Request,
        inbound: Target,
        branches: list[tuple[Request, Target]],
        now: float,
    ) -> None:
        """Start one client transaction per built request (parallel forking, §16.6)."""
        ctx = Context(server_tid, request, inbound)
        self._by_server[server_tid] = ctx
        self._watch(inbound, server_tid)
        for forwarded, target in branches:
            branch = forwarded.via.branch or ""
            self._hops.expect(branch, target)
            tx = self._layer.send_request(forwarded, now, reliable=target.flow_id is not None)
            ctx.branches[tx.id] = Branch(tx.id, forwarded, target)
            self._by_client[tx.id] = ctx
            self._watch(target, tx.id)

    def _watch(self, target: Target, tid: str) -> None:
        if target.flow_id is not None:
            self._by_flow.setdefault(target.flow_id, set()).add(tid)

    # Events from the transaction layer.

    def on_response(self, tid: str, response: Response, now: float) -> bool:
        """A response to one of our branches (or to our CANCEL); False when not ours."""
        ctx = self._by_client.get(tid)
        if ctx is None:
            return tid in self._cancels  # the 200 to our CANCEL: nothing to do
        branch = ctx.branches[tid]
        status = response.status
        if status < 200:
            branch.provisional = True
            if branch.cancel_pending:
                self._send_cancel(branch, now)
            if status > 100 and not ctx.final_sent:
                self._relay(response, now)
            return True
        branch.final = True
        if status < 300:  # every 2xx goes up, and the other branches are cancelled
            self._relay(response, now)
            if not ctx.final_sent:
                ctx.final_sent = True
                self._cancel_all(ctx, now, completed=True)
            return True
        if ctx.best is None or _rank(status) < _rank(ctx.best.status):
            ctx.best = response
        if status >= 600:
            self._cancel_all(ctx, now)
        self._maybe_finish(ctx, now)
        return True

    def on_failure(self, tid: str, status: int, reason: str, now: float) -> bool:
        """A branch timed out (408) or its transport failed: as if it answered `status`."""
        ctx = self._by_client.get(tid)
        if ctx is None:
            return False
        branch = ctx.branches[tid]
        if branch.final:
            return True
        response = make_response(branch.request, status, reason, to_tag=self._tag)
        return self.on_response(tid, response, now)

    def on_terminated(self, tid: str) -> None:
        ctx = self._by_client.pop(tid, None)
        if ctx is not None:
            branch = ctx.branches[tid]
            self._hops.release(branch.request.via.branch or "")
            self._unwatch(branch.target, tid)
            return
        cancelled = self._cancels.pop(tid, None)
        if cancelled is not None:
            self._hops.release(cancelled)
            return
        ctx = self._by_server.pop(tid, None)
        if ctx is not None:
            self._unwatch(ctx.inbound, tid)

    def _unwatch(self, target: Target, tid: str) -> None:
        if target.flow_id is not None:
            tids = self._by_flow.get(target.flow_id)
            if tids is not None:
                tids.discard(tid)
                if not tids:
                    del self._by_flow[target.flow_id]

    def cancel(self, server_tid: str, now: float) -> bool:
        """A CANCEL from upstream for this server transaction (§16.10); False if not proxied."""
        ctx = self._by_server.get(server_tid)
        if ctx is None:
            return False
        ctx.cancelled = True
        self._cancel_all(ctx, now)
        return True

    def flow_closed(self, flow_id: str, now: float) -> None:
        """Branches sent over the flow fail; requests that came over it are abandoned."""
        for tid in sorted(self._by_flow.pop(flow_id, ())):
            if tid in self._by_client:
                self._layer.transport_failed(tid, now)
            else:
                ctx = self._by_server.get(tid)
                if ctx is not None:
                    self._cancel_all(ctx, now)

    # Helpers.

    def _relay(self, response: Response, now: float) -> None:
        headers = response.headers.mutable()
        headers.pop_first("via")  # ours (§16.7 step 3)
        try:
            self._layer.send_response(response.with_headers(headers), now)
        except InvalidStateError as e:  # the server transaction is over (a late 2xx)
            logger.debug("response not relayed: %s", e)

    def _maybe_finish(self, ctx: Context, now: float) -> None:
        if ctx.final_sent or ctx.best is None:
            return
        if all(b.final for b in ctx.branches.values()):
            ctx.final_sent = True
            best = ctx.best
            if best.status == 503:  # §16.7 step 6: a 503 downstream is a 500 upstream
                best = best.replace(status=500, reason="Server Internal Error")
            self._relay(best, now)

    def _cancel_all(self, ctx: Context, now: float, completed: bool = False) -> None:
        for branch in ctx.branches.values():
            if branch.final or branch.cancelled or branch.request.method != "INVITE":
                continue
            if branch.provisional:
                self._send_cancel(branch, now, completed)
            else:
                branch.cancel_pending = True  # §9.1: not before a provisional response

    def _send_cancel(self, branch: Branch, now: float, completed: bool = False) -> None:
        branch.cancel_pending = False
        branch.cancelled = True
        cancel = make_cancel(branch.request)
        if completed:  # RFC 3326: tell the other phones why they stop ringing
            headers = cancel.headers.mutable()
            headers.add("Reason", 'SIP;cause=200;text="Call completed elsewhere"')
            cancel = cancel.with_headers(headers)
        via_branch = cancel.via.branch or ""
        self._hops.expect(via_branch, branch.target)
        tx = self._layer.send_request(cancel, now, reliable=branch.target.flow_id is not None)
        self._cancels[tx.id] = via_branch
