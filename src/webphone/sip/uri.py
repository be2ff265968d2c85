"""SIP and SIPS URIs (RFC 3261 §19.1), and other absolute URIs carried through untouched."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from . import _abnf
from .errors import ParseError
from .params import Params, format_params, get_param, parse_params, remove_param, set_param


@dataclass(frozen=True, slots=True)
class SipUri:
    """`sip:user:password@host:port;params?headers`. User and password are kept unescaped."""

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
            out.append(quote(self.user, safe=_abnf.USER_SAFE))
            if self.password is not None:
                out += [":", quote(self.password, safe=_abnf.PASSWORD_SAFE)]
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
        """The address of record: `scheme:user@host`, without port or parameters (lowercase host)."""
        user = "" if self.user is None else quote(self.user, safe=_abnf.USER_SAFE) + "@"
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
    if text[:4].lower() in ("sip:", "sips"):
        raise ParseError(f"invalid SIP URI {text!r}")
    a = _abnf.absolute_uri_re.fullmatch(text)
    if a is None:
        raise ParseError(f"invalid URI {text!r}")
    return AbsoluteUri(a["scheme"].lower(), a["rest"])


def parse_sip_uri(text: str) -> SipUri:
    uri = parse_uri(text)
    if not isinstance(uri, SipUri):
        raise ParseError(f"expected a sip: or sips: URI, got {text!r}")
    return uri


def _sip_uri_from_match(m: re.Match[str]) -> SipUri:
    scheme, userinfo, host, port_text, param_text, header_text = m.groups()
    user = password = None
    if userinfo is not None:
        user, colon, password = userinfo.partition(":")
        if not colon:
            password = None
        if "%" in userinfo:
            try:
                user = unquote(user, errors="strict")
                password = None if password is None else unquote(password, errors="strict")
            except UnicodeDecodeError:
                raise ParseError(f"bad %-escape in URI {m.string!r}") from None
        if not user:
            raise ParseError(f"empty user part in URI {m.string!r}")
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise ParseError(f"port out of range in URI {m.string!r}")
    params = parse_params(param_text, "URI") if param_text else ()
    headers: tuple[tuple[str, str], ...] = ()
    if header_text:
        pairs = []
        for item in header_text.split("&"):
            k, eq, v = item.partition("=")
            if not k or not eq:
                raise ParseError(f"bad URI header {item!r} in {m.string!r}")
            pairs.append((k, v))
        headers = tuple(pairs)
    return SipUri(
        host=host,
        user=user,
        password=password,
        port=port,
        params=params,
        headers=headers,
        scheme=scheme if scheme in ("sip", "sips") else scheme.lower(),
    )

