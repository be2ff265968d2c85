"""Typed header values: name-addr (From, To, Contact, Route), Via and CSeq (RFC 3261 §20)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import _abnf
from .errors import ParseError
from .params import Params, format_params, get_param, parse_params, remove_param, set_param
from .uri import Uri, parse_uri


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
        value = self.param("expires")
        if value is None:
            return None
        if not value.isdigit():
            raise ParseError(f"bad expires parameter {value!r}")
        return int(value)


def quote_display(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_name_addr(text: str) -> NameAddr:
    """Parse name-addr or addr-spec with header parameters (From, To, Contact, Route ...)."""
    text = text.strip()
    lt = text.find("<")
    if lt < 0:
        # addr-spec without brackets: parameters after the URI belong to the header (§20.10)
        uri_text, semi, rest = text.partition(";")
        if not uri_text or any(c in uri_text for c in ' \t"'):
            raise ParseError(f"bad address {text!r}")
        return NameAddr(parse_uri(uri_text), None, parse_params(semi + rest, "address"))
    display: str | None = None
    if lt > 0:
        if text[0] == '"':
            m = _abnf.quoted_display_re.match(text)
            if m is None:
                raise ParseError(f"bad display name in {text!r}")
            lt = m.end() - 1
            display = _abnf.quoted_pair_re.sub(r"\1", m[1][1:-1])
        else:
            display = text[:lt].strip()
            if not _is_token_list(display):
                raise ParseError(f"bad display name {display!r}")
    gt = text.find(">", lt)
    if gt < 0:
        raise ParseError(f"missing '>' in {text!r}")
    uri = parse_uri(text[lt + 1 : gt].strip())
    return NameAddr(uri, display or None, parse_params(text[gt + 1 :].strip(), "name-addr"))


def _is_token_list(text: str) -> bool:
    return all(_abnf.token_re.fullmatch(word) for word in text.split())


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
        """The `rport` value filled in by a server; None when absent or still empty."""
        value = self.param("rport")
        return int(value) if value and value.isdigit() else None

    @property
    def sent_by(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"


def parse_via(text: str) -> Via:
    m = _abnf.via_re.match(text.strip())
    if m is None:
        raise ParseError(f"bad Via {text!r}")
    port = int(m["port"]) if m["port"] else None
    if port is not None and port > 65535:
        raise ParseError(f"bad Via port in {text!r}")
    params = parse_params(m["params"].rstrip(), "Via")
    for name, value in params:
        if name.lower() == "branch" and not value:
            raise ParseError(f"empty branch in Via {text!r}")
    return Via(
        transport=m["transport"].upper(),
        host=m["host"],
        port=port,
        params=params,
        protocol=f"{m['name']}/{m['version']}".upper(),
    )


@dataclass(frozen=True, slots=True)
class CSeq:
    """`CSeq: 4711 INVITE` (§20.16)."""

    seq: int
    method: str

    def __str__(self) -> str:
        return f"{self.seq} {self.method}"


def parse_cseq(text: str) -> CSeq:
    m = _abnf.cseq_re.match(text.strip())
    if m is None:
        raise ParseError(f"bad CSeq {text!r}")
    seq = int(m[1])
    if seq >= 2**31:
        raise ParseError(f"CSeq number out of range: {seq}")
    return CSeq(seq, m[2])
