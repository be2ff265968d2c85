"""The admin's page shell (header, nav, notices) and the small HTML pieces every page uses.

All markup is built with MarkupSafe: `Markup(template).format(value)` escapes each value, so
text from the database (display names from remote callers, CDR reasons) cannot become markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

__all__ = [
    "EMPTY",
    "NAV",
    "Markup",
    "Page",
    "badge",
    "duration",
    "empty_state",
    "escape",
    "join",
    "moment",
    "notice",
    "page",
    "security_headers",
]

EMPTY = Markup("")

#: (key, label, path) of the top navigation, in order.
NAV = (
    ("components", "Phones", "/admin/components"),
    ("calls", "Calls", "/admin/calls"),
    ("reports", "Reports", "/admin/reports"),
    ("sip-users", "SIP users", "/admin/sip-users"),
    ("live", "Live", "/admin/live"),
)

# Pages may load only our own files; the phone's shadow root uses <style> elements, hence
# 'unsafe-inline' for styles (never for scripts). The preview phone opens the gateway socket.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self' ws: wss:; media-src 'self' blob:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def security_headers() -> dict[str, str]:
    """Headers for every admin response: no framing, no caching of pages with data on them."""
    return {
        "content-security-policy": _CSP,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "cache-control": "no-store",
    }


@dataclass(frozen=True, slots=True)
class Page:
    """Who is looking, for the shell: the signed-in admin and the session's CSRF token."""

    user: str
    csrf: str


def join(parts: Iterable[Markup | str]) -> Markup:
    """Markup pieces one after the other; plain strings among them are escaped."""
    return Markup("").join(escape(p) for p in parts)


def page(
    who: Page | None,
    title: str,
    body: Markup,
    *,
    active: str = "",
    actions: Markup = EMPTY,
    scripts: Sequence[str] = (),
    status: int = 200,
    subtitle: str = "",
) -> HTMLResponse:
    """A whole admin page: the header with nav and sign-out, the title row, then `body`."""
    nav = join(
        Markup('<a href="{}"{}>{}</a>').format(
            path, Markup(' aria-current="page"') if key == active else "", label
        )
        for key, label, path in NAV
    )
    header = Markup("")
    if who is not None:
        header = Markup(
            '<header class="top"><a class="brand" href="/admin/">{logo}<span>webphone</span>'
            '<small>admin</small></a><nav aria-label="Main">{nav}</nav>'
            '<form class="who" method="post" action="/admin/logout">'
            '<span class="who-name" title="Signed in">{user}</span>'
            '<input type="hidden" name="csrf" value="{csrf}">'
            '<button class="btn btn-ghost btn-small">Sign out</button></form></header>'
        ).format(logo=LOGO, nav=nav, user=who.user, csrf=who.csrf)
    heading = Markup(
        '<div class="title-row"><div><h1>{}</h1>{}</div><div class="title-actions">{}</div></div>'
    ).format(title, Markup('<p class="lede">{}</p>').format(subtitle) if subtitle else "", actions)
    tags = join(Markup('<script type="module" src="{}"></script>').format(s) for s in scripts)
    document = Markup(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} · webphone admin</title>"
        '<link rel="stylesheet" href="/admin/static/admin.css">'
        '<link rel="icon" href="data:,">'
        '<script type="module" src="/admin/static/admin.js"></script>{tags}</head>'
        '<body class="{cls}">{header}<main class="main">{heading}{body}</main></body></html>'
    ).format(
        title=title,
        tags=tags,
        cls="signed-in" if who else "signed-out",
        header=header,
        heading=heading if who else "",
        body=body,
    )
    return HTMLResponse(str(document), status_code=status, headers=security_headers())


LOGO = Markup(
    '<svg class="logo" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">'
    '<rect width="24" height="24" rx="6" fill="currentColor"/>'
    '<path d="M8.6 5.5c.4 0 .8.3.9.7l.8 2.6c.1.4 0 .8-.3 1l-1.2 1c.8 1.6 2 2.8 3.5 3.5l1-1.2'
    "c.3-.3.7-.4 1-.3l2.6.8c.4.1.7.5.7.9v2.3c0 .6-.5 1.1-1.1 1.1C10.4 18 6 13.6 6 6.6c0-.6"
    '.5-1.1 1.1-1.1z" fill="#fff"/></svg>'
)


def notice(kind: str, text: Markup | str) -> Markup:
    """A message box: kind is "ok", "error" or "info"."""
    role = "alert" if kind == "error" else "status"
    return Markup('<div class="notice notice-{}" role="{}">{}</div>').format(kind, role, text)


def badge(text: str, kind: str = "neutral") -> Markup:
    """A small coloured label: ok, bad, warn, info or neutral."""
    return Markup('<span class="badge badge-{}">{}</span>').format(kind, text)


def empty_state(title: str, text: Markup | str, action: Markup = EMPTY) -> Markup:
    return Markup('<div class="empty"><h2>{}</h2><p>{}</p>{}</div>').format(title, text, action)


def moment(value: datetime | None, *, seconds: bool = False) -> str:
    """A UTC time as people read it in a table: `2026-11-26 06:00`."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def duration(seconds: float | None) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`; a dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
