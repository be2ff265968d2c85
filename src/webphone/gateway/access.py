"""Saved components in the gateway: who asks for one, and what a session opened for it gets.

A page says `hello {component, ticket}`; the gateway hands a `ComponentRequest` (the ticket and
the page's origin, taken from the WebSocket handshake, never from the page's own words) to the
`components` hook, which checks it and answers a `SavedComponent`: the SIP account the session
dials with (kept on the server; the page never sees the password) and its `DialPolicy`. The hook
lives above the gateway (web/tickets.py checks tickets against the store); nothing here knows a
database.

Origins: a browser always sends `Origin` with a WebSocket handshake, and a page's script cannot
change it, so it tells which site's page is asking. Programs other than browsers can send any
Origin they like; origin checks keep other web sites from embedding a component, while the dial
policy limits what anyone can do with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..phone import PhoneConfig

__all__ = [
    "ComponentLookup",
    "ComponentRefusedError",
    "ComponentRequest",
    "DialPolicy",
    "SavedComponent",
    "is_own_origin",
    "normal_origin",
    "page_origin",
]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


@dataclass(frozen=True, slots=True)
class ComponentRequest:
    """A page's `hello` for a saved component, with what the handshake says about the page."""

    #: The component's id, as the page gave it.
    component: str
    #: The session ticket the page got from `GET /tickets/{id}` (None: it gave none).
    ticket: str | None
    #: The page's origin (`https://shop.example.com`), normalised; the server's own origin when
    #: the handshake had no Origin header (see `page_origin`).
    origin: str
    #: The handshake's Host header: the server's own origin is always allowed.
    host: str | None = None
    #: The page's IP address (the dial policy counts calls per visitor by it).
    client: str | None = None


@dataclass(frozen=True, slots=True)
class DialPolicy:
    """Where a component's sessions may call and how much; None or empty: no limit."""

    #: Whether a destination (`user@host`, as it will be dialled) is allowed; None: any.
    destinations: Callable[[str], bool] | None = None
    #: Calls (in and out) of all the component's sessions at once on this server; more
    #: outgoing ones are refused with `too_many_calls`.
    max_concurrent_calls: int | None = None
    #: Outgoing calls one visitor (client IP) may place per hour; more get `rate_limited`.
    calls_per_hour_per_visitor: int | None = None


@dataclass(frozen=True, slots=True)
class SavedComponent:
    """What a session opened for a saved component gets."""

    #: The component's id (CDR rows are attributed to it).
    id: str
    #: The account the session's Phone uses; the page may not change it (`set_config` is
    #: refused) and never sees its password.
    phone_config: PhoneConfig
    policy: DialPolicy = field(default_factory=DialPolicy)
    #: Public settings added to hello's `config` (how the phone looks: `width`, `show_dialpad`
    #: ...); nothing secret.
    public: Mapping[str, object] = field(default_factory=dict)


class ComponentRefusedError(Exception):
    """The page may not use the component; the message (sent to the page) says why."""


#: The `components` hook: a request -> the component, or `ComponentRefusedError`. It may be a
#: coroutine function (it reads a database); a plain `PhoneConfig` answer is taken as a
#: component without a dial policy, and None as a refusal.
ComponentLookup = Callable[
    [ComponentRequest],
    SavedComponent | PhoneConfig | Awaitable[SavedComponent | PhoneConfig | None] | None,
]


def normal_origin(origin: str) -> str:
    """`scheme://host[:port]` in lower case, without a default port or a trailing slash, so
    that `HTTPS://Shop.example.com:443/` and `https://shop.example.com` compare equal. Anything
    that is not such an origin (`null`, from a sandboxed frame or a file) is kept as it is."""
    text = origin.strip().lower().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text
    if not parts.scheme or not parts.hostname or parts.path or parts.query:
        return text
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def page_origin(origin: str | None, host: str | None, *, secure: bool) -> str:
    """The origin a request comes from: its Origin header, else this server's own origin.

    Browsers leave Origin out of same-origin GET requests (Fetch standard, "serializing a
    request origin"), so a ticket fetched by the hosted page `/p/{id}` arrives without one.
    """
    if origin:
        return normal_origin(origin)
    return normal_origin(f"{'https' if secure else 'http'}://{host or 'localhost'}")


def is_own_origin(origin: str, host: str | None) -> bool:
    """Whether `origin` is this server's, by the Host header of the request.

    Only the host and port are compared: behind a TLS-terminating proxy the server speaks
    plain HTTP while its pages are `https://`. A Host without a port means the origin
    scheme's default port.
    """
    if not host:
        return False
    try:
        page = urlsplit(origin)
        ours = urlsplit(f"//{host.strip().lower()}")
        page_port, our_port = page.port, ours.port
    except ValueError:
        return False
    default = _DEFAULT_PORTS.get(page.scheme)
    if page.scheme not in ("http", "https") or not page.hostname:
        return False
    return page.hostname == ours.hostname and (page_port or default) == (our_port or default)
