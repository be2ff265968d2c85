"""Session tickets: how a page shows that this server let its origin use a saved component.

A page with `<web-phone component="sales">` first asks `GET /tickets/sales` (webphone.js does
it by itself), then says `hello {component: "sales", ticket}` on the gateway. The ticket is an
HMAC, with a secret only the server knows, over the component id, the page's origin and an
expiry (5 minutes): `<expiry>.<mac>`. It is issued only to an origin the component allows (its
`allowed_origins`, or this server's own origin, for the hosted page `/p/{id}` and the admin's
preview), and the gateway checks it against the WebSocket's Origin header. A page of another
site gets neither a ticket (no CORS headers for it) nor a session (`forbidden`).

The secret is 32 random bytes in `<data dir>/ticket-secret`, made at first start; servers that
share a database behind a load balancer must share it too (`WEBPHONE_TICKET_SECRET`).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..gateway import (
    ComponentRefusedError,
    ComponentRequest,
    DialPolicy,
    SavedComponent,
    is_own_origin,
    normal_origin,
    page_origin,
)
from ..phone import PhoneConfig
from ..phone.config import parse_servers
from ..store import Component, Components, destination_allowed, public_fields

__all__ = [
    "SECRET_FILE",
    "TICKET_TTL",
    "ComponentAccess",
    "TicketError",
    "Tickets",
    "load_secret",
    "origin_allowed",
    "saved_component",
]

#: Seconds a ticket is good for: long enough for a slow page, short enough that a copied
#: ticket is soon useless.
TICKET_TTL = 300
SECRET_FILE = "ticket-secret"
SECRET_BYTES = 32


class TicketError(Exception):
    """A ticket that does not let the page in; the message says why."""


def load_secret(directory: Path, explicit: str | None = None) -> bytes:
    """`explicit` (at least 32 characters), else the secret in `directory`, made if missing."""
    if explicit is not None:
        if len(explicit) < SECRET_BYTES:
            raise ValueError(f"ticket secret: expected at least {SECRET_BYTES} characters")
        return explicit.encode()
    path = directory / SECRET_FILE
    directory.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two servers starting at once on one data dir must not write two secrets.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_bytes()
        if len(secret) < SECRET_BYTES:
            raise ValueError(f"{path}: expected {SECRET_BYTES} random bytes") from None
        return secret
    with os.fdopen(fd, "wb") as file:
        file.write(secrets.token_bytes(SECRET_BYTES))
    return path.read_bytes()


class Tickets:
    """Issues and checks tickets with one secret; `clock` is seconds since the epoch."""

    def __init__(
        self, secret: bytes, ttl: int = TICKET_TTL, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.ttl = ttl
        self._clock = clock

    def issue(self, component_id: str, origin: str) -> str:
        expires = int(self._clock()) + self.ttl
        return f"{expires}.{self._mac(component_id, origin, expires)}"

    def check(self, ticket: str | None, component_id: str, origin: str) -> None:
        """Raise `TicketError` unless `ticket` was issued for this component and origin and
        has not expired."""
        if not ticket:
            raise TicketError(f"a ticket is needed: GET /tickets/{component_id} first")
        expires, dot, mac = ticket.partition(".")
        if not dot or not expires.isascii() or not expires.isdigit() or len(expires) > 12:
            raise TicketError("the ticket is not valid")
        # The MAC first: a forged ticket is "not valid", whatever expiry it claims.
        if not hmac.compare_digest(mac, self._mac(component_id, origin, int(expires))):
            raise TicketError(f"the ticket is not valid for component {component_id} on {origin}")
        if int(expires) < self._clock():
            raise TicketError("the ticket has expired; reload the page")

    def _mac(self, component_id: str, origin: str, expires: int) -> str:
        message = f"webphone ticket\n{component_id}\n{origin}\n{expires}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def origin_allowed(allowed_origins: str, origin: str, host: str | None) -> bool:
    """Whether pages of `origin` may use a component with these `allowed_origins` (one per
    line; `*` any). Empty allows only this server's own origin (`host`), which is always
    allowed: the hosted page and the admin's preview are there."""
    if is_own_origin(origin, host):
        return True
    entries = [e for e in allowed_origins.split("\n") if e.strip()]
    return "*" in entries or origin in {normal_origin(e) for e in entries}


def saved_component(component: Component, default_servers: tuple[str, ...]) -> SavedComponent:
    """The gateway's view of a stored component: its account, its policy, its look."""
    phone = PhoneConfig(
        ws_servers=parse_servers(component.sip_servers) or default_servers,
        username=component.username or "",
        password=component.password or "",
        display_name=component.display_name,
        cli=component.cli,
        realm=component.realm,
    )
    patterns = component.allowed_destinations
    policy = DialPolicy(
        destinations=functools.partial(destination_allowed, patterns) if patterns else None,
        max_concurrent_calls=component.max_concurrent_calls,
        calls_per_hour_per_visitor=component.calls_per_hour_per_visitor,
    )
    return SavedComponent(component.id, phone, policy, public_fields(component))


class ComponentAccess:
    """The gateway's `components` hook, and `GET /tickets/{id}`, over the stored components."""

    def __init__(
        self, components: Components, tickets: Tickets, default_servers: tuple[str, ...] = ()
    ) -> None:
        self.components = components
        self.tickets = tickets
        self.default_servers = default_servers

    async def __call__(self, request: ComponentRequest) -> SavedComponent:
        component = await asyncio.to_thread(self.components.get, request.component)
        if component is None:
            raise ComponentRefusedError(f"no component {request.component[:64]!r} here")
        if not origin_allowed(component.allowed_origins, request.origin, request.host):
            raise ComponentRefusedError(
                f"pages of {request.origin[:200]} may not use component {component.id}"
            )
        try:
            self.tickets.check(request.ticket, component.id, request.origin)
        except TicketError as e:
            raise ComponentRefusedError(str(e)) from None
        return saved_component(component, self.default_servers)

    def routes(self) -> list[Route]:
        return [Route("/tickets/{component}", self.issue, methods=["GET"])]

    async def issue(self, request: Request) -> Response:
        """`{"ticket", "expires_in", "component"}` for an allowed origin, with CORS for it."""
        component_id = request.path_params["component"]
        host = request.headers.get("host")
        sent_origin = request.headers.get("origin")
        origin = page_origin(sent_origin, host, secure=request.url.scheme == "https")
        headers = {"cache-control": "no-store", "vary": "Origin"}
        component = await asyncio.to_thread(self.components.get, component_id)
        if component is None:
            message = f"no component {component_id[:64]!r} here"
            return _error(404, "not_found", message, headers)
        if not origin_allowed(component.allowed_origins, origin, host):
            message = f"pages of {origin[:200]} may not use component {component.id}"
            return _error(403, "forbidden", message, headers)
        if sent_origin:
            # The exact header back, as CORS compares it (Fetch standard, CORS check).
            headers["access-control-allow-origin"] = sent_origin
        body = {
            "ticket": self.tickets.issue(component.id, origin),
            "expires_in": self.tickets.ttl,
            "component": component.id,
        }
        return JSONResponse(body, headers=headers)


def _error(status: int, code: str, message: str, headers: dict[str, str]) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status, headers=headers)
