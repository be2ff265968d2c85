"""The hosted page `/p/{id}`: a saved component's phone on a page of its own, to link to.

The page carries only the component's public fields (`store.public_fields`) as attributes of
`<web-phone component="ID">`; the gateway finds the SIP account by the id, on the server.
`?preview=1` draws the same phone without `component`, so it looks the same but uses no account.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from ..store import Component, Database, public_fields

__all__ = ["hosted_routes", "phone_tag"]

_ID_RE = re.compile(r"[a-z0-9-]{1,64}")
#: Public field -> attribute, for the switches (written "true"/"false", as docs/component.md says).
_SWITCHES = {
    "show_dialpad": "show-dialpad",
    "show_dialled_number": "show-dialled-number",
    "show_answer": "show-answer",
    "show_hangup": "show-hangup",
    "show_hold": "show-hold",
    "show_mute": "show-mute",
    "show_dial": "show-dial",
    "show_status": "show-status",
}

_PAGE = Markup(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title>"
    '<link rel="icon" href="data:,">'
    '<script type="module" src="/webphone.js"></script><style>'
    "html,body{{margin:0;min-height:100%}}"
    "body{{display:flex;flex-direction:column;align-items:center;justify-content:center;"
    "min-height:100vh;background:#f1f5f9;font-family:system-ui,-apple-system,'Segoe UI',"
    "Roboto,sans-serif;color:#0f172a;padding:24px;box-sizing:border-box}}"
    "web-phone{{box-shadow:0 10px 30px rgba(15,23,42,.12);border-radius:16px}}"
    ".note{{max-width:28rem;text-align:center;color:#475569;line-height:1.5}}"
    "footer{{margin-top:20px;font-size:12px;color:#94a3b8}}"
    "</style></head><body>{body}<footer>webphone</footer></body></html>"
)


def phone_tag(component: Component, *, preview: bool = False) -> Markup:
    """`<web-phone ...>` for a saved component, with its public fields as attributes."""
    fields = public_fields(component)
    attrs = [] if preview else [Markup(' component="{}"').format(component.id)]
    attrs.append(Markup(' width="{}"').format(fields["width"]))
    for name, attr in _SWITCHES.items():
        attrs.append(Markup(' {}="{}"').format(attr, "true" if fields[name] else "false"))
    if fields["auto_register"] and not preview:
        attrs.append(Markup(" auto-register"))
    if fields["hidden"]:
        attrs.append(Markup(" hidden"))
    return Markup("<web-phone{}></web-phone>").format(Markup("").join(attrs))


def _html(title: str, body: Markup, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        str(_PAGE.format(title=title, body=body)),
        status_code=status,
        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
    )


def hosted_routes(db: Database) -> list[BaseRoute]:
    """`/p/{id}`: the component's page, or 404 when there is no such component."""

    async def hosted(request: Request) -> Response:
        component_id = request.path_params["id"]
        component = None
        if _ID_RE.fullmatch(component_id):
            component = await run_in_threadpool(db.components.get, component_id)
        if component is None:
            body = Markup(
                '<h1>No such phone</h1><p class="note">Check the link: there is no '
                "phone called “{}” here.</p>"
            ).format(component_id[:64])
            return _html("Not found", body, 404)
        preview = request.query_params.get("preview") == "1"
        body = phone_tag(component, preview=preview)
        if component.hidden:
            note = Markup('<p class="note">This phone is hidden: it has no buttons of its own.</p>')
            body = Markup("{}{}").format(body, note)
        return _html(f"{component.id} · phone", body)

    return [Route("/p/{id}", hosted)]
