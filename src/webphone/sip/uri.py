"""SIP and SIPS URIs (RFC 3261 §19.1), and other absolute URIs carried through untouched."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from . import _abnf
from .errors import ParseError
from .params import Params, format_params, get_param, remove_param, set_param, split_params


@dataclass(frozen=True, slots=True)
class SipUri:
    """`sip:user:password@host:port;params?headers`.

    User and password are kept unescaped (`%40` is `@`; an escape that is not UTF-8, such as
    `%FF`, is kept as a lone surrogate so that it is written back the same); host, parameters
    and headers are kept as written.
    """

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: Params = ()
    headers: tuple[tuple[str, str], ...] = ()
    scheme: str = "sip"

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(_escape(self.user, _abnf.USER_SAFE))
            if self.password is not None:
                out += [":", _escape(self.password, _abnf.PASSWORD_SAFE)]
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out.append(f":{self.port}")
        out.append(format_params(self.params))
        if self.headers:
            out.append("?" + "&".join(f"{k}={v}" for k, v in self.headers))
        return "".join(out)

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    def with_param(self, name: str, value: str | None = None) -> SipUri:
        return dataclasses.replace(self, params=set_param(self.params, name, value))

    def without_param(self, name: str) -> SipUri:
        return dataclasses.replace(self, params=remove_param(self.params, name))

    @property
    def transport(self) -> str | None:
        t = self.param("transport")
        return t.lower() if t else None

    @property
    def hostport(self) -> str:
        return self.host if self.port is None else f"{self.host}:{self.port}"

    @property
    def aor(self) -> str:
        """The address of record: `scheme:user@host`, no port or parameters, host lowercased."""
        user = "" if self.user is None else _escape(self.user, _abnf.USER_SAFE) + "@"
        return f"{self.scheme}:{user}{self.host.lower()}"


@dataclass(frozen=True, slots=True)
class AbsoluteUri:
    """Any other scheme (`tel:`, `urn:`, `mailto:` ...): kept as written."""

    scheme: str
    rest: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"


Uri = SipUri | AbsoluteUri


def parse_uri(text: str) -> Uri:
    """Parse a SIP/SIPS URI, or keep another absolute URI as it is; ParseError otherwise."""
    m = _abnf.sip_uri_re.fullmatch(text)
    if m is not None:
        return _sip_uri_from_match(m)
    if text.partition(":")[0].lower() in ("sip", "sips"):
        raise ParseError(f"invalid SIP URI {text[:200]!r}")
    a = _abnf.absolute_uri_re.fullmatch(text)
    if a is None:
        raise ParseError(f"invalid URI {text[:200]!r}")
    return AbsoluteUri(a["scheme"].lower(), a["rest"])


def parse_sip_uri(text: str) -> SipUri:
    uri = parse_uri(text)
    if not isinstance(uri, SipUri):
        raise ParseError(f"expected a sip: or sips: URI, got {text[:200]!r}")
    return uri


def is_ipv6_reference(host: str) -> bool:
    """`[2001:db8::1]`: the grammar only checks the characters, this checks the address."""
    try:
        ipaddress.IPv6Address(host[1:-1])
    except ValueError:
        return False
    return host[0] == "[" and host[-1] == "]"


def _escape(text: str, safe: str) -> str:
    return quote(text, safe=safe, errors="surrogateescape")


def _unescape(text: str) -> str:
    # The grammar has already checked that every "%" starts an escape.
    return unquote(text, errors="surrogateescape") if "%" in text else text


def _sip_uri_from_match(m: re.Match[str]) -> SipUri:
    scheme, user, password, host, port_text, param_text, header_text = m.groups()
    port = int(port_text) if port_text else None  # the grammar keeps it within 0-65535
    if host[0] == "[" and not is_ipv6_reference(host):
        raise ParseError(f"bad IPv6 address in URI {m.string[:200]!r}")
    headers: tuple[tuple[str, str], ...] = ()
    if header_text:
        headers = tuple((k, v) for k, _, v in (h.partition("=") for h in header_text.split("&")))
    return SipUri(
        host=host,
        user=None if user is None else _unescape(user),
        password=None if password is None else _unescape(password),
        port=port,
        params=split_params(param_text) if param_text else (),
        headers=headers,
        scheme=scheme.lower(),
    )
