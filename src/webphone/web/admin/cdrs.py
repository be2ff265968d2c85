"""Calls: every call's record in a filtered, paged table, and the same calls as a CSV file."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from ...store import CdrRow, Component
from .filters import Filters, filter_bar, parse_filters
from .layout import Markup, badge, empty_state, join, notice, page
from .signin import Admin, Ctx, guard

__all__ = ["PAGE_SIZE", "cdr_routes", "filter_choices", "outcome_badge"]

PAGE_SIZE = 50


def outcome_badge(row: CdrRow) -> Markup:
    """What became of the call, in a word or two, coloured."""
    if row.state == "active":
        return badge("in progress", "info")
    if row.state == "cut_off":
        return badge("cut off", "warn")
    if row.answered_at is not None:
        return badge("answered", "ok")
    text = " ".join(str(p) for p in (row.sip_status, row.reason) if p) or "not answered"
    return badge(text if len(text) <= 40 else text[:39] + "…", "bad")


def _party(uri: str | None, name: str | None) -> Markup:
    """The display name (else the user part) over the address, in two short lines."""
    address = (uri or "").removeprefix("sip:").removeprefix("sips:") or "—"
    user, _, host = address.partition("@")
    return Markup('<span class="party" title="{}">{}<small>{}</small></span>').format(
        uri or "", name or user, address if name else host
    )


def _clock(seconds: float | None) -> str:
    """`0:07`, `12:40`, `1:02:09`: short enough for a table column."""
    if seconds is None:
        return "—"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _quality(mos: float | None, codec: str) -> Markup:
    """The MOS estimate, coloured by G.109's bands (satisfied, some, many dissatisfied)."""
    if mos is None:
        return Markup('<span class="muted">—</span>')
    level = "good" if mos >= 4.03 else "fair" if mos >= 3.6 else "poor"
    title = f"{codec}, estimated MOS" if codec else "estimated MOS"
    return Markup('<span class="mos mos-{}" title="{}">{:.2f}</span>').format(level, title, mos)


def _row(row: CdrRow) -> Markup:
    arrow = "↗" if row.direction == "outgoing" else "↙"
    codec = (row.codec or "").split("/")[0]
    return Markup(
        "<tr><td>{started}</td><td>{direction}</td><td>{src}</td><td>{dst}</td>"
        "<td>{component}</td><td>{user}</td><td>{outcome}</td><td class=num>{ring}</td>"
        "<td class=num>{talk}</td><td class=num>{mos}</td></tr>"
    ).format(
        started=f"{row.started_at:%b %d, %H:%M:%S}",
        direction=Markup(
            '<span class="dir dir-{d}" title="{d}" aria-label="{d}">{a}</span>'
        ).format(d=row.direction, a=arrow),
        src=_party(row.from_uri, row.from_name),
        dst=_party(row.to_uri, row.to_name),
        component=row.component_id or "—",
        user=row.user_name or "—",
        outcome=outcome_badge(row),
        ring=_clock(row.ring_seconds),
        talk=_clock(row.talk_seconds),
        mos=_quality(row.mos, codec),
    )


async def filter_choices(ctx: Ctx) -> tuple[list[Component], list[str]]:
    """The components and SIP user names, for the filter's choices."""
    components = await run_in_threadpool(ctx.db.components.list)
    users = await run_in_threadpool(ctx.db.sip_users.list)
    return components, [u.name for u in users]


async def _list(ctx: Ctx) -> Response:
    filters = parse_filters(ctx.request.query_params)
    try:
        number = max(1, int(ctx.request.query_params.get("page", "1")))
    except ValueError:
        number = 1
    db = ctx.db
    total = await run_in_threadpool(db.cdrs.count, filters.where)
    offset = (number - 1) * PAGE_SIZE
    rows = await run_in_threadpool(
        lambda: db.cdrs.list(filters.where, limit=PAGE_SIZE, offset=offset)
    )
    components, users = await filter_choices(ctx)
    export = Markup('<a class="btn" href="/admin/calls.csv?{}" download>Export CSV</a>').format(
        filters.query()
    )
    bar = filter_bar(filters, "/admin/calls", components, users, extra=export)
    problems = Markup("")
    if filters.errors:
        problems = notice("error", "Some filters were not understood; they are not applied.")
    if rows:
        table = Markup(
            '<div class="card flush"><div class="table-scroll"><table class="table calls">'
            '<thead><tr><th>Started (UTC)</th><th><span class="sr-only">Direction</span></th>'
            "<th>From</th><th>To</th>"
            "<th>Phone</th><th>User</th><th>Result</th><th class=num>Ring</th>"
            "<th class=num>Talk</th><th class=num>MOS</th></tr></thead>"
            "<tbody>{}</tbody></table></div>{}</div>"
        ).format(join(_row(r) for r in rows), _pager(filters, number, total, len(rows)))
    else:
        table = empty_state(
            "No calls", "No call matches these filters. Calls appear here as they end."
        )
    body = Markup("{}{}{}").format(problems, bar, table)
    subtitle = f"{total} call{'s' if total != 1 else ''} match."
    return page(ctx.page, "Calls", body, active="calls", subtitle=subtitle)


def _pager(filters: Filters, number: int, total: int, shown: int) -> Markup:
    first = (number - 1) * PAGE_SIZE + 1
    last = first + shown - 1
    links = []
    if number > 1:
        links.append(
            Markup(
                '<a class="btn btn-small" href="/admin/calls?{}" rel="prev">Previous</a>'
            ).format(filters.query(page=number - 1))
        )
    if last < total:
        links.append(
            Markup('<a class="btn btn-small" href="/admin/calls?{}" rel="next">Next</a>').format(
                filters.query(page=number + 1)
            )
        )
    return Markup(
        '<nav class="pager" aria-label="Pages"><span>{}\u2013{} of {}</span>{}</nav>'
    ).format(first, last, total, join(links))


async def _csv(ctx: Ctx) -> Response:
    filters = parse_filters(ctx.request.query_params)
    name = f"webphone-calls-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
    # A sync iterator: Starlette reads it in a worker thread, a line at a time.
    return StreamingResponse(
        ctx.db.cdrs.csv_lines(filters.where),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


def cdr_routes(admin: Admin) -> list[BaseRoute]:
    return [
        Route("/calls", guard(admin, _list)),
        Route("/calls.csv", guard(admin, _csv)),
    ]
