"""SIP users of the embedded server: add, reset a password, remove, and who is registered now.

A password made or set here is shown once, in the answer to the form that set it (never in a
redirect's address, which browsers keep in their history).
"""

from __future__ import annotations

import secrets
from collections import defaultdict

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...store import SipUser, UserError, UserExistsError, UserNotFoundError
from .forms import field
from .layout import EMPTY, Markup, badge, duration, empty_state, join, moment, notice, page
from .registrations import Registration
from .signin import Admin, Ctx, guard

__all__ = ["sip_user_routes"]


def _csrf(ctx: Ctx) -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(ctx.page.csrf)


def _registered(bindings: list[Registration]) -> Markup:
    if not bindings:
        return badge("offline", "neutral")
    devices = join(
        Markup(
            '<li><span class="mono">{}</span> <span class="muted">{} from {}, {} left</span></li>'
        ).format(b.contact, b.transport, b.source, duration(b.expires_in))
        for b in bindings
    )
    count = f"{len(bindings)} device" + ("s" if len(bindings) != 1 else "")
    return Markup('{}<details class="devices"><summary>{}</summary><ul>{}</ul></details>').format(
        badge("registered", "ok"), count, devices
    )


def _row(ctx: Ctx, user: SipUser, bindings: list[Registration]) -> Markup:
    return Markup(
        '<tr><td class="strong">{name}</td><td>{registered}</td><td>{created}</td>'
        '<td class="actions"><form method="post" action="/admin/sip-users/{name}/password" '
        'class="inline" data-confirm="Make a new password for {name}? The old one stops '
        'working, and phones using it must be given the new one.">{csrf}'
        '<button class="link">Reset password</button></form>'
        '<form method="post" action="/admin/sip-users/{name}/delete" class="inline" '
        'data-confirm="Remove the SIP user {name}?">{csrf}'
        '<button class="link link-danger">Remove</button></form></td></tr>'
    ).format(
        name=user.name,
        registered=_registered(bindings),
        created=moment(user.created_at),
        csrf=_csrf(ctx),
    )


async def _page(
    ctx: Ctx,
    *,
    message: Markup = EMPTY,
    name: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    users = await run_in_threadpool(ctx.db.sip_users.list)
    registrations = ctx.admin.registrations() if ctx.admin.registrations is not None else []
    by_user: dict[str, list[Registration]] = defaultdict(list)
    for registration in registrations:
        by_user[registration.user].append(registration)
    online = sum(1 for u in users if by_user.get(u.name))
    add = Markup(
        '<form method="post" action="/admin/sip-users" class="card form-inline" '
        'aria-label="Add a SIP user">{csrf}{name}{password}'
        '<button class="btn btn-primary">Add user</button></form>'
    ).format(
        csrf=_csrf(ctx),
        name=field("name", "User name", name, error=error, extra=Markup(' autocomplete="off"')),
        password=field(
            "password",
            "Password",
            kind="password",
            extra=Markup(' autocomplete="new-password" placeholder="leave empty to generate"'),
        ),
    )
    if users:
        rows = join(_row(ctx, u, by_user.get(u.name, [])) for u in users)
        table = Markup(
            '<div class="card flush"><table class="table"><thead><tr><th>User</th>'
            "<th>Registered now</th><th>Created</th>"
            '<th class="actions-col"><span class="sr-only">Actions</span></th></tr></thead>'
            "<tbody>{}</tbody></table></div>"
        ).format(rows)
    else:
        table = empty_state("No SIP users", "Add one above: phones register with its name.")
    if ctx.admin.registrations is None:
        summary = "This server uses an external SIP server: registrations are not shown here."
    else:
        summary = f"{len(users)} users, {online} registered now."
    body = Markup("{}{}{}").format(message, add, table)
    return page(ctx.page, "SIP users", body, active="sip-users", status=status, subtitle=summary)


async def _list(ctx: Ctx) -> Response:
    removed = ctx.request.query_params.get("removed")
    message = notice("ok", f"Removed the user “{removed}”.") if removed else Markup("")
    return await _page(ctx, message=message)


def _shown_once(name: str, password: str, what: str) -> Markup:
    return notice(
        "ok",
        Markup(
            "{} <strong>{}</strong>. Its password, shown this once: "
            '<code class="secret" id="new-password">{}</code> '
            '<button type="button" class="btn btn-small" data-copy="#new-password">Copy</button>'
        ).format(what, name, password),
    )


async def _add(ctx: Ctx) -> Response:
    name = ctx.form.get("name", "").strip()
    password = ctx.form.get("password") or secrets.token_urlsafe(12)
    try:
        await run_in_threadpool(ctx.db.sip_users.add, name, password)
    except UserExistsError:
        return await _page(ctx, name=name, error="this user exists already", status=400)
    except UserError as e:
        message = notice("error", str(e))
        return await _page(ctx, message=message, name=name, error=str(e), status=400)
    return await _page(ctx, message=_shown_once(name, password, "Added"))


async def _reset(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    password = secrets.token_urlsafe(12)
    try:
        await run_in_threadpool(ctx.db.sip_users.set_password, name, password)
    except UserNotFoundError:
        return await _page(ctx, message=notice("error", f"No user “{name}”."), status=404)
    return await _page(ctx, message=_shown_once(name, password, "New password for"))


async def _remove(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    try:
        await run_in_threadpool(ctx.db.sip_users.remove, name)
    except UserNotFoundError:
        return await _page(ctx, message=notice("error", f"No user “{name}”."), status=404)
    return RedirectResponse(f"/admin/sip-users?removed={name}", 303)


def sip_user_routes(admin: Admin) -> list[BaseRoute]:
    return [
        Route("/sip-users", guard(admin, _list)),
        Route("/sip-users", guard(admin, _add), methods=["POST"]),
        Route("/sip-users/{name}/password", guard(admin, _reset), methods=["POST"]),
        Route("/sip-users/{name}/delete", guard(admin, _remove), methods=["POST"]),
    ]
