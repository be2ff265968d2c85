"""SIP digest authentication, shared part: challenge and credentials values and the hashes.

Works on header *values* (after `WWW-Authenticate:`, `Proxy-Authenticate:`, `Authorization:`,
`Proxy-Authorization:`), following RFC 3261 §22 and §25.1, RFC 2617, RFC 7616 and RFC 8760. The
client is `digest_client`, the server `digest_server`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from webphone.sip.errors import ParseError

__all__ = [
    "ALGORITHMS",
    "Challenge",
    "Credentials",
    "canonical_algorithm",
    "compute_ha1",
    "compute_response",
    "hash_hex",
    "parse_challenge_headers",
    "parse_challenges",
    "parse_credentials",
]

# --- Grammar (RFC 3261 §25.1; RFC 7235 §2.1 for several challenges in one value) ----------------

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
# quoted-string = SWS DQUOTE *(qdtext / quoted-pair) DQUOTE
# qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
# quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\U0010ffff]|\\[\x00-\x09\x0b\x0c\x0e-\x7f])*"'
# auth-param = auth-param-name EQUAL (token / quoted-string); EQUAL = SWS "=" SWS
_PARAM_RE = re.compile(rf"({_TOKEN})[ \t]*=[ \t]*({_TOKEN}|{_QUOTED})")
_TOKEN_RE = re.compile(_TOKEN)
_QUOTED_PAIR_RE = re.compile(r"\\(.)", re.DOTALL)
# RFC 3261 §7.3.1: a folded line (CRLF then whitespace) reads as one SP.
_FOLD_RE = re.compile(r"\r?\n[ \t]+")
# nonce-count = "nc" EQUAL 8LHEX
_NC_RE = re.compile(r"[0-9a-fA-F]{8}")
# What a quoted-string must escape as a quoted-pair; CR and LF cannot be carried at all.
_ESCAPE_RE = re.compile(r'["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos


def _unquote(raw: str) -> str:
    if raw.startswith('"'):
        return _QUOTED_PAIR_RE.sub(lambda m: m.group(1), raw[1:-1])
    return raw


def _quote(value: str) -> str:
    return '"' + _ESCAPE_RE.sub(lambda m: "\\" + m.group(), value) + '"'


def _param_text(name: str, value: str) -> str:
    # An extra param goes out as a token when it can; realm is always quoted (RFC 7235 §2.2).
    if _TOKEN_RE.fullmatch(value) and name.lower() != "realm":
        return f"{name}={value}"
    return f"{name}={_quote(value)}"


def _scan(value: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Split a header value into `(scheme, [(name, unquoted value), ...])` items."""
    text = _FOLD_RE.sub(" ", value)
    pos = _skip_ws(text, 0)
    scheme = _TOKEN_RE.match(text, pos)
    if scheme is None:
        raise ParseError(f"expected an auth-scheme in {value!r}")
    items: list[tuple[str, list[tuple[str, str]]]] = []
    while True:
        params: list[tuple[str, str]] = []
        items.append((scheme.group(), params))
        # challenge = auth-scheme LWS auth-param *(COMMA auth-param): at least one param.
        pos = _skip_ws(text, scheme.end())
        if pos == scheme.end():
            raise ParseError(f"expected auth-params after {scheme.group()!r} in {value!r}")
        while True:
            param = _PARAM_RE.match(text, pos)
            if param is None:
                raise ParseError(f"bad auth-param at offset {pos} in {value!r}")
            params.append((param.group(1), _unquote(param.group(2))))
            pos = _skip_ws(text, param.end())
            if pos < len(text) and text[pos] != ",":
                raise ParseError(f"expected ',' at offset {pos} in {value!r}")
            # RFC 7230 §7: a recipient tolerates empty list elements, trailing ones included.
            while pos < len(text) and text[pos] == ",":
                pos = _skip_ws(text, pos + 1)
            if pos == len(text):
                return items
            word = _TOKEN_RE.match(text, pos)
            if word is None:
                raise ParseError(f"bad auth-param at offset {pos} in {value!r}")
            after = _skip_ws(text, word.end())
            if after == len(text) or text[after] != "=":
                scheme = word  # a token not followed by "=" starts the next challenge
                break


