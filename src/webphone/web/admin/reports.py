"""Reports: the filtered calls at a glance — totals, calls per hour (or day), answer rate,
average call length, call quality (MOS) and failures by SIP status."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...sip.builders import REASONS
from ...store import Bucket, CallSummary, CdrFilter, Database, MosBucket, StatusCount
from .cdrs import filter_choices
from .charts import BarRow, Column, Series, bar_list, column_chart, line_chart, ring_chart
from .filters import filter_bar, parse_filters
from .layout import Markup, duration, join, notice, page
from .signin import Admin, Ctx, guard

__all__ = ["Figures", "figures", "report_routes"]

ANSWERED, FAILED, ACCENT = "#16a34a", "#e11d48", "#4f46e5"
#: Hourly columns up to this span; daily beyond it.
HOURLY_UP_TO = timedelta(hours=72)
#: The most columns a chart draws (the newest ones).
MAX_COLUMNS = 120
_MOS_COLORS = ("#15803d", "#22c55e", "#a3e635", "#facc15", "#f97316", "#dc2626", "#cbd5e1")


def _unit(where: CdrFilter, first: datetime | None, now: datetime) -> str:
    start = where.since or first or now
    return "hour" if (where.until or now) - start <= HOURLY_UP_TO else "day"


def _floor(moment: datetime, step: timedelta) -> datetime:
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if step == timedelta(days=1) else moment


def _filled(
    buckets: list[Bucket], where: CdrFilter, step: timedelta, now: datetime
) -> list[Bucket]:
    """Every hour (or day) of the range, empty ones included, at most MAX_COLUMNS (newest)."""
    found = {b.start: b for b in buckets}
    first = where.since or (buckets[0].start if buckets else now - step)
    last = min(where.until or now, now)
    if buckets:  # a call stamped ahead of this server's clock still gets its column
        last = max(last, buckets[-1].start)
    moment, end = _floor(first, step), _floor(last, step)
    moment = max(moment, end - step * (MAX_COLUMNS - 1))
    out = []
    while moment <= end:
        out.append(found.get(moment, Bucket(moment, 0, 0)))
        moment += step
    return out


def _label(moment: datetime, step: timedelta, previous: datetime | None) -> str:
    if step == timedelta(days=1):
        return f"{moment:%b %d}"
    if previous is None or previous.date() != moment.date():
        return f"{moment:%b %d %H:%M}" if moment.hour else f"{moment:%b %d}"
    return f"{moment:%H:%M}"


@dataclasses.dataclass(frozen=True, slots=True)
class Figures:
    """Every number the page shows."""

    summary: CallSummary
    #: One column per hour (or day) of the range, empty ones included.
    buckets: list[Bucket]
    step: timedelta
    #: Average talk time of each bucket's answered calls (None: none answered).
    averages: list[float | None]
    mos: list[MosBucket]
    failures: list[StatusCount]


def figures(db: Database, where: CdrFilter, now: datetime) -> Figures:
    """Read in one go, from a worker thread."""
    cdrs = db.cdrs
    daily = cdrs.calls_per_bucket(where, "day")
    unit = _unit(where, daily[0].start if daily else None, now)
    step = timedelta(hours=1) if unit == "hour" else timedelta(days=1)
    buckets = _filled(daily if unit == "day" else cdrs.calls_per_bucket(where), where, step, now)
    averages: list[float | None] = []
    for bucket in buckets:
        if not bucket.answered:
            averages.append(None)
            continue
        # The bucket's own calls: its hour (or day), within the filter's range.
        since = max(bucket.start, where.since) if where.since else bucket.start
        until = min(bucket.start + step, where.until) if where.until else bucket.start + step
        part = cdrs.summary(dataclasses.replace(where, since=since, until=until))
        averages.append(part.average_talk_seconds)
    return Figures(
        cdrs.summary(where),
        buckets,
        step,
        averages,
        cdrs.mos_distribution(where),
        cdrs.failures_by_status(where),
    )


def _card(title: str, note: str, chart: Markup, span: str) -> Markup:
    return Markup(
        '<section class="card chart chart-{}"><header><h2>{}</h2><p class="hint">{}</p></header>'
        "{}</section>"
    ).format(span, title, note, chart)


def _tile(label: str, value: str, note: str = "") -> Markup:
    return Markup(
        '<div class="tile"><div class="tile-label">{}</div><div class="tile-value">{}</div>'
        '<div class="tile-note">{}</div></div>'
    ).format(label, value, note)


def _tiles(summary: CallSummary) -> Markup:
    rate = "—" if summary.answer_rate is None else f"{summary.answer_rate * 100:.0f}%"
    failed = summary.calls - summary.answered
    return Markup('<div class="tiles">{}</div>').format(
        join(
            [
                _tile("Calls", f"{summary.calls:,}", "finished calls in the range"),
                _tile("Answered", f"{summary.answered:,}", f"{failed:,} not answered"),
                _tile("Answer rate", rate, "answered of all calls"),
                _tile(
                    "Average call length",
                    duration(summary.average_talk_seconds),
                    "talk time of answered calls",
                ),
            ]
        )
    )


def _charts(data: Figures) -> Markup:
    per = "hour" if data.step == timedelta(hours=1) else "day"
    labels: list[str] = []
    previous = None
    for bucket in data.buckets:
        labels.append(_label(bucket.start, data.step, previous))
        previous = bucket.start
    columns = [
        Column(
            label,
            (b.answered, b.calls - b.answered),
            f"{label}: {b.calls} calls, {b.answered} answered",
        )
        for label, b in zip(labels, data.buckets, strict=True)
    ]
    series = (Series("Answered", ANSWERED), Series("Not answered", FAILED))
    summary = data.summary
    caption = (
        "no finished calls"
        if not summary.calls
        else f"{summary.answered:,} answered of {summary.calls:,} calls"
    )
    minutes = [None if a is None else a / 60 for a in data.averages]
    mos_rows = [
        BarRow(
            m.label.capitalize(),
            m.calls,
            color,
            f"{m.label}: {m.calls} calls"
            + (f", MOS {m.low:.2f} to {m.high:.2f}" if m.high else ""),
        )
        for m, color in zip(data.mos, _MOS_COLORS, strict=True)
    ]
    failure_rows = [
        BarRow(
            f"{f.sip_status} {REASONS.get(f.sip_status, '')}".strip()
            if f.sip_status is not None
            else "No SIP response (refused here)",
            f.calls,
            FAILED,
        )
        for f in data.failures[:10]
    ]
    failures = (
        bar_list("Failures by SIP status", failure_rows, "calls", width=540)
        if failure_rows
        else Markup('<p class="chart-empty">No failed calls in this range.</p>')
    )
    return Markup('<div class="charts">{}</div>').format(
        join(
            [
                _card(
                    f"Calls per {per}",
                    f"Started per {per} (UTC), answered or not.",
                    column_chart(f"Calls per {per}", columns, series, "calls", width=1120),
                    "wide",
                ),
                _card(
                    "Answer rate",
                    "Answered calls of all finished calls.",
                    ring_chart("Answer rate", summary.answer_rate, caption, ANSWERED),
                    "third",
                ),
                _card(
                    "Average call length",
                    f"Talk time of answered calls, per {per}.",
                    line_chart(
                        "Average call length", labels, minutes, "minutes", ACCENT, width=720
                    ),
                    "two-thirds",
                ),
                _card(
                    "Call quality (MOS)",
                    "Answered calls by estimated MOS (ITU-T G.107).",
                    bar_list("Call quality (MOS)", mos_rows, "calls", width=540),
                    "half",
                ),
                _card(
                    "Failures by SIP status",
                    "Calls not answered, by final SIP response.",
                    failures,
                    "half",
                ),
            ]
        )
    )


async def _reports(ctx: Ctx) -> Response:
    filters = parse_filters(ctx.request.query_params, default_range="24h")
    data = await run_in_threadpool(figures, ctx.db, filters.where, datetime.now(UTC))
    components, users = await filter_choices(ctx)
    problems = Markup("")
    if filters.errors:
        problems = notice("error", "Some filters were not understood; they are not applied.")
    body = join(
        [
            problems,
            filter_bar(filters, "/admin/reports", components, users),
            _tiles(data.summary),
            _charts(data),
        ]
    )
    subtitle = "Finished calls only; calls in progress count once they end. Times are UTC."
    return page(ctx.page, "Reports", body, active="reports", subtitle=subtitle)


def report_routes(admin: Admin) -> list[BaseRoute]:
    return [Route("/reports", guard(admin, _reports))]
