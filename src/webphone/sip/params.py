"""Parameter lists (`;name=value`) shared by URIs, name-addrs and Via headers."""

from __future__ import annotations

from . import _abnf
from .errors import ParseError

#: An ordered parameter list; a valueless parameter (`;lr`) has the value None.
Params = tuple[tuple[str, str | None], ...]


def parse_params(text: str, what: str) -> Params:
    """Parse `;a=1;b;c="x y"` (the leading `;` included, blanks around it allowed) into pairs.

    Names must be tokens. Values are kept as written: a quoted value keeps its quotes (see
    `unquote`).
    """
    if text.strip(" \t")[:1] not in ("", ";"):
        raise ParseError(f"{what}: expected ';' before parameters, got {text[:80]!r}")
    params = split_params(text)
    is_token = _abnf.token_re.fullmatch
    for name, _ in params:
        if is_token(name) is None:
            raise ParseError(f"{what}: bad parameter name {name[:80]!r}")
    return params


def split_params(text: str) -> Params:
    """Split parameters the grammar has already matched (`_abnf.PARAMS`, URI parameters)."""
    text = text.strip(" \t")
    if not text:
        return ()
    out: list[tuple[str, str | None]] = []
    for item in split_unquoted(text, ";")[1:]:
        name, eq, value = item.partition("=")
        out.append((name.strip(" \t"), value.strip(" \t") if eq else None))
    return tuple(out)


def unquote(value: str) -> str:
    """A parameter value without its quotes and backslash escapes; a token as it is."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return _abnf.quoted_pair_re.sub(r"\1", value[1:-1])
    return value


def format_params(params: Params) -> str:
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)


def get_param(params: Params, name: str) -> str | None:
    """The value of the first parameter called `name` (case-insensitive); "" when valueless."""
    lname = name.lower()
    for k, v in params:
        if k.lower() == lname:
            return "" if v is None else v
    return None


def has_param(params: Params, name: str) -> bool:
    lname = name.lower()
    return any(k.lower() == lname for k, _ in params)


def set_param(params: Params, name: str, value: str | None) -> Params:
    """Replace the parameter in place, or append it; the others keep their order."""
    lname = name.lower()
    out = [(k, value) if k.lower() == lname else (k, v) for k, v in params]
    if not has_param(params, name):
        out.append((name, value))
    return tuple(out)


def remove_param(params: Params, name: str) -> Params:
    lname = name.lower()
    return tuple((k, v) for k, v in params if k.lower() != lname)


def split_unquoted(text: str, sep: str, brackets: bool = False) -> list[str]:
    """Split on `sep` outside double quotes (and, with `brackets`, outside `<...>`).

    Raises ParseError on an unterminated quoted string or angle bracket.
    """
    if '"' not in text and not (brackets and "<" in text):
        return text.split(sep)
    out: list[str] = []
    start = 0
    quoted = angle = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif brackets and c == "<":
            angle = True
        elif brackets and c == ">":
            angle = False
        elif c == sep and not angle:
            out.append(text[start:i])
            start = i + 1
        i += 1
    if quoted:
        raise ParseError(f"unterminated quoted string in {text!r}")
    if angle:
        raise ParseError(f"unterminated '<' in {text!r}")
    out.append(text[start:])
    return out