def _split_known(
    params: list[tuple[str, str]], known: frozenset[str]
) -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    # RFC 7235 §2.1: each parameter name occurs only once per challenge (names ignore case).
    seen: set[str] = set()
    fields: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for name, value in params:
        lower = name.lower()
        if lower in seen:
            raise ParseError(f"auth-param {name!r} repeated")
        seen.add(lower)
        if lower in known:
            fields[lower] = value
        else:
            extra.append((name, value))
    return fields, tuple(extra)


def _check_params(params: tuple[tuple[str, str], ...], known: frozenset[str]) -> None:
    for name, value in params:
        if not _TOKEN_RE.fullmatch(name) or name.lower() in known:
            raise ValueError(f"bad extra auth-param name {name!r}")
        _check_text(value)


def _check_text(*values: str | None) -> None:
    for value in values:
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError(f"CR or LF cannot be sent in a header value: {value!r}")


def _get(params: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for n, v in params if n.lower() == name.lower()), None)


# --- Values --------------------------------------------------------------------------------------

_CHALLENGE_FIELDS = frozenset({"realm", "nonce", "algorithm", "qop", "opaque", "stale"})
_CREDENTIAL_FIELDS = frozenset(
    {"username", "realm", "nonce", "uri", "response", "algorithm", "qop", "nc", "cnonce", "opaque"}
)


@dataclass(frozen=True, slots=True)
class Challenge:
    """One challenge of a WWW-Authenticate or Proxy-Authenticate value (RFC 7616 §3.3).

    For a scheme other than Digest, every auth-param is in `params` and the Digest fields are empty.
    """

    realm: str
    nonce: str
    algorithm: str | None = None  # as spelled by the server; None means MD5 (RFC 7616 §3.3)
    qop: tuple[str, ...] = ()  # offered qop values; () is the RFC 2069 form without qop
    opaque: str | None = None
    stale: bool = False
    scheme: str = "Digest"
    params: tuple[tuple[str, str], ...] = ()  # other auth-params (domain, userhash …), in order

    def __post_init__(self) -> None:
        if not _TOKEN_RE.fullmatch(self.scheme):
            raise ValueError(f"bad auth-scheme {self.scheme!r}")
        for token in (self.algorithm or "MD5", *self.qop):
            if not _TOKEN_RE.fullmatch(token):
                raise ValueError(f"algorithm and qop values are tokens, not {token!r}")
        _check_text(self.realm, self.nonce, self.opaque)
        _check_params(self.params, _CHALLENGE_FIELDS if self.is_digest else frozenset())

    @property
    def is_digest(self) -> bool:
        return self.scheme.lower() == "digest"

    def param(self, name: str) -> str | None:
        """An extra auth-param's value by case-insensitive name, or None."""
        return _get(self.params, name)

    def __str__(self) -> str:
        extra = [_param_text(name, value) for name, value in self.params]
        if not self.is_digest:
            return f"{self.scheme} {', '.join(extra)}"
        # RFC 7616 §3.3 and RFC 3261 §25.1: algorithm and stale are tokens, qop-options is quoted.
        parts = [f"realm={_quote(self.realm)}", f"nonce={_quote(self.nonce)}"]
        if self.opaque is not None:
            parts.append(f"opaque={_quote(self.opaque)}")
        if self.stale:
            parts.append("stale=true")
        if self.algorithm is not None:
            parts.append(f"algorithm={self.algorithm}")
        if self.qop:
            parts.append(f"qop={_quote(','.join(self.qop))}")
        return f"{self.scheme} {', '.join(parts + extra)}"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The value of an Authorization or Proxy-Authorization header (RFC 7616 §3.4)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str | None = None
    qop: str | None = None  # the one qop chosen; None in the RFC 2069 form
    nc: int | None = None  # nonce count, sent as 8 hex digits; set exactly when qop is
    cnonce: str | None = None  # set exactly when qop is (RFC 7616 §3.4)
    opaque: str | None = None
    scheme: str = "Digest"
    params: tuple[tuple[str, str], ...] = ()  # other auth-params (userhash …), in order

    def __post_init__(self) -> None:
        if self.scheme.lower() != "digest":
            raise ValueError(f"only Digest credentials are supported, not {self.scheme!r}")
        for token in (self.algorithm or "MD5", self.qop or "auth"):
            if not _TOKEN_RE.fullmatch(token):
                raise ValueError(f"algorithm and qop values are tokens, not {token!r}")
        if self.nc is not None and not 0 <= self.nc <= 0xFFFFFFFF:
            raise ValueError(f"nc {self.nc} does not fit 8 hex digits")
        if self.qop is not None and (self.nc is None or self.cnonce is None):
            raise ValueError("credentials with qop need nc and cnonce")
        _check_text(self.username, self.realm, self.nonce, self.uri, self.response)
        _check_text(self.cnonce, self.opaque)
        _check_params(self.params, _CREDENTIAL_FIELDS)

    def param(self, name: str) -> str | None:
        """An extra auth-param's value by case-insensitive name, or None."""
        return _get(self.params, name)

    def __str__(self) -> str:
        # RFC 7616 §3.4 / RFC 3261 §25.1: algorithm, qop and nc are tokens; the rest is quoted.
        parts = [
            f"username={_quote(self.username)}",
            f"realm={_quote(self.realm)}",
            f"nonce={_quote(self.nonce)}",
            f"uri={_quote(self.uri)}",
        ]
        if self.algorithm is not None:
            parts.append(f"algorithm={self.algorithm}")
        if self.qop is not None:
            parts.append(f"qop={self.qop}")
        if self.nc is not None:
            parts.append(f"nc={self.nc:08x}")
        if self.cnonce is not None:
            parts.append(f"cnonce={_quote(self.cnonce)}")
        parts.append(f"response={_quote(self.response)}")
        if self.opaque is not None:
            parts.append(f"opaque={_quote(self.opaque)}")
        parts += [_param_text(name, value) for name, value in self.params]
        return f"{self.scheme} {', '.join(parts)}"


