"""The local user agent (`UserAgentConfig`) and the headers every request it sends carries.

Shared by the requests outside a dialog (`requests.py`) and inside one (`dialog.py`): a Via
with a fresh branch from the injected `Ids`, Max-Forwards, routing (RFC 3261 §8.1.1, §12.2.1.1).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .address import NameAddr, Via
from .errors import InvalidStateError
from .headers import MutableHeaders
from .ids import Ids
from .message import Request
from .uri import SipUri, Uri

#: Max-Forwards of a request a user agent makes (RFC 3261 §8.1.1.6).
MAX_FORWARDS = 70
#: Methods the user agent accepts (the Allow header, RFC 3261 §20.5).
ALLOW = ("INVITE", "ACK", "CANCEL", "BYE", "UPDATE", "OPTIONS", "INFO")
#: `(name, value)` pairs added to a request as they are.
ExtraHeaders = Iterable[tuple[str, str]]

_VIA_TRANSPORTS = frozenset({"UDP", "TCP", "TLS", "SCTP", "WS", "WSS"})


@dataclass(frozen=True, slots=True)
class UserAgentConfig:
    """Who the local user agent is and how it is reached; one per registration."""

    aor: SipUri
    """The address of record: To and From of REGISTER, From of every call."""
    contact: SipUri
    """Where requests reach this UA; a WebSocket client makes one up (`websocket()`)."""
    via_host: str
    """The sent-by host of the Via; a random `.invalid` name on WebSocket (RFC 7118 §5)."""
    via_transport: str = "WS"
    """The Via transport: WS, WSS, UDP, TCP or TLS."""
    via_port: int | None = None
    """The sent-by port, or None for the transport's default."""
    display_name: str | None = None
    """Shown to the called party in From."""
    instance_id: str | None = None
    """`<urn:uuid:...>`, the `+sip.instance` Contact parameter (RFC 5626 §4.1)."""
    reg_id: int | None = 1
    """The `reg-id` Contact parameter (RFC 5626 §4.2); needs `instance_id`."""
    outbound: bool = True
    """Use SIP outbound (RFC 5626): `;ob` in dialog Contacts, `Supported: outbound`."""
    rport: bool = True
    """Ask for responses to the source port (RFC 3581 §3); needed behind NAT on UDP."""
    user_agent: str | None = "webphone"
    """The User-Agent header, or None to send none."""
    allow: tuple[str, ...] = ALLOW
    """The Allow header of dialog-creating and target refresh requests."""
    route_set: tuple[SipUri, ...] = ()
    """A pre-existing route set (outbound proxies) for requests outside a dialog (§8.1.2)."""

    def __post_init__(self) -> None:
        # Validated once, naming the field (a local configuration mistake, not a peer's).
        if not self.via_host:
            raise ValueError("UserAgentConfig.via_host: must not be empty")
        if self.via_transport.upper() != self.via_transport or (
            self.via_transport not in _VIA_TRANSPORTS
        ):
            raise ValueError(f"UserAgentConfig.via_transport: unknown {self.via_transport!r}")
        if self.via_port is not None and not 0 < self.via_port < 65536:
            raise ValueError(f"UserAgentConfig.via_port: out of range {self.via_port}")
        if self.instance_id is not None and not (
            self.instance_id.startswith("<urn:") and self.instance_id.endswith(">")
        ):
            raise ValueError(f"UserAgentConfig.instance_id: not <urn:...>: {self.instance_id!r}")
        if self.reg_id is not None and self.reg_id < 1:
            raise ValueError(f"UserAgentConfig.reg_id: must be positive, got {self.reg_id}")

    @classmethod
    def websocket(
        cls,
        aor: SipUri,
        ids: Ids,
        *,
        secure: bool = False,
        display_name: str | None = None,
        user_agent: str | None = "webphone",
    ) -> UserAgentConfig:
        """A browser-like WebSocket client: random `.invalid` Via host and Contact (RFC 7118 §5).

        The Contact URI keeps `;transport=ws` for WSS too (RFC 7118 §5.2).
        """
        host = f"{ids.token(12)}.invalid"
        return cls(
            aor=aor,
            contact=SipUri(host, user=ids.token(8), params=(("transport", "ws"),)),
            via_host=host,
            via_transport="WSS" if secure else "WS",
            display_name=display_name,
            instance_id=f"<urn:uuid:{uuid.UUID(hex=ids.hex(16), version=4)}>",
            user_agent=user_agent,
        )

    @property
    def local_party(self) -> NameAddr:
        """The From value, without a tag."""
        return NameAddr(self.aor, self.display_name)

    @property
    def dialog_contact(self) -> SipUri:
        """The Contact of INVITE and target refreshes: `;ob` with outbound (RFC 5626 §4.3)."""
        return self.contact.with_param("ob") if self.outbound else self.contact

    def via(self, ids: Ids) -> Via:
        """A Via for a new client transaction: a fresh `z9hG4bK` branch (§8.1.1.7)."""
        params: tuple[tuple[str, str | None], ...] = (("branch", ids.branch()),)
        if self.rport:
            params += (("rport", None),)
        return Via(self.via_transport, self.via_host, self.via_port, params)

    def supported(self, *extra: str) -> str:
        tags = [*extra, "outbound"] if self.outbound else list(extra)
        return ", ".join(tags)


