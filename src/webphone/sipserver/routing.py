"""Where messages go: targets, our Via and Record-Route, loop hashes, and the flows we know.

The transaction layer emits messages without addresses (RFC 3261 §17 leaves that to the
transport), so `Hops` remembers where each client transaction's requests go (by branch) and
sends each response where its top Via says (§18.2.2, RFC 3581): over the connection it came on
for WebSocket and TCP, to `received`:`rport` for UDP.

Record-Route and flows. A WebSocket or TCP peer can only be reached over its own connection, so
when either side of a dialog is on one, the proxy record-routes twice (RFC 5658 style), once per
side, and each Record-Route names that side's flow: `<sip:HOST:PORT;transport=ws;lr;flow=ws-7>`.
A request inside the dialog, from either end, carries both as Route; the proxy pops every Route
of its own, and the flow named by the *last* one popped is the side the request goes to (the
caller's Route set is the reverse of the callee's, §12.1). Between two UDP peers one plain
Record-Route is enough: the next hop is the Request-URI.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from webphone.sip import NameAddr, Request, Response, SipUri, Uri, parse_name_addr
from webphone.sip.ids import MAGIC_COOKIE

from .registrar import Address, Origin, Registrar

#: A URI or Via without port means these (RFC 3261 §19.1.2, RFC 7118 §5).
DEFAULT_PORTS = {"UDP": 5060, "TCP": 5060, "TLS": 5061, "WS": 80, "WSS": 443}


@dataclass(frozen=True, slots=True)
class Target:
    """A next hop: over UDP to `remote`, or over the connection-oriented flow `flow_id`."""

    transport: str
    remote: Address
    flow_id: str | None = None

    @classmethod
    def of(cls, origin: Origin) -> Target:
        return cls(origin.transport, origin.remote, origin.flow_id)


def bare_host(host: str) -> str:
    return host[1:-1] if host[:1] == "[" else host


def fix_top_via(request: Request, origin: Origin) -> Request:
    """Add `received` (§18.2.1) and fill `rport` (RFC 3581 §4) in the top Via.

    On a connection `rport` is set even when not asked for: responses find their connection
    by the (received, rport) address.
    """
    via = request.via
    host, port = origin.remote
    new = via
    if bare_host(via.host) != host:
        new = new.with_param("received", host)
    wants_rport = origin.flow_id is not None or via.param("rport") is not None
    if wants_rport and via.rport != port:
        new = new.with_param("rport", str(port))
    if new is via:
        return request
    headers = request.headers.mutable()
    headers.pop_first("via")
    headers.prepend("Via", str(new))
    return request.with_headers(headers)


def loop_hash(request: Request) -> str:
    """The part of our branch that identifies the request as received (§16.6 step 8).

    Not the top Via: a request that comes back to us (a loop) has another one. The same
    Request-URI, From, To, Call-ID and CSeq coming back through our own Via is a loop (§16.3
    step 4); a changed Request-URI is a spiral, which is fine.
    """
    headers = request.headers
    text = "\n".join(
        (
            str(request.uri),
            headers.get("from") or "",
            headers.get("to") or "",
            headers.get("call-id") or "",
            headers.get("cseq") or "",
            ",".join(headers.get_all("proxy-require")),
        )
    )
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()


def is_loop(request: Request, hash_: str) -> bool:
    prefix = f"{MAGIC_COOKIE}{hash_}."
    return any((via.branch or "").startswith(prefix) for via in request.vias)


def hostport(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Hops:
    """Our own addresses, the live flows, and the destination of every message we send."""

    def __init__(self, registrar: Registrar) -> None:
        self._registrar = registrar
        self.udp: Address | None = None  # the UDP listener's address, once bound
        self.advertised: dict[Address, str] = {}  # wildcard bind -> host to put in Via/RR
        self._ours: set[tuple[str, int]] = set()
        self._flows: dict[str, tuple[str, Address, Address]] = {}  # id -> transport, remote, local
        self._by_remote: dict[tuple[str, str, int], str] = {}  # (transport, host, port) -> id
        self._branches: dict[str, tuple[Target, int]] = {}  # our branch -> target, refcount

    # Our addresses.

    def add_local(self, address: Address, domain: str | None = None) -> None:
        """A listener's address; with `domain`, `domain:port` is ours too, and stands for a
        wildcard address (0.0.0.0) in our Via and Record-Route."""
        host, port = address
        if domain is not None:
            self._ours.add((domain.lower(), port))
            if host in ("0.0.0.0", "::"):
                self.advertised[address] = domain
        self._ours.add((host.lower(), port))

    def is_ours(self, uri: Uri) -> bool:
        if not isinstance(uri, SipUri):
            return False
        transport = (uri.transport or "udp").upper()
        port = uri.port or DEFAULT_PORTS.get(transport, 5060)
        return (bare_host(uri.host).lower(), port) in self._ours

    def local_for(self, target: Target) -> Address:
        """Our address on the side of `target`: its flow's local end, else the UDP listener."""
        if target.flow_id is not None:
            flow = self._flows.get(target.flow_id)
            if flow is not None:
                return self._advertise(flow[2])
        if self.udp is None:
            raise LookupError("no UDP listener")
        return self._advertise(self.udp)

    def _advertise(self, address: Address) -> Address:
        host = self.advertised.get(address)
        return address if host is None else (host, address[1])

    def via(self, target: Target, branch: str) -> str:
        return f"SIP/2.0/{target.transport} {hostport(self.local_for(target))};branch={branch}"

    def record_route(self, target: Target) -> str:
        params = ";lr"
        if target.flow_id is not None:
            params = f";transport={target.transport.lower()};lr;flow={target.flow_id}"
            if target.transport == "WSS":
                params = f";transport=ws;lr;flow={target.flow_id}"  # RFC 7118 §5.2
        return f"<sip:{hostport(self.local_for(target))}{params}>"

    # Flows (connection-oriented only; UDP needs no state).

    def flow_opened(self, flow_id: str, transport: str, remote: Address, local: Address) -> None:
        self._flows[flow_id] = (transport, remote, local)
        self._by_remote[(transport, remote[0], remote[1])] = flow_id
        self._ours.add((local[0].lower(), local[1]))

    def flow_closed(self, flow_id: str) -> None:
        flow = self._flows.pop(flow_id, None)
        if flow is not None:
            key = (flow[0], flow[1][0], flow[1][1])
            if self._by_remote.get(key) == flow_id:
                del self._by_remote[key]

    def flow_target(self, flow_id: str) -> Target | None:
        flow = self._flows.get(flow_id)
        return None if flow is None else Target(flow[0], flow[1], flow_id)

    # Destinations.

    def resolve(self, uri: Uri) -> Target | None:
        """Where a request for `uri` goes: a `.invalid` Contact over its registered flow,
        a UDP URI to its address, a TCP/WS one over a live connection to it. No DNS: the
        embedded server only reaches IP addresses and flows."""
        if not isinstance(uri, SipUri) or uri.scheme != "sip":
            return None
        host = bare_host(uri.host).lower()
        if host.endswith(".invalid"):
            binding = self._registrar.by_invalid_host(host)
            return None if binding is None else Target.of(binding.origin)
        if host == "localhost":
            host = "127.0.0.1"
        else:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                return None
        transport = (uri.transport or "udp").upper()
        port = uri.port or DEFAULT_PORTS.get(transport, 5060)
        if (host, port) in self._ours:  # ourselves: the caller must handle it, not forward
            return None
        if transport == "UDP":
            return None if self.udp is None else Target("UDP", (host, port))
        flow_id = self._by_remote.get((transport, host, port))
        return None if flow_id is None else Target(transport, (host, port), flow_id)

    def response_target(self, response: Response) -> Target | None:
        """Where a response goes: back where its request came from (§18.2.2, RFC 3581 §4)."""
        via = response.via
        transport = via.transport
        host = via.received or bare_host(via.host)
        port = via.rport or via.port or DEFAULT_PORTS.get(transport, 5060)
        if transport == "UDP":
            return None if self.udp is None else Target("UDP", (host, port))
        flow_id = self._by_remote.get((transport, host, port))
        return None if flow_id is None else Target(transport, (host, port), flow_id)

    def expect(self, branch: str, target: Target) -> None:
        """Requests whose top Via has `branch` go to `target` (the INVITE and its CANCEL)."""
        entry = self._branches.get(branch)
        self._branches[branch] = (target, 1 if entry is None else entry[1] + 1)

    def release(self, branch: str) -> None:
        entry = self._branches.get(branch)
        if entry is not None:
            if entry[1] <= 1:
                del self._branches[branch]
            else:
                self._branches[branch] = (entry[0], entry[1] - 1)

    def request_target(self, request: Request) -> Target | None:
        entry = self._branches.get(request.via.branch or "")
        return None if entry is None else entry[0]

    def pop_own_routes(self, request: Request) -> tuple[list[NameAddr], str | None, bool]:
        """The Route entries left after ours on top (§16.4), the flow named by the last of ours
        popped, and whether any was ours. Raises ParseError on a bad Route."""
        routes = [parse_name_addr(v) for v in request.headers.values("route")]
        flow: str | None = None
        popped = 0
        while popped < len(routes) and self.is_ours(routes[popped].uri):
            uri = routes[popped].uri
            assert isinstance(uri, SipUri)
            flow = uri.param("flow") or None
            popped += 1
        return routes[popped:], flow, popped > 0