def _challenge(scheme: str, params: list[tuple[str, str]]) -> Challenge:
    if scheme.lower() != "digest":
        return Challenge("", "", scheme=scheme, params=tuple(params))
    fields, extra = _split_known(params, _CHALLENGE_FIELDS)
    if "realm" not in fields or "nonce" not in fields:
        raise ParseError("a Digest challenge needs realm and nonce (RFC 7616 §3.3)")
    qop = tuple(q.strip() for q in fields.get("qop", "").split(",") if q.strip())
    return Challenge(
        realm=fields["realm"],
        nonce=fields["nonce"],
        algorithm=fields.get("algorithm"),
        qop=qop,
        opaque=fields.get("opaque"),
        # RFC 7616 §3.3: anything but "true" (any case) means the credentials were wrong.
        stale=fields.get("stale", "").lower() == "true",
        scheme=scheme,
        params=extra,
    )


def parse_challenges(value: str) -> list[Challenge]:
    """The challenges of one WWW-Authenticate / Proxy-Authenticate value (usually one)."""
    try:
        return [_challenge(scheme, params) for scheme, params in _scan(value)]
    except ValueError as exc:
        raise ParseError(str(exc)) from exc


def parse_challenge_headers(values: Iterable[str]) -> list[Challenge]:
    """The challenges of every WWW-Authenticate (or Proxy-Authenticate) header, in order."""
    return [challenge for value in values for challenge in parse_challenges(value)]


