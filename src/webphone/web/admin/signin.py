"""The sign-in page, sign-out, and `guard`: what stands in front of every other admin page."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ...store import Database
from .auth import (
    LOGIN_COOKIE,
    LOGIN_SECONDS,
    SESSION_COOKIE,
    SESSION_SECONDS,
    AdminSession,
    Signer,
    same_origin,
    set_cookie,
)
from .forms import FormError, read_form
from .forms import field as input_field
from .layout import EMPTY, LOGO, Markup, Page, notice, page, security_headers
from .registrations import Registrations

__all__ = ["Admin", "Ctx", "guard", "login", "login_page", "logout"]


@dataclass(slots=True)
class Admin:
    """What the admin's pages share: the store, the signer, the SIP server's registrations."""

    db: Database
    signer: Signer
    registrations: Registrations | None = None


@dataclass(slots=True)
class Ctx:
    """One request to an admin page, past the guard: who asks, and the posted form."""

    request: Request
    admin: Admin
    session: AdminSession
    form: dict[str, str] = field(default_factory=dict)

    @property
    def db(self) -> Database:
        return self.admin.db

    @property
    def page(self) -> Page:
        return Page(self.session.user, self.admin.signer.csrf(self.session))


Handler = Callable[[Ctx], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def _forbidden(why: str) -> Response:
    body = notice("error", why)
    return page(None, "Forbidden", _card("Not allowed", body), status=403)


async def _current(admin: Admin, request: Request) -> AdminSession | None:
    session = admin.signer.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    user = await run_in_threadpool(admin.db.admin_users.get, session.user)
    if user is None or admin.signer.stamp(user.password_hash) != session.stamp:
        return None  # removed, or the password changed since sign-in
    return session


def guard(admin: Admin, handler: Handler, *, json: bool = False) -> Endpoint:
    """`handler` for signed-in admins only; a POST must also carry the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        session = await _current(admin, request)
        if session is None:
            if json:
                return JSONResponse({"error": "sign in first"}, 401, headers=security_headers())
            if request.method != "GET":
                return _forbidden("Your session has ended. Sign in again.")
            target = quote(
                request.url.path + ("?" + request.url.query if request.url.query else "")
            )
            return RedirectResponse(f"/admin/login?next={target}", 303)
        form: dict[str, str] = {}
        if request.method == "POST":
            if not same_origin(request):
                return _forbidden("This form was sent from another site.")
            try:
                form = await read_form(request)
            except FormError as e:
                return Response(str(e), e.status, headers=security_headers())
            if not admin.signer.csrf_ok(session, form.get("csrf")):
                return _forbidden(
                    "This form has expired or did not come from this admin. "
                    "Go back, reload the page and try again."
                )
        return await handler(Ctx(request, admin, session, form))

    return endpoint


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: an admin path of this site only (no open redirect)."""
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return "/admin/"


def _card(title: str, body: Markup) -> Markup:
    return Markup(
        '<div class="signin"><div class="signin-brand">{logo}<span>webphone</span></div>'
        '<section class="card signin-card"><h1>{title}</h1>{body}</section></div>'
    ).format(logo=LOGO, title=title, body=body)


def _login_form(
    admin: Admin, request: Request, *, name: str = "", message: Markup = EMPTY, status: int
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    form = Markup(
        '{message}<form method="post" action="/admin/login" class="stack">'
        '<input type="hidden" name="csrf" value="{csrf}">'
        '<input type="hidden" name="next" value="{next}">{name}{password}'
        '<button class="btn btn-primary btn-block">Sign in</button></form>'
        '<p class="hint">No account yet? On the server run '
        "<code>webphone admin create NAME</code>.</p>"
    ).format(
        message=message,
        csrf=admin.signer.login_csrf(nonce),
        next=_safe_next(request.query_params.get("next")),
        name=input_field(
            "name", "Name", name, extra=Markup(' autocomplete="username" required autofocus')
        ),
        password=input_field(
            "password",
            "Password",
            kind="password",
            extra=Markup(' autocomplete="current-password" required'),
        ),
    )
    response = page(None, "Sign in", _card("Sign in to the admin", form), status=status)
    set_cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_SECONDS)
    return response


def login_page(admin: Admin) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if await _current(admin, request) is not None:
            return RedirectResponse(_safe_next(request.query_params.get("next")), 303)
        message = Markup("")
        if request.query_params.get("bye"):
            message = notice("ok", "You are signed out.")
        return _login_form(admin, request, message=message, status=200)

    return endpoint


def login(admin: Admin) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if not same_origin(request):
            return _forbidden("This form was sent from another site.")
        try:
            form = await read_form(request)
        except FormError as e:
            return Response(str(e), e.status, headers=security_headers())
        if not admin.signer.login_csrf_ok(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
            return _forbidden("The sign-in form has expired. Reload the page and try again.")
        name, password = form.get("name", "").strip(), form.get("password", "")
        users = admin.db.admin_users
        user = await run_in_threadpool(users.authenticate, name, password)
        if user is not None:
            user = await run_in_threadpool(users.get, name)  # the hash may have been upgraded
        if user is None:
            return _login_form(
                admin, request, name=name, message=await _why(admin, name), status=401
            )
        response = RedirectResponse(_safe_next(form.get("next")), 303)
        cookie = admin.signer.issue(user.name, user.password_hash)
        set_cookie(response, request, SESSION_COOKIE, cookie, SESSION_SECONDS)
        response.delete_cookie(LOGIN_COOKIE, path="/admin")
        return response

    return endpoint


async def _why(admin: Admin, name: str) -> Markup:
    """Why signing in failed: a locked account says until when (the store locks after 5)."""
    user = await run_in_threadpool(admin.db.admin_users.get, name) if name else None
    now = datetime.now(UTC)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
        return notice(
            "error",
            Markup(
                "<strong>This account is locked</strong> after too many failed sign-ins. "
                "Try again in {} minute{} (at {} UTC), or reset the password on the server "
                "with <code>webphone admin passwd {}</code>."
            ).format(minutes, "" if minutes == 1 else "s", f"{user.locked_until:%H:%M}", name),
        )
    return notice("error", "Wrong name or password.")


async def _logout(ctx: Ctx) -> Response:
    ctx.admin.signer.revoke(ctx.session)
    response = RedirectResponse("/admin/login?bye=1", 303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


def logout(admin: Admin) -> Endpoint:
    return guard(admin, _logout)