def route_request(target: Uri, route_set: Sequence[Uri]) -> tuple[Uri, tuple[Uri, ...]]:
    """The Request-URI and Route values for `target` through `route_set` (§12.2.1.1).

    Loose routing (`;lr` on the first route): the target stays in the Request-URI. Strict
    routing: the first route becomes the Request-URI and the target the last Route.
    """
    if not route_set:
        return request_uri(target), ()
    first = route_set[0]
    if not isinstance(first, SipUri) or first.param("lr") is not None:
        return request_uri(target), tuple(route_set)
    return request_uri(first), (*route_set[1:], target)


def request_uri(uri: Uri) -> Uri:
    """`uri` without what a Request-URI may not carry: `method` and headers (§19.1.1 table)."""
    if isinstance(uri, SipUri) and (uri.headers or uri.param("method") is not None):
        return dataclasses.replace(uri.without_param("method"), headers=())
    return uri


def build_request(
    method: str,
    target: Uri,
    config: UserAgentConfig,
    ids: Ids,
    *,
    to: NameAddr,
    from_: NameAddr,
    call_id: str,
    cseq: int,
    route_set: Sequence[Uri] = (),
    contact: str | None = None,
    headers: ExtraHeaders = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> Request:
    """A request with the headers every request carries (§8.1.1), in a conventional order."""
    if not 0 <= cseq < 2**31:
        raise InvalidStateError(f"CSeq number out of range: {cseq}")  # §8.1.1.5
    uri, routes = route_request(target, route_set)
    out = MutableHeaders()
    out.add("Via", str(config.via(ids)))
    out.add("Max-Forwards", str(MAX_FORWARDS))
    for route in routes:
        out.add("Route", f"<{route}>")
    out.add("To", str(to))
    out.add("From", str(from_))
    out.add("Call-ID", call_id)
    out.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        out.add("Contact", contact)
    for name, value in headers:
        out.add(name, value)
    if config.user_agent:
        out.add("User-Agent", config.user_agent)
    if body:
        out.add("Content-Type", content_type or "application/sdp")
    out.add("Content-Length", str(len(body)))
    return Request(method, uri, out.freeze(), body)


def capabilities(config: UserAgentConfig, *supported: str) -> list[tuple[str, str]]:
    """Allow and Supported, for dialog-creating and target refresh requests (§20.5, §20.37)."""
    out = [("Allow", ", ".join(config.allow))]
    tags = config.supported(*supported)
    if tags:
        out.append(("Supported", tags))
    return out
