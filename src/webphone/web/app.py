"""The Starlette app: demo page, webphone.js, the /gateway WebSocket, /sip, and /healthz.

app = create_app(settings, sip_app=sip_server.websocket_app())
# run with uvicorn (lifespan "on": closing the app closes the browser sessions)
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from .. import __version__
from ..gateway import CdrRecorder, ComponentLookup, GatewayEndpoint, SessionRegistry
from ..store import Database, data_dir
from .admin import Registrations, admin_routes
from .api import api_routes
from .hosted import hosted_routes
from .metrics import GatewayMetrics, database_status
from .settings import Settings
from .tickets import ComponentAccess, Tickets, load_secret

__all__ = ["PACKAGE_STATIC", "create_app"]

#: The package's own static files (static/ is layer 9, the Web Component).
PACKAGE_STATIC = Path(__file__).resolve().parent.parent / "static"

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".ts": "application/typescript; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}

_PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>webphone</title></head>
<body><h1>webphone</h1>
<p>The demo page is not installed yet. The phone component is at
<a href="/webphone.js">/webphone.js</a>; the gateway WebSocket at <code>/gateway</code>.</p>
</body></html>
"""


def create_app(
    settings: Settings,
    *,
    sip_app: ASGIApp | None = None,
    sip_url: str | None = None,
    on_cdr: Callable[[dict[str, Any]], None] | None = None,
    components: ComponentLookup | None = None,
    database: Database | None = None,
    registrations: Registrations | None = None,
    tickets: Tickets | None = None,
) -> Starlette:
    """The web server's ASGI app.

    `sip_app` is the embedded SIP server's WebSocket endpoint (`SipServer.websocket_app()`),
    mounted at /sip; sessions then use it by default, at `sip_url` (default
    `settings.embedded_sip_url`), unless `settings.sip_servers` names external servers.
    `on_cdr` is told every call's CDR; `components` finds saved components for `hello`.
    The browser sessions are in `app.state.sessions`; the lifespan's end closes them.
    With a `database`, the admin is at /admin (its session secret in the data directory) and
    saved components' hosted pages at /p/ID; `registrations` lists the embedded SIP server's
    bindings for the admin (`admin.sip_registrations(server)`).
    A `database` also brings saved components to the gateway (tickets at /tickets/ID, signed
    by `tickets`, default: the secret in the data directory), a CDR row for every call, and
    the REST API at /api. /metrics is always there.
    """
    embedded = (sip_url or settings.embedded_sip_url,) if sip_app is not None else ()
    gateway_config = settings.gateway_config(embedded)
    access = None
    if database is not None:
        tickets = tickets or Tickets(load_secret(data_dir(settings.data_dir)))
        access = ComponentAccess(database.components, tickets, gateway_config.default_servers)
    sessions = SessionRegistry(
        gateway_config,
        on_cdr=on_cdr,
        components=components or access,
        hooks=[CdrRecorder(database.cdrs)] if database is not None else [],
    )
    metrics = GatewayMetrics(sessions)
    static = _StaticFiles(settings.static_dir or PACKAGE_STATIC)

    async def index(request: Request) -> Response:
        return static.respond(request, "index.html", fallback=_PLACEHOLDER)

    async def script(request: Request) -> Response:
        return static.respond(request, "webphone.js")

    async def types(request: Request) -> Response:
        return static.respond(request, "webphone.d.ts")

    async def health(request: Request) -> Response:
        body = {
            "status": "ok",
            "version": __version__,
            "sessions": len(sessions),
            "attached": sessions.attached,
            "sip_servers": list(sessions.config.default_servers),
        }
        status = 200
        if database is not None:
            body["database"] = await database_status(database)
            if body["database"] != "ok":
                body["status"], status = "unavailable", 503
        return JSONResponse(body, status, headers={"cache-control": "no-store"})

    routes: list[BaseRoute] = [
        Route("/", index),
        Route("/webphone.js", script),
        Route("/webphone.d.ts", types),
        Route("/healthz", health),
        WebSocketRoute("/gateway", GatewayEndpoint(sessions)),
        *metrics.routes(),
    ]
    if sip_app is not None:
        # The WebSocket route carries SIP (RFC 7118); plain HTTP gets the endpoint's own 426.
        routes += [WebSocketRoute("/sip", sip_app), Route("/sip", sip_app)]
    if database is not None:
        secret_dir = data_dir(settings.data_dir)
        routes += admin_routes(database, secret_dir=secret_dir, registrations=registrations)
        routes += hosted_routes(database)
        routes += [*(access.routes() if access else []), *api_routes(database)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await sessions.close()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = sessions
    return app


@dataclass(slots=True)
class _File:
    stamp: tuple[int, int]  # (mtime_ns, size): re-read when the file changes
    body: bytes
    etag: str


class _StaticFiles:
    """A few named files, kept in memory and revalidated by ETag.

    `no-cache` makes browsers ask again each time, so pages embedding webphone.js get a new
    version at once, while the ETag keeps the answer a 304 when nothing changed. The files
    may be used cross-origin (`<script type="module">` needs CORS), hence `*`.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, _File] = {}

    def respond(self, request: Request, name: str, *, fallback: str | None = None) -> Response:
        file = self._load(name)
        if file is None:
            if fallback is not None:
                return HTMLResponse(fallback, headers={"cache-control": "no-cache"})
            return Response(f"{name} is not installed\n", 404, media_type="text/plain")
        headers = {
            "etag": file.etag,
            "cache-control": "no-cache",
            "access-control-allow-origin": "*",
            "x-content-type-options": "nosniff",
        }
        wanted = _etags(request.headers.get("if-none-match", ""))
        if file.etag in wanted or "*" in wanted:
            return Response(status_code=304, headers=headers)
        media_type = _TYPES.get(Path(name).suffix, "application/octet-stream")
        return Response(file.body, headers=headers, media_type=media_type)

    def _load(self, name: str) -> _File | None:
        path = self.directory / name
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._cache.get(name)
            if cached is not None and cached.stamp == stamp:
                return cached
            body = path.read_bytes()
        except OSError:
            return None
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self._cache[name] = file = _File(stamp, body, etag)
        return file


def _etags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header, weak ones compared as strong (RFC 9110
    §13.1.2 uses the weak comparison for If-None-Match)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
