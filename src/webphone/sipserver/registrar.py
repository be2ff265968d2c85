"""The registrar (RFC 3261 §10.3, RFC 5626 §6), sans-IO: bindings per user, time passed in.

An address of record is a user name: the embedded server serves one user list whatever domain
it is reached by. A binding made over a connection (WebSocket, TCP) belongs to that flow: the
Contact of a browser is `*.invalid` (RFC 7118 §5), so the flow is the only way to reach it, and
the binding goes when the flow closes. A UDP binding is reached at the address the REGISTER came
from (like Kamailio's fix_nated_register), which also works for a phone behind NAT.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass

from webphone.sip import NameAddr, ParseError, Request, SipUri, Uri

Address = tuple[str, int]
BindingKey = tuple[str, ...]

#: At most this many contacts per user; more are refused (403) to bound memory.
MAX_BINDINGS_PER_USER = 32


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from: the transport, the source address and, on a connection, the
    flow id (None on UDP)."""

    transport: str
    remote: Address
    flow_id: str | None = None


@dataclass(slots=True)
class Binding:
    """One Contact of a user (§10.3 step 7), with where it was registered from."""

    user: str
    contact: NameAddr
    """The Contact as registered, `expires` parameter removed."""
    expires_at: float
    call_id: str
    cseq: int
    origin: Origin
    """The flow the REGISTER came over: requests for this contact go there."""
    key: BindingKey

    @property
    def uri(self) -> Uri:
        return self.contact.uri

    def remaining(self, now: float) -> int:
        return max(0, round(self.expires_at - now))  # round: (now + 300) - now may be 300.0001


@dataclass(frozen=True, slots=True)
class RegisterResult:
    """The response the registrar asks for: status, reason (None: the usual) and headers."""

    status: int
    reason: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def binding_key(contact: NameAddr) -> BindingKey:
    """What makes two Contacts the same binding: `+sip.instance` and `reg-id` together
    (RFC 5626 §6), else the URI compared as §19.1.4 would, roughly (no parameters but transport)."""
    instance, reg_id = contact.instance, contact.reg_id
    if instance is not None and reg_id is not None:
        return ("outbound", instance, str(reg_id))
    uri = contact.uri
    if isinstance(uri, SipUri):
        return ("uri", uri.aor, str(uri.port or ""), uri.transport or "udp")
    return ("uri", str(uri))


