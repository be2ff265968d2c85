"""The fields of a saved component and their checks, one per field; an error names the field.

Input comes from the admin (JSON or a form turned into a dict), so every check takes `object`
and either returns the value as stored or raises `ValidationError(field, value, why)`.
Lists (servers, origins, destinations) may be given as a list of strings or as one string
separated by commas or new lines; they are stored normalised.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, urlsplit

from .errors import ValidationError
from .models import MAX_PASSWORD_LENGTH

__all__ = ["DEFAULTS", "FIELDS", "destination_allowed", "validate_fields", "validate_id"]

MIN_WIDTH, MAX_WIDTH = 200, 1200
MAX_LIMIT = 100_000

# Lower case so that /c/Sales and /c/sales cannot be two components; no `_` or `.`, which
# some URL and DNS contexts treat specially.
_SLUG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
# A host name (RFC 1123 labels) or an IPv4 address; IPv6 in brackets is checked apart.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
# A destination: a number or SIP user part, optionally @host; `*` and `?` are wildcards.
_PATTERN_RE = re.compile(r"[A-Za-z0-9+*?#._~-]{1,64}(?:@[A-Za-z0-9*?.-]{1,253})?")
# Characters that would break a SIP user part or a From header (as in PhoneConfig).
_NOT_IN_USER = frozenset(" @:<>\"'")

Check = Callable[[str, object], object]


def validate_id(value: object) -> str:
    """A component id: a lower-case slug of letters, digits and inner hyphens, 1 to 64."""
    if not isinstance(value, str) or not _SLUG_RE.fullmatch(value):
        raise ValidationError(
            "id", value, "use 1 to 64 lower-case letters, digits and hyphens (not at the ends)"
        )
    return value


def _bool(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(field, value, "expected true or false")
    return value


def _int(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field, value, f"expected a whole number from {low} to {high}")
    return value


def _width(field: str, value: object) -> int:
    return _int(field, value, MIN_WIDTH, MAX_WIDTH)


def _limit(field: str, value: object) -> int | None:
    """None (no limit) or a positive count."""
    return None if value is None else _int(field, value, 1, MAX_LIMIT)


def _items(field: str, value: object) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r"[,\n]", value)
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise ValidationError(field, value, "expected text, or a list of texts")
    return [p.strip() for p in parts if p.strip()]


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    return host == "localhost" or (_is_ip(host) and ipaddress.ip_address(host).is_loopback)


def _split_url(field: str, url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as e:  # a bad port, or a bad [IPv6] host
        raise ValidationError(field, url, str(e)) from None
    return parts


def _servers(field: str, value: object) -> str:
    """wss:// URLs (ws:// only on loopback, for the embedded server in development)."""
    urls = _items(field, value)
    for url in urls:
        parts = _split_url(field, url)
        host = parts.hostname or ""
        plain_ok = parts.scheme == "ws" and _is_loopback(host)
        if parts.scheme != "wss" and not plain_ok:
            raise ValidationError(field, url, "expected wss://host[:port][/path]")
        if not (_HOST_RE.fullmatch(host) or _is_ip(host)) or parts.query or parts.fragment:
            raise ValidationError(field, url, "expected wss://host[:port][/path]")
    return ",".join(urls)


def _realm(field: str, value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not (_HOST_RE.fullmatch(value) or _is_ip(value.strip("[]"))):
        raise ValidationError(field, value, "expected a host name or IP address")
    return value


def _check_text(
    field: str, value: object, max_length: int, forbidden: frozenset[str], shown: object
) -> str | None:
    """None for nothing, else text without control characters; errors show `shown`."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise ValidationError(field, shown, f"expected text of at most {max_length} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValidationError(field, shown, "must not contain control characters")
    if forbidden.intersection(value):
        raise ValidationError(field, shown, f"must not contain any of {''.join(sorted(forbidden))}")
    return value


def _text(max_length: int, forbidden: frozenset[str] = frozenset()) -> Check:
    def check(field: str, value: object) -> str | None:
        return _check_text(field, value, max_length, forbidden, value)

    return check


def _password(field: str, value: object) -> str | None:
    # The value is never echoed: error messages end up in logs.
    return _check_text(field, value, MAX_PASSWORD_LENGTH, frozenset(), "***")


def _origins(field: str, value: object) -> str:
    """`*`, or origins: http(s)://host[:port], no path; stored lower case, one per line."""
    origins = []
    for item in _items(field, value):
        parts = _split_url(field, item)
        if item != "*" and (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ValidationError(field, item, "expected * or https://host[:port]")
        origins.append(item.lower().rstrip("/"))
    return "\n".join(origins)


def _destinations(field: str, value: object) -> str:
    patterns = _items(field, value)
    for pattern in patterns:
        if not _PATTERN_RE.fullmatch(pattern):
            raise ValidationError(
                field, pattern, "expected a number or user name, optionally @host; * and ? match"
            )
    return "\n".join(patterns)


#: Every field a user may set, and its check.
FIELDS: dict[str, Check] = {
    "width": _width,
    "show_dialpad": _bool,
    "show_dialled_number": _bool,
    "show_answer": _bool,
    "show_hangup": _bool,
    "show_hold": _bool,
    "show_mute": _bool,
    "show_dial": _bool,
    "show_status": _bool,
    "auto_register": _bool,
    "sip_servers": _servers,
    "realm": _realm,
    "display_name": _text(128),
    "cli": _text(64, _NOT_IN_USER),
    "username": _text(64, _NOT_IN_USER),
    "password": _password,
    "hidden": _bool,
    "allowed_origins": _origins,
    "allowed_destinations": _destinations,
    "max_concurrent_calls": _limit,
    "calls_per_hour_per_visitor": _limit,
}

#: What a new component holds where it is not given: every control shown, no limits.
DEFAULTS: dict[str, object] = {
    "width": 300,
    **{name: True for name in FIELDS if name.startswith("show_")},
    "auto_register": False,
    "sip_servers": "",
    "hidden": False,
    "allowed_origins": "",
    "allowed_destinations": "",
}


def validate_fields(fields: Mapping[str, object]) -> dict[str, object]:
    """The fields as stored, or ValidationError naming the first bad (or unknown) one."""
    checked = {}
    for name, value in fields.items():
        check = FIELDS.get(name)
        if check is None:
            raise ValidationError(name, value, "no such field")
        checked[name] = check(name, value)
    return checked


def destination_allowed(patterns: str, destination: str) -> bool:
    """Whether `destination` (`+4420...`, `sales`, `bob@example.com`) matches a stored pattern.

    An empty pattern list sets no limit. A pattern without @host matches the user part of
    a destination with any host; case is ignored, as in host names.
    """
    rules = [p for p in patterns.split("\n") if p]
    if not rules:
        return True
    destination = destination.lower().removeprefix("sip:").removeprefix("sips:")
    user = destination.split("@", 1)[0]
    return any(
        fnmatch.fnmatchcase(destination if "@" in rule else user, rule.lower()) for rule in rules
    )
