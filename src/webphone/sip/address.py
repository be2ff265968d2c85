"""Typed header values: name-addr (From, To, Contact, Route), Via and CSeq (RFC 3261 §20)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import _abnf
from .errors import ParseError
from .params import (
    Params,
    format_params,
    get_param,
    remove_param,
    set_param,
    split_params,
    unquote,
)
from .uri import Uri, is_ipv6_reference, parse_uri


@dataclass(frozen=True, slots=True)
class NameAddr:
    """`"Display Name" <uri>;tag=...` — the URI with its header parameters (§20.10)."""

    uri: Uri
    display_name: str | None = None
    params: Params = ()

    def __str__(self) -> str:
        display = "" if self.display_name is None else quote_display(self.display_name) + " "
        return f"{display}<{self.uri}>{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def with_param(self, name: str, value: str | None = None) -> NameAddr:
        return dataclasses.replace(self, params=set_param(self.params, name, value))

    def without_param(self, name: str) -> NameAddr:
        return dataclasses.replace(self, params=remove_param(self.params, name))

    @property
    def tag(self) -> str | None:
        return self.param("tag")

    @property
    def expires(self) -> int | None:
        """The `expires` parameter of a Contact (§20.10), in seconds."""
        return _int_param(self.params, "expires")

    @property
    def instance(self) -> str | None:
        """The `+sip.instance` of a Contact without its quotes and brackets (RFC 5626 §4.1)."""
        value = self.param("+sip.instance")
        if value is None:
            return None
        value = unquote(value)
        return value[1:-1] if value[:1] == "<" and value[-1:] == ">" else value

    @property
    def reg_id(self) -> int | None:
        """The `reg-id` of a Contact (RFC 5626 §4.2)."""
        return _int_param(self.params, "reg-id")


def _int_param(params: Params, name: str) -> int | None:
    value = get_param(params, name)
    if value is None:
        return None
    if _abnf.digits_re.fullmatch(value) is None:
        raise ParseError(f"bad {name} parameter {value[:20]!r}")
    return int(value)


# Control characters a quoted-string can carry only as a quoted-pair (§25.1): all but HTAB.
_CONTROLS = {c: f"\\{chr(c)}" for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}
_CONTROLS[ord("\\")] = "\\\\"
_CONTROLS[ord('"')] = '\\"'


def quote_display(name: str) -> str:
    """The display name as a quoted-string; CR and LF cannot be written (ValueError)."""
    if "\r" in name or "\n" in name:
        raise ValueError(f"a display name cannot hold CR or LF: {name!r}")
    return '"' + name.translate(_CONTROLS) + '"'


def parse_name_addr(text: str) -> NameAddr:
    """Parse name-addr or addr-spec with header parameters (From, To, Contact, Route ...).

    The grammar is `_abnf.name_addr_re`, the same pattern `parse()` checks From and To with,
    so a message that parsed always yields its From and To.
    """
    m = _abnf.name_addr_re.fullmatch(text.strip(" \t"))
    if m is None:
        raise ParseError(f"bad address {text[:200]!r}")
    quoted, tokens, uri, spec, params = m.groups()
    if quoted is not None:
        display: str | None = _abnf.quoted_pair_re.sub(r"\1", quoted[1:-1])
    else:
        display = tokens
    return NameAddr(parse_uri(uri or spec), display, split_params(params))


@dataclass(frozen=True, slots=True)
class Via:
    """`SIP/2.0/WS host:port;branch=...;received=...;rport=...` (§20.42, RFC 3581)."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()
    protocol: str = "SIP/2.0"

    def __str__(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.protocol}/{self.transport} {self.host}{port}{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def with_param(self, name: str, value: str | None = None) -> Via:
        return dataclasses.replace(self, params=set_param(self.params, name, value))

    @property
    def branch(self) -> str | None:
        return self.param("branch")

    @property
    def received(self) -> str | None:
        return self.param("received")

    @property
    def rport(self) -> int | None:
        """The `rport` value filled in by a server; None when absent or still empty (RFC 3581)."""
        value = self.param("rport")
        return int(value) if value and _abnf.digits_re.fullmatch(value) else None

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


def parse_via(text: str) -> Via:
    """One via-parm (a Via header may hold several, split by `Headers.values`)."""
    m = _abnf.via_re.fullmatch(text.strip(" \t"))
    if m is None:
        raise ParseError(f"bad Via {text[:200]!r}")
    name, version, transport, host, port_text, param_text = m.groups()
    port = int(port_text) if port_text else None  # the grammar keeps it within 0-65535
    if host[0] == "[" and not is_ipv6_reference(host):
        raise ParseError(f"bad IPv6 address in Via {text[:200]!r}")
    params = split_params(param_text) if param_text else ()
    for key, value in params:
        lkey = key.lower()
        if lkey == "branch" and not value:
            raise ParseError(f"empty branch in Via {text[:200]!r}")
        if lkey == "rport" and value and _abnf.digits_re.fullmatch(value) is None:
            raise ParseError(f"bad rport in Via {text[:200]!r}")
    protocol = "SIP/2.0" if name == "SIP" and version == "2.0" else f"{name}/{version}".upper()
    return Via(transport.upper(), host, port, params, protocol)


@dataclass(frozen=True, slots=True)
class CSeq:
    """`CSeq: 4711 INVITE` (§20.16)."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    m = _abnf.cseq_re.fullmatch(text.strip(" \t"))
    if m is None:
        raise ParseError(f"bad CSeq {text[:200]!r}")
    seq = int(m[1])
    if seq >= 2**31:
        raise ParseError(f"CSeq number out of range: {seq}")
    return CSeq(seq, m[2])