class Registrar:
    """Every user's bindings, with an expiry heap and indexes by flow and `.invalid` host."""

    def __init__(self, min_expires: int = 60, max_expires: int = 3600, default: int = 3600):
        self.min_expires = min_expires
        self.max_expires = max_expires
        self.default_expires = default
        self._users: dict[str, dict[BindingKey, Binding]] = {}
        self._by_flow: dict[str, set[tuple[str, BindingKey]]] = {}
        self._by_host: dict[str, Binding] = {}  # `.invalid` Contact host -> its binding
        self._heap: list[tuple[float, int, str, BindingKey]] = []
        self._order = itertools.count()

    def __len__(self) -> int:
        return sum(len(b) for b in self._users.values())

    def register(self, request: Request, user: str, origin: Origin, now: float) -> RegisterResult:
        """Apply an authenticated REGISTER for `user`; all its contacts or none (§10.3)."""
        try:
            header_expires = request.expires
            star = request.contact_is_star
            contacts = () if star else request.contacts
            expiries = [self._expiry(c, header_expires) for c in contacts]
        except ParseError as e:
            return RegisterResult(400, f"Bad Request ({e})")
        if star:  # §10.3 step 6: `*` only alone and with Expires: 0
            if header_expires != 0 or len(request.headers.values("contact")) != 1:
                return RegisterResult(400, "Bad Request (Contact: * needs Expires: 0)")
            for key in list(self._users.get(user, {})):
                self._remove(user, key)
            return self._ok(user, now)
        if any(0 < e < self.min_expires for e in expiries):
            return RegisterResult(423, None, (("Min-Expires", str(self.min_expires)),))
        if any(not isinstance(c.uri, SipUri) for c in contacts):
            return RegisterResult(400, "Bad Request (Contact is not a SIP URI)")
        call_id, cseq = request.call_id, request.cseq.seq
        current = self._users.get(user, {})
        keys = [binding_key(c) for c in contacts]
        for key in keys:  # §10.3 step 7: a REGISTER older than the binding is refused
            old = current.get(key)
            if old is not None and old.call_id == call_id and cseq <= old.cseq:
                return RegisterResult(500, "Server Internal Error (REGISTER out of order)")
        added = sum(1 for k, e in zip(keys, expiries, strict=True) if e and k not in current)
        if len(current) + added > MAX_BINDINGS_PER_USER:
            return RegisterResult(403, f"Forbidden (more than {MAX_BINDINGS_PER_USER} contacts)")
        outbound = False
        for contact, key, expires in zip(contacts, keys, expiries, strict=True):
            self._remove(user, key)
            if expires:
                outbound |= key[0] == "outbound" and origin.flow_id is not None
                bound = contact.without_param("expires")
                binding = Binding(user, bound, now + expires, call_id, cseq, origin, key)
                self._add(binding)
        supported = request.headers.values("supported")
        return self._ok(user, now, outbound and "outbound" in supported)

    def _expiry(self, contact: NameAddr, header: int | None) -> int:
        # §10.3 step 6: the Contact's expires parameter, else the Expires header, else ours.
        expires = contact.expires
        if expires is None:
            expires = header if header is not None else self.default_expires
        return min(expires, self.max_expires)

    def _ok(self, user: str, now: float, outbound: bool = False) -> RegisterResult:
        # §10.3 step 8: the 200 lists every current binding with its remaining time.
        headers = [
            ("Contact", str(b.contact.with_param("expires", str(b.remaining(now)))))
            for b in self.lookup(user, now)
        ]
        if outbound:  # RFC 5626 §6: the registrar supports outbound for this binding
            headers.append(("Require", "outbound"))
        return RegisterResult(200, None, tuple(headers))

    def lookup(self, user: str, now: float) -> list[Binding]:
        """The live bindings of `user`, soonest-registered first; expired ones are dropped."""
        bindings = self._users.get(user)
        if not bindings:
            return []
        out = []
        for key, binding in list(bindings.items()):
            if binding.expires_at <= now:
                self._remove(user, key)
            else:
                out.append(binding)
        return out

    def current(self, now: float) -> list[Binding]:
        """Every live binding, by user then soonest-registered; read-only (expired ones are
        skipped, not dropped), for views such as the admin's "registered now"."""
        return [
            binding
            for user in sorted(self._users)
            for binding in self._users[user].values()
            if binding.expires_at > now
        ]

    def by_invalid_host(self, host: str) -> Binding | None:
        """The binding whose Contact host is this `.invalid` name (a WebSocket client)."""
        return self._by_host.get(host.lower())

    def flow_closed(self, flow_id: str) -> int:
        """Forget every binding made over a flow that closed; returns how many (RFC 5626 §5.2)."""
        entries = self._by_flow.pop(flow_id, set())
        for user, key in entries:
            self._remove(user, key)
        return len(entries)

    def next_expiry(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def sweep(self, now: float) -> int:
        """Drop the bindings that expired by `now`; returns how many."""
        removed = 0
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, user, key = heapq.heappop(heap)
            binding = self._users.get(user, {}).get(key)
            if binding is not None and binding.expires_at == deadline:
                self._remove(user, key)
                removed += 1
        return removed

    def _add(self, binding: Binding) -> None:
        self._users.setdefault(binding.user, {})[binding.key] = binding
        heapq.heappush(
            self._heap, (binding.expires_at, next(self._order), binding.user, binding.key)
        )
        flow_id = binding.origin.flow_id
        if flow_id is not None:
            self._by_flow.setdefault(flow_id, set()).add((binding.user, binding.key))
            uri = binding.uri
            if isinstance(uri, SipUri) and uri.host.lower().endswith(".invalid"):
                self._by_host[uri.host.lower()] = binding

    def _remove(self, user: str, key: BindingKey) -> None:
        bindings = self._users.get(user)
        binding = bindings.pop(key, None) if bindings is not None else None
        if binding is None:
            return
        if not bindings:
            del self._users[user]
        flow_id = binding.origin.flow_id
        if flow_id is not None:
            entries = self._by_flow.get(flow_id)
            if entries is not None:
                entries.discard((user, key))
                if not entries:
                    del self._by_flow[flow_id]
            uri = binding.uri
            if isinstance(uri, SipUri) and self._by_host.get(uri.host.lower()) is binding:
                del self._by_host[uri.host.lower()]
