"""The admin at /admin: the phone builder (saved components with live preview and embed code),
calls and reports, SIP users, and the live view; behind sign-in, sessions and CSRF checks.

    routes += admin_routes(db, secret_dir=data_dir(), registrations=sip_registrations(sip))
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from ...store import Database
from .auth import Signer, load_secret
from .cdrs import cdr_routes
from .components import component_routes
from .live import live_routes
from .registrations import Registration, Registrations, sip_registrations
from .reports import report_routes
from .signin import Admin, Ctx, guard, login, login_page, logout
from .sip_users import sip_user_routes

__all__ = ["Registration", "Registrations", "admin_routes", "sip_registrations"]

STATIC = Path(__file__).resolve().parent / "static"
_STATIC_FILES = {
    "admin.css": "text/css; charset=utf-8",
    "admin.js": "text/javascript; charset=utf-8",
}


async def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC_FILES:
        return Response("not found\n", 404, media_type="text/plain")
    return FileResponse(
        STATIC / name,
        media_type=_STATIC_FILES[name],
        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
    )


async def _home(ctx: Ctx) -> Response:
    return RedirectResponse("/admin/components", 303)


async def _slash(request: Request) -> Response:
    return RedirectResponse("/admin/", 307)


def admin_routes(
    db: Database, *, secret_dir: Path, registrations: Registrations | None = None
) -> list[BaseRoute]:
    """The admin's routes, mounted at /admin. The session secret lives in `secret_dir`;
    `registrations` lists the embedded SIP server's bindings (None: no embedded server)."""
    admin = Admin(db, Signer(load_secret(secret_dir)), registrations)
    routes: list[BaseRoute] = [
        Route("/", guard(admin, _home)),
        Route("/login", login_page(admin)),
        Route("/login", login(admin), methods=["POST"]),
        Route("/logout", logout(admin), methods=["POST"]),
        Route("/static/{name}", _static),
        *component_routes(admin),
        *sip_user_routes(admin),
        *cdr_routes(admin),
        *report_routes(admin),
        *live_routes(admin),
    ]
    return [Route("/admin", _slash), Mount("/admin", routes=routes)]
