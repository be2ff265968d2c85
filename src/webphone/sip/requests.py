"""Requests a UA sends outside a dialog: REGISTER, INVITE, OPTIONS, CANCEL (RFC 3261 §8.1).

Plus the retry with credentials after 401/407 (§22.2) and DTMF as SIP INFO in a dialog.
"""

from __future__ import annotations

from ._useragent import MAX_FORWARDS, ExtraHeaders, UserAgentConfig, build_request, capabilities
from .address import NameAddr
from .errors import InvalidStateError
from .headers import MutableHeaders, canonical, split_values
from .ids import Ids
from .message import Request
from .uri import SipUri, Uri

#: Registration interval asked for when none is given (RFC 3261 §10.2.1.1 suggests 3600;
#: browsers go away without unregistering, so shorter, as JsSIP does).
DEFAULT_EXPIRES = 300


def register(
    config: UserAgentConfig,
    ids: Ids,
    *,
    call_id: str,
    cseq: int,
    expires: int = DEFAULT_EXPIRES,
    from_tag: str | None = None,
    registrar: SipUri | None = None,
    headers: ExtraHeaders = (),
) -> Request:
    """REGISTER the config's Contact for `expires` seconds (RFC 3261 §10.2, RFC 5626 §4.2).

    Refreshes keep `call_id` and raise `cseq` (§10.2.4). `registrar` defaults to the AoR's
    domain; a Request-URI without user part (§10.2).
    """
    if expires < 0:
        raise ValueError(f"expires must not be negative, got {expires}")
    contact = NameAddr(config.contact)
    if config.instance_id is not None:  # RFC 5626 §4.2.1: reg-id only with +sip.instance
        if config.reg_id is not None:
            contact = contact.with_param("reg-id", str(config.reg_id))
        contact = contact.with_param("+sip.instance", f'"{config.instance_id}"')
    contact = contact.with_param("expires", str(expires))
    return _register(config, ids, str(contact), expires, call_id, cseq, from_tag, registrar,
                     headers)  # fmt: skip


def unregister(
    config: UserAgentConfig,
    ids: Ids,
    *,
    call_id: str,
    cseq: int,
    all_bindings: bool = False,
    from_tag: str | None = None,
    registrar: SipUri | None = None,
    headers: ExtraHeaders = (),
) -> Request:
    """REGISTER with expires 0: this Contact, or every binding with `Contact: *` (§10.2.2)."""
    if not all_bindings:
        return register(config, ids, call_id=call_id, cseq=cseq, expires=0, from_tag=from_tag,
                        registrar=registrar, headers=headers)  # fmt: skip
    return _register(config, ids, "*", 0, call_id, cseq, from_tag, registrar, headers)


def _register(
    config: UserAgentConfig,
    ids: Ids,
    contact: str,
    expires: int,
    call_id: str,
    cseq: int,
    from_tag: str | None,
    registrar: SipUri | None,
    headers: ExtraHeaders,
) -> Request:
    aor = config.aor
    target = registrar or SipUri(aor.host, port=aor.port, scheme=aor.scheme)
    party = config.local_party
    return build_request(
        "REGISTER",
        target,
        config,
        ids,
        to=party,
        from_=party.with_param("tag", from_tag or ids.tag()),
        call_id=call_id,
        cseq=cseq,
        route_set=config.route_set,
        contact=contact,
        # RFC 3327 §5 (path) and RFC 5626 §4.2.1 (outbound) for a registering UA.
        headers=[("Expires", str(expires)), *capabilities(config, "path"), *headers],
    )


def invite(
    config: UserAgentConfig,
    ids: Ids,
    target: Uri,
    *,
    sdp: bytes,
    call_id: str | None = None,
    cseq: int = 1,
    from_tag: str | None = None,
    to_display_name: str | None = None,
    headers: ExtraHeaders = (),
) -> Request:
    """An initial INVITE with an SDP offer to `target` (§13.2.1); To and Request-URI alike."""
    return build_request(
        "INVITE",
        target,
        config,
        ids,
        to=NameAddr(target, to_display_name),
        from_=config.local_party.with_param("tag", from_tag or ids.tag()),
        call_id=call_id or ids.call_id(),
        cseq=cseq,
        route_set=config.route_set,
        contact=f"<{config.dialog_contact}>",  # §8.1.1.8: one SIP URI
        headers=[*capabilities(config), *headers],
        body=sdp,
        content_type="application/sdp",
    )


def options(
    config: UserAgentConfig,
    ids: Ids,
    target: Uri,
    *,
    call_id: str | None = None,
    cseq: int = 1,
    headers: ExtraHeaders = (),
) -> Request:
    """OPTIONS to query `target`'s capabilities (§11.1), accepting an SDP in the answer."""
    return build_request(
        "OPTIONS",
        target,
        config,
        ids,
        to=NameAddr(target),
        from_=config.local_party.with_param("tag", ids.tag()),
        call_id=call_id or ids.call_id(),
        cseq=cseq,
        route_set=config.route_set,
        contact=f"<{config.contact}>",
        headers=[("Accept", "application/sdp"), *capabilities(config), *headers],
    )


def cancel(invite: Request, config: UserAgentConfig | None = None) -> Request:
    """CANCEL for a pending INVITE (§9.1).

    Request-URI, Call-ID, To, From and the CSeq number are the INVITE's; the only Via is the
    INVITE's top Via, branch included, so the server matches the transaction; Route is copied.
    No credentials: a CANCEL is not challenged and cannot be resubmitted.
    """
    if invite.method != "INVITE":
        raise InvalidStateError(f"CANCEL is for INVITE, not {invite.method}")
    src = invite.headers
    out = MutableHeaders()
    out.add("Via", src.values("via")[0])
    out.add("Max-Forwards", str(MAX_FORWARDS))
    for route in src.values("route"):
        out.add("Route", route)
    for name in ("To", "From", "Call-ID"):
        out.add(name, src.get(name) or "")
    out.add("CSeq", f"{invite.cseq.seq} CANCEL")
    if config is not None and config.user_agent:
        out.add("User-Agent", config.user_agent)
    out.add("Content-Length", "0")
    return Request("CANCEL", invite.uri, out.freeze())


def with_credentials(
    request: Request, ids: Ids, name: str, value: str, *, cseq: int | None = None
) -> Request:
    """The request again with `name: value` credentials, to retry after a 401/407 (§22.2).

    A new transaction: a fresh branch and CSeq + 1 (or `cseq`), same Call-ID and tags
    (§8.1.3.5). Lines already called `name` (a stale nonce's) are replaced.
    """
    if name.lower() not in ("authorization", "proxy-authorization"):
        raise ValueError(f"not a credentials header: {name!r}")
    if request.method in ("ACK", "CANCEL"):
        raise InvalidStateError(f"{request.method} cannot be resubmitted with credentials")
    seq = request.cseq.seq + 1 if cseq is None else cseq
    if not 0 <= seq < 2**31:
        raise InvalidStateError(f"CSeq number out of range: {seq}")
    top = request.via.with_param("branch", ids.branch())
    replaced = canonical(name)
    items: list[tuple[str, str]] = []
    via_done = False
    for key, val in request.headers:
        kind = canonical(key)
        if kind == replaced:
            continue  # added again after CSeq
        if kind == "via" and not via_done:  # the top Via may share its line (§7.3.1)
            via_done = True
            items.append((key, ", ".join([str(top), *split_values(val)[1:]])))
        elif kind == "cseq":
            items += [(key, f"{seq} {request.method}"), (name, value)]
        else:
            items.append((key, val))
    return request.with_headers(MutableHeaders(items))