def parse_credentials(value: str) -> Credentials:
    """Parse one Authorization / Proxy-Authorization value."""
    items = _scan(value)
    if len(items) != 1:
        raise ParseError(f"expected one set of credentials in {value!r}")
    scheme, params = items[0]
    if scheme.lower() != "digest":
        raise ParseError(f"unsupported credentials scheme {scheme!r}")
    fields, extra = _split_known(params, _CREDENTIAL_FIELDS)
    missing = {"username", "realm", "nonce", "uri", "response"} - fields.keys()
    if missing:
        raise ParseError(f"Digest credentials without {', '.join(sorted(missing))}")
    nc = fields.get("nc")
    if nc is not None and not _NC_RE.fullmatch(nc):
        raise ParseError(f"nc must be 8 hex digits, not {nc!r}")
    try:
        return Credentials(
            username=fields["username"],
            realm=fields["realm"],
            nonce=fields["nonce"],
            uri=fields["uri"],
            response=fields["response"],
            algorithm=fields.get("algorithm"),
            qop=fields.get("qop"),
            nc=None if nc is None else int(nc, 16),
            cnonce=fields.get("cnonce"),
            opaque=fields.get("opaque"),
            scheme=scheme,
            params=extra,
        )
    except ValueError as exc:
        raise ParseError(str(exc)) from exc


# --- Hashes (RFC 7616 §3.4.1 to §3.4.3) ----------------------------------------------------------

_HASHLIB_NAMES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def _available(hashlib_name: str) -> bool:
    # SHA-512/256 comes from OpenSSL and may be missing from some builds; rather than carry a
    # pure-Python SHA-512 we leave the algorithm out of ALGORITHMS, so it is never chosen.
    try:
        hashlib.new(hashlib_name)
    except ValueError:
        return False
    return True


ALGORITHMS: tuple[str, ...] = tuple(
    name
    for base in ("SHA-512-256", "SHA-256", "MD5")
    if _available(_HASHLIB_NAMES[base])
    for name in (base, base + "-sess")
)
"""The algorithms this build can compute, strongest first (RFC 8760 §2.1 names)."""


def canonical_algorithm(algorithm: str | None) -> str | None:
    """The ALGORITHMS spelling of an algorithm name, None when unsupported; absent means MD5."""
    wanted = (algorithm or "MD5").upper()
    return next((name for name in ALGORITHMS if name.upper() == wanted), None)


def _utf8(text: str) -> bytes:
    # A message layer decoding with surrogateescape hands us its original bytes back this way.
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def hash_hex(algorithm: str, data: str | bytes) -> str:
    """The lowercase hex digest of `data` (text as UTF-8) with a name from ALGORITHMS."""
    raw = data if isinstance(data, bytes) else _utf8(data)
    return hashlib.new(_HASHLIB_NAMES[algorithm.removesuffix("-sess")], raw).hexdigest()


def _supported(algorithm: str | None) -> str:
    canonical = canonical_algorithm(algorithm)
    if canonical is None:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    return canonical


def compute_ha1(username: str, realm: str, password: str, algorithm: str | None = "MD5") -> str:
    """H(username ":" realm ":" password): what a server may store instead of the password."""
    return hash_hex(_supported(algorithm), f"{username}:{realm}:{password}")


def compute_response(
    algorithm: str | None,
    ha1: str,
    nonce: str,
    method: str,
    uri: str,
    *,
    qop: str | None = None,
    nc: int | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The request-digest for `ha1` (from `compute_ha1`) and one request (RFC 7616 §3.4.1)."""
    algorithm = _supported(algorithm)
    ha1 = ha1.lower()
    if algorithm.endswith("-sess"):
        if cnonce is None:
            raise ValueError(f"{algorithm} needs a cnonce")
        # RFC 7616 §3.4.2: the session variant binds HA1 to this nonce and cnonce.
        ha1 = hash_hex(algorithm, f"{ha1}:{nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + hash_hex(algorithm, body)  # RFC 7616 §3.4.3: the body is integrity protected
    elif qop not in (None, "auth"):
        raise ValueError(f"unsupported qop {qop!r}")
    ha2 = hash_hex(algorithm, a2)
    if qop is None:
        return hash_hex(algorithm, f"{ha1}:{nonce}:{ha2}")  # RFC 2617 §3.2.2.1, the RFC 2069 form
    if nc is None or cnonce is None:
        raise ValueError("qop needs nc and cnonce")
    return hash_hex(algorithm, f"{ha1}:{nonce}:{nc:08x}:{cnonce}:{qop}:{ha2}")
