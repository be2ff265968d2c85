"""Live: every open browser session with its registration and call, and every SIP registration
of the embedded server; the page draws them, then admin.js polls `/admin/live.json` every 2 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ...gateway import Session, SessionRegistry
from .layout import Markup, badge, duration, join, page, security_headers
from .signin import Admin, Ctx, guard

__all__ = ["describe", "live_routes", "snapshot"]

_CALL_STATES = {
    "calling": "calling",
    "ringing": "ringing",
    "incoming": "ringing in",
    "active": "in call",
}


def describe(session: Session, now: float) -> dict[str, Any]:
    """One session as the live view shows it (JSON-ready; no secrets)."""
    phone = session.phone
    call: dict[str, Any] | None = None
    if phone.call is not None:
        cdr = phone.call.cdr
        outgoing = cdr.direction == "outgoing"
        call = {
            "state": _CALL_STATES.get(phone.call.state.value, phone.call.state.value),
            "direction": cdr.direction,
            "remote": (cdr.to_uri if outgoing else cdr.from_uri).removeprefix("sip:"),
            "remote_name": cdr.to_name if outgoing else cdr.from_name,
            "held": phone.call.local_hold or phone.call.remote_hold,
            "muted": phone.call.muted,
            "seconds": round(now - (cdr.answered_at or cdr.started_at)),
        }
    return {
        "session": session.name,
        "page": "connected" if session.attached else "waiting to resume",
        "component": session.component_id,
        "origin": session.origin,
        "user": session.user,
        "registered": session.registered,
        "call": call,
    }


def snapshot(admin: Admin, registry: SessionRegistry | None) -> dict[str, Any]:
    """What the live view shows now."""
    now = time.time()
    sessions = [describe(s, now) for s in registry or () if not s.closed]
    registrations = admin.registrations() if admin.registrations is not None else []
    return {
        "sessions": sessions,
        "registrations": [asdict(r) for r in registrations],
        "embedded_sip": admin.registrations is not None,
        "counts": {
            "sessions": len(sessions),
            "registered": sum(1 for s in sessions if s["registered"]),
            "calls": sum(1 for s in sessions if s["call"]),
            "bindings": len(registrations),
        },
    }


def _session_row(s: dict[str, Any]) -> Markup:
    call = s["call"]
    if call is None:
        what = Markup('<span class="muted">idle</span>')
    else:
        extra = [w for w, on in (("on hold", call["held"]), ("muted", call["muted"])) if on]
        what = Markup("{} {} <span class=muted>{}{}</span>").format(
            badge(call["state"], "ok" if call["state"] == "in call" else "info"),
            call["remote_name"] or call["remote"],
            duration(call["seconds"]),
            ", " + ", ".join(extra) if extra else "",
        )
    return Markup(
        '<tr><td class="mono">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
        "<td>{}</td></tr>"
    ).format(
        s["session"],
        badge(s["page"], "ok" if s["page"] == "connected" else "warn"),
        s["component"] or Markup('<span class="muted">page settings</span>'),
        s["origin"] or "—",
        s["user"] or "—",
        badge("registered", "ok") if s["registered"] else badge("not registered", "neutral"),
        what,
    )


def _table(head: Iterable[str], rows: Markup, empty: str, colspan: int, body_id: str) -> Markup:
    if not rows:
        rows = Markup('<tr class="empty-row"><td colspan="{}">{}</td></tr>').format(colspan, empty)
    return Markup(
        '<div class="card flush"><table class="table"><thead><tr>{}</tr></thead>'
        '<tbody id="{}">{}</tbody></table></div>'
    ).format(join(Markup("<th>{}</th>").format(h) for h in head), body_id, rows)


async def _page(ctx: Ctx) -> Response:
    data = snapshot(ctx.admin, getattr(ctx.request.app.state, "sessions", None))
    sessions = _table(
        ("Session", "Page", "Phone", "Page origin", "SIP user", "Registration", "Call"),
        join(_session_row(s) for s in data["sessions"]),
        "No browser has a phone open.",
        7,
        "live-sessions",
    )
    bindings = join(
        Markup(
            '<tr><td class="strong">{}</td><td class="mono">{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td></tr>"
        ).format(r["user"], r["contact"], r["transport"], r["source"], duration(r["expires_in"]))
        for r in data["registrations"]
    )
    registrations = _table(
        ("SIP user", "Contact", "Transport", "From", "Expires in"),
        bindings,
        "Nobody is registered.",
        5,
        "live-registrations",
    )
    counts = data["counts"]
    body = Markup(
        '<div id="live" data-src="/admin/live.json"><p class="live-status">'
        '<span class="pulse" aria-hidden="true"></span><span id="live-counts">{}</span></p>'
        '<h2 class="section-title">Browser sessions</h2>{}'
        '<h2 class="section-title">Registered to the embedded SIP server</h2>{}</div>'
    ).format(_counts(counts), sessions, registrations if data["embedded_sip"] else _external())
    subtitle = "Updated every 2 seconds."
    return page(ctx.page, "Live", body, active="live", subtitle=subtitle)


def _counts(counts: dict[str, int]) -> str:
    return (
        f"{counts['sessions']} open sessions · {counts['registered']} registered · "
        f"{counts['calls']} in calls · {counts['bindings']} SIP registrations"
    )


def _external() -> Markup:
    return Markup('<p class="hint">This server uses an external SIP server.</p>')


async def _json(ctx: Ctx) -> Response:
    data = snapshot(ctx.admin, getattr(ctx.request.app.state, "sessions", None))
    data["summary"] = _counts(data["counts"])
    return JSONResponse(data, headers=security_headers())


def live_routes(admin: Admin) -> list[BaseRoute]:
    return [
        Route("/live", guard(admin, _page)),
        Route("/live.json", guard(admin, _json, json=True)),
    ]
