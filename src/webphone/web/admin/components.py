"""Phones (saved components): the list, and create, edit, copy and delete with a live preview,
the embed snippet and the hosted page's link beside the form."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...store import Component, ExistsError, NotFoundError, ValidationError
from ...store.component_fields import MAX_WIDTH, MIN_WIDTH
from .component_form import (
    SWITCHES,
    ComponentForm,
    error_text,
    form_from_component,
    parse_form,
    render_fields,
)
from .layout import Markup, badge, empty_state, join, notice, page
from .signin import Admin, Ctx, guard

__all__ = ["component_routes"]

_PREVIEW_ATTRS = {name: name.replace("_", "-") for name, _ in SWITCHES}


def _csrf(ctx: Ctx) -> Markup:
    return Markup('<input type="hidden" name="csrf" value="{}">').format(ctx.page.csrf)


def _origin(ctx: Ctx) -> str:
    return f"{ctx.request.url.scheme}://{ctx.request.url.netloc}"


def snippet(origin: str, component_id: str) -> str:
    """The two lines a web page needs for this phone."""
    return (
        f'<script type="module" src="{origin}/webphone.js"></script>\n'
        f'<web-phone component="{component_id}"></web-phone>'
    )


async def _list(ctx: Ctx) -> Response:
    components = await run_in_threadpool(ctx.db.components.list)
    new = Markup('<a class="btn btn-primary" href="/admin/components/new">New phone</a>')
    if not components:
        body = _done_notice(ctx) + empty_state(
            "No phones yet",
            "A phone is a saved component: pick its controls and SIP account, then paste two "
            "lines into any web page or share its hosted page.",
            new,
        )
        return page(ctx.page, "Phones", body, active="components")
    rows = join(_row(ctx, c) for c in components)
    body = Markup(
        '{saved}<div class="card flush"><table class="table"><thead><tr><th>ID</th>'
        "<th>SIP account</th><th>SIP server</th><th>Allowed origins</th>"
        '<th>Updated</th><th class="actions-col"><span class="sr-only">Actions</span></th>'
        "</tr></thead><tbody>{rows}</tbody></table></div>"
    ).format(saved=_done_notice(ctx), rows=rows)
    subtitle = "Each phone is a component you embed with two lines, or share as a hosted page."
    return page(ctx.page, "Phones", body, active="components", actions=new, subtitle=subtitle)


def _done_notice(ctx: Ctx) -> Markup:
    deleted = ctx.request.query_params.get("deleted")
    return notice("ok", f"Deleted the phone “{deleted}”.") if deleted else Markup("")


def _row(ctx: Ctx, c: Component) -> Markup:
    shown = sum(bool(getattr(c, name)) for name, _ in SWITCHES)
    look = f"{c.width} px, {shown} of {len(SWITCHES)} controls"
    controls = badge("hidden", "warn") if c.hidden else look
    account = f"{c.username}@{c.realm}" if c.username and c.realm else (c.username or "—")
    origins = c.allowed_origins.split("\n") if c.allowed_origins else []
    if not origins:
        where: Markup | str = badge("not set", "neutral")
    elif "*" in origins:
        where = badge("any site", "warn")
    else:
        more = Markup("<div class=muted>+{} more</div>").format(len(origins) - 2)
        where = join(Markup("<div>{}</div>").format(o) for o in origins[:2])
        where += more if len(origins) > 2 else Markup("")
    delete = Markup(
        '<form method="post" action="/admin/components/{id}/delete" class="inline" '
        'data-confirm="Delete the phone “{id}”? Pages that embed it stop working.">{csrf}'
        '<button class="link link-danger">Delete</button></form>'
    ).format(id=c.id, csrf=_csrf(ctx))
    return Markup(
        '<tr><td class="nowrap"><a class="strong" href="/admin/components/{id}/edit">{id}</a>'
        '<div class="sub">{controls}</div></td><td>{account}</td><td class="mono">{server}'
        '</td><td>{where}</td><td class="nowrap">{updated}</td>'
        '<td class="actions"><a href="/admin/components/{id}/edit">Edit</a>'
        '<a href="/admin/components/{id}/copy">Copy</a>'
        '<a href="/p/{id}" target="_blank" rel="noopener">Page</a>{delete}</td></tr>'
    ).format(
        id=c.id,
        controls=controls,
        account=account,
        server=join(Markup("<div>{}</div>").format(s) for s in c.sip_servers.split(",") if s)
        or "this server",
        where=where,
        updated=f"{c.updated_at:%b %d, %H:%M}",
        delete=delete,
    )


def _preview(form: ComponentForm) -> Markup:
    """A `<web-phone>` with the form's public fields; admin.js keeps it in step with the form
    as it is edited. No account and no `component`: the preview shows the look, and dials
    with nothing."""
    width = form.values.get("width", "")
    # A width the store would refuse is not drawn: the preview keeps the default.
    ok = width.isdigit() and MIN_WIDTH <= int(width) <= MAX_WIDTH
    attrs = [Markup(' width="{}"').format(width if ok else "300")]
    for name, attr in _PREVIEW_ATTRS.items():
        state = "true" if form.switches.get(name, True) else "false"
        attrs.append(Markup(' {}="{}"').format(attr, state))
    if form.switches.get("hidden"):
        attrs.append(Markup(" hidden"))
    return Markup('<web-phone id="preview"{}></web-phone>').format(join(attrs))


def _side(ctx: Ctx, form: ComponentForm, saved_id: str | None) -> Markup:
    component_id = form.values.get("id") or "ID"
    origin = _origin(ctx)
    hosted = Markup(
        '<p class="hint">Save the phone first: its page will be at <code>/p/ID</code>.</p>'
    )
    if saved_id is not None:
        hosted = Markup(
            '<div class="copy-row"><a id="hosted-link" href="/p/{id}" target="_blank" '
            'rel="noopener">{origin}/p/{id}</a><button type="button" class="btn btn-small" '
            'data-copy="#hosted-link">Copy link</button></div>'
        ).format(id=saved_id, origin=origin)
    return Markup(
        '<aside class="side"><section class="card preview-card" aria-labelledby="preview-title">'
        '<h2 id="preview-title">Live preview</h2><p class="hint">Updates as you edit; save to '
        'keep it.</p><div class="preview-stage">{phone}<p class="preview-hidden"{hidden}>'
        "Hidden: this phone shows nothing on the page; the page's script drives it.</p></div>"
        '</section><section class="card" aria-labelledby="embed-title">'
        '<h2 id="embed-title">Embed on a web page</h2>'
        '<p class="hint">Paste these two lines where the phone should be.</p>'
        '<pre class="snippet"><code id="snippet" data-origin="{origin}">{snippet}</code></pre>'
        '<button type="button" class="btn btn-small" data-copy="#snippet">Copy code</button>'
        "<h3>Hosted page</h3>{hosted}</section></aside>"
    ).format(
        phone=_preview(form),
        hidden=Markup("") if form.switches.get("hidden") else Markup(" hidden"),
        origin=origin,
        snippet=snippet(origin, component_id),
        hosted=hosted,
    )


def _builder(
    ctx: Ctx,
    form: ComponentForm,
    errors: dict[str, str],
    *,
    mode: str,
    source: str | None = None,
    status: int = 200,
) -> Response:
    """The form page: `mode` is "new", "edit" or "copy" (of `source`)."""
    saved_id = form.values.get("id") if mode == "edit" else None
    action = {
        "new": "/admin/components/new",
        "edit": f"/admin/components/{saved_id}/edit",
        "copy": f"/admin/components/{source}/copy",
    }[mode]
    note = {
        "new": "no password",
        "edit": "unchanged" if form.has_password else "no password saved",
        "copy": f"same as {source}" if form.has_password else "no password",
    }[mode]
    message = Markup("")
    if errors:
        message = notice("error", f"Please correct the {len(errors)} field(s) marked below.")
    elif ctx.request.query_params.get("saved"):
        message = notice("ok", "Saved. Pages that embed this phone use it from now on.")
    fields = render_fields(
        form,
        errors,
        id_editable=mode != "edit",
        password_note=note,
        can_forget=mode == "edit" and form.has_password,
    )
    body = Markup(
        '{message}<div class="builder"><form id="component-form" class="card form" method="post" '
        'action="{action}" novalidate>{csrf}{fields}<div class="form-actions">'
        '<button class="btn btn-primary">{save}</button>'
        '<a class="btn btn-ghost" href="/admin/components">Cancel</a></div></form>{side}</div>'
    ).format(
        message=message,
        action=action,
        csrf=_csrf(ctx),
        fields=fields,
        save="Save changes" if mode == "edit" else "Create phone",
        side=_side(ctx, form, saved_id),
    )
    title = {"new": "New phone", "edit": f"Phone “{saved_id}”", "copy": f"Copy of “{source}”"}
    return page(
        ctx.page, title[mode], body, active="components", scripts=["/webphone.js"], status=status
    )


async def _get(ctx: Ctx, component_id: str) -> Component | None:
    return await run_in_threadpool(ctx.db.components.get, component_id)


async def _new(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return _builder(ctx, form_from_component(None), {}, mode="new")
    return await _create(ctx, mode="new")


async def _create(ctx: Ctx, *, mode: str, source: Component | None = None) -> Response:
    component_id, fields, again, errors = parse_form(ctx.form, with_id=True)
    if source is not None and "password" not in fields and source.password:
        fields["password"] = source.password  # a copy dials with the same account
        again.has_password = True
    if not errors:
        try:
            await run_in_threadpool(ctx.db.components.create, component_id, fields)
        except ExistsError:
            errors["id"] = "a phone with this ID exists already; choose another"
        except ValidationError as e:
            errors[e.field] = error_text(e)
        else:
            return RedirectResponse(f"/admin/components/{component_id}/edit?saved=1", 303)
    source_id = source.id if source is not None else None
    return _builder(ctx, again, errors, mode=mode, source=source_id, status=400)


async def _edit(ctx: Ctx) -> Response:
    component = await _get(ctx, ctx.request.path_params["id"])
    if component is None:
        return _not_found(ctx)
    if ctx.request.method == "GET":
        return _builder(ctx, form_from_component(component), {}, mode="edit")
    _, fields, again, errors = parse_form(ctx.form, with_id=False)
    again.values["id"], again.has_password = component.id, bool(component.password)
    if ctx.form.get("forget_password") and "password" not in fields:
        fields["password"] = None
    if not errors:
        try:
            await run_in_threadpool(ctx.db.components.update, component.id, fields)
        except NotFoundError:
            return _not_found(ctx)
        except ValidationError as e:
            errors[e.field] = error_text(e)
        else:
            return RedirectResponse(f"/admin/components/{component.id}/edit?saved=1", 303)
    return _builder(ctx, again, errors, mode="edit", status=400)


async def _copy(ctx: Ctx) -> Response:
    source = await _get(ctx, ctx.request.path_params["id"])
    if source is None:
        return _not_found(ctx)
    if ctx.request.method == "POST":
        return await _create(ctx, mode="copy", source=source)
    form = form_from_component(source)
    form.values["id"] = f"{source.id}-copy"[:64]
    return _builder(ctx, form, {}, mode="copy", source=source.id)


async def _delete(ctx: Ctx) -> Response:
    component_id = ctx.request.path_params["id"]
    try:
        await run_in_threadpool(ctx.db.components.delete, component_id)
    except NotFoundError:
        return _not_found(ctx)
    return RedirectResponse(f"/admin/components?deleted={component_id}", 303)


def _not_found(ctx: Ctx) -> Response:
    body = empty_state(
        "No such phone",
        "It may have been deleted.",
        Markup('<a class="btn" href="/admin/components">All phones</a>'),
    )
    return page(ctx.page, "Not found", body, active="components", status=404)


def component_routes(admin: Admin) -> list[BaseRoute]:
    return [
        Route("/components", guard(admin, _list)),
        Route("/components/new", guard(admin, _new), methods=["GET", "POST"]),
        Route("/components/{id}/edit", guard(admin, _edit), methods=["GET", "POST"]),
        Route("/components/{id}/copy", guard(admin, _copy), methods=["GET", "POST"]),
        Route("/components/{id}/delete", guard(admin, _delete), methods=["POST"]),
    ]
