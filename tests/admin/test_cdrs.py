"""Calls: the list with its filters and pages, the CSV export, and the reports' charts."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webphone.store import CSV_COLUMNS, Database
from webphone.web.admin.charts import BarRow, Column, Series, bar_list, column_chart, nice_ticks

from .client import Browser

NOW = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)


def cdr(n: int, *, ago: timedelta, answered: bool = True, **changes: Any) -> dict[str, Any]:
    """A finished call's CDR, started `ago` before NOW."""
    start = (NOW - ago).timestamp()
    record: dict[str, Any] = {
        "call_id": f"call-{n}",
        "direction": "outgoing",
        "from": "sip:alice@127.0.0.1",
        "to": "sip:echo@127.0.0.1",
        "started_at": start,
        "ringing_at": start + 0.5,
        "ended_by": "local",
    }
    if answered:
        record |= {"answered_at": start + 1, "ended_at": start + 61, "talk_seconds": 60.0,
                   "sip_status": 200, "media": {"codec": "opus/48000/2", "mos": 4.4}}  # fmt: skip
    else:
        record |= {"ended_at": start + 5, "sip_status": 486, "reason": "Busy Here"}
    return record | changes


@pytest.fixture
def calls(db: Database) -> Database:
    """Six calls of the last day, of two users, one component; and one of last week."""
    db.components.create("sales")
    db.cdrs.finish(cdr(1, ago=timedelta(hours=1)), user="alice", component_id="sales")
    db.cdrs.finish(cdr(2, ago=timedelta(hours=2), answered=False), user="alice")
    db.cdrs.finish(cdr(3, ago=timedelta(hours=2), direction="incoming"), user="bob")
    db.cdrs.finish(cdr(4, ago=timedelta(hours=5), answered=False, sip_status=480), user="bob")
    db.cdrs.finish(cdr(5, ago=timedelta(hours=5), media={"mos": 2.1}), user="bob")
    db.cdrs.finish(cdr(6, ago=timedelta(hours=20), from_name="=HYPERLINK(1)"), user="alice")
    db.cdrs.finish(cdr(7, ago=timedelta(days=6)), user="alice")
    return db


def call_ids(page: str) -> list[str]:
    """The rows of the calls table, by their title attribute's From (one per row)."""
    return re.findall(r"<tr><td>[A-Z][a-z]{2} \d\d, [\d:]{8}</td>", page)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("", 7),
        ("range=24h", 6),
        ("direction=incoming", 1),
        ("outcome=answered", 5),
        ("outcome=failed", 2),
        ("user=bob", 3),
        ("component=sales", 1),
        ("user=alice&outcome=failed", 1),
        (f"since={(NOW - timedelta(hours=3)):%Y-%m-%dT%H:%M}", 3),
        (f"until={(NOW - timedelta(hours=3)):%Y-%m-%dT%H:%M}", 4),
    ],
)
async def test_filters(admin: Browser, calls: Database, query: str, rows: int) -> None:
    page = await admin.get(f"/admin/calls?{query}")
    assert page.status == 200
    assert len(call_ids(page.text)) == rows
    assert f"{rows} call{'s' if rows != 1 else ''} match." in page.text


async def test_a_bad_filter_is_named_and_left_out(admin: Browser, calls: Database) -> None:
    page = await admin.get("/admin/calls?since=yesterday&direction=sideways")
    assert page.status == 200 and "were not understood" in page.text
    assert 'id="since-error"' in page.text and 'id="direction-error"' in page.text
    assert len(call_ids(page.text)) == 7


async def test_results_read_at_a_glance(admin: Browser, calls: Database) -> None:
    page = await admin.get("/admin/calls")
    assert "486 Busy Here" in page.text and 'badge-ok">answered' in page.text
    assert "&#34;HYPERLINK" not in page.text and "=HYPERLINK(1)" in page.text  # escaped as text
    assert 'class="mos mos-poor"' in page.text and "2.10" in page.text


async def test_pages_of_fifty(admin: Browser, db: Database) -> None:
    for n in range(60):
        db.cdrs.finish(cdr(n, ago=timedelta(minutes=n + 1)))
    first = await admin.get("/admin/calls?user=&direction=outgoing")
    assert len(call_ids(first.text)) == 50 and "1\u201350 of 60" in first.text
    assert (
        'href="/admin/calls?range=all&amp;direction=outgoing&amp;page=2" rel="next"' in first.text
    )
    second = await admin.get("/admin/calls?direction=outgoing&page=2")
    assert len(call_ids(second.text)) == 10 and "51\u201360 of 60" in second.text
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


async def test_csv_export_parses_and_follows_the_filter(admin: Browser, calls: Database) -> None:
    reply = await admin.get("/admin/calls.csv?user=bob")
    assert reply.status == 200 and reply.header("content-type") == "text/csv; charset=utf-8"
    assert (reply.header("content-disposition") or "").startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert sorted(r["call_id"] for r in rows) == ["call-3", "call-4", "call-5"]
    everything = list(csv.DictReader(io.StringIO((await admin.get("/admin/calls.csv")).text)))
    assert len(everything) == 7
    six = next(r for r in everything if r["call_id"] == "call-6")
    assert six["from_name"] == "'=HYPERLINK(1)"  # no formula for a spreadsheet to run


async def test_reports_draw_every_chart(admin: Browser, calls: Database) -> None:
    page = await admin.get("/admin/reports")
    assert page.status == 200
    text = page.text
    assert text.count('<svg class="chart-svg"') == 5
    for title in ("Calls per hour", "Answer rate", "Average call length", "Call quality (MOS)",
                  "Failures by SIP status"):  # fmt: skip
        assert f'aria-label="{title}"' in text and f"<h2>{title}</h2>" in text
    assert "<title>" in text and "calls, " in text  # hover texts on the columns
    # Last 24 hours by default: six calls, four answered, average talk 1 min.
    assert re.search(r"tile-value\">6<", text) and re.search(r"tile-value\">67%<", text)
    assert "1 min 00 s" in text
    assert ">486 Busy Here<" in text and ">480 Temporarily Unavailable<" in text
    assert "<title>very satisfied: 3 calls, MOS 4.34 to 5.00</title>" in text
    assert "<title>not recommended: 1 calls, MOS 1.00 to 2.58</title>" in text
    week = await admin.get("/admin/reports?range=7d")
    assert "Calls per day" in week.text and re.search(r"tile-value\">7<", week.text)


@pytest.mark.parametrize(
    "query", ["range=all", "since=2030-01-01T00:00&until=2020-01-01T00:00", "since=2001-01-01"]
)
async def test_reports_of_odd_ranges(admin: Browser, calls: Database, query: str) -> None:
    page = await admin.get(f"/admin/reports?{query}")
    assert page.status == 200 and page.text.count('<svg class="chart-svg"') >= 4


async def test_reports_with_no_calls(admin: Browser) -> None:
    page = await admin.get("/admin/reports")
    assert page.status == 200 and "No failed calls in this range." in page.text
    assert page.text.count('<svg class="chart-svg"') == 4 and 'tile-value">—<' in page.text


def test_nice_ticks() -> None:
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(9) == [0, 3, 6, 9]
    assert nice_ticks(10) == [0, 3, 6, 9, 12]
    assert nice_ticks(97) == [0, 25, 50, 75, 100]
    assert nice_ticks(1.7, whole=False) == [0, 0.5, 1.0, 1.5, 2.0]


def test_column_chart_has_a_mark_per_value_and_its_axes() -> None:
    columns = [Column("09:00", (3, 1), "9 h"), Column("10:00", (0, 2)), Column("11:00", (0, 0))]
    svg = column_chart("Calls", columns, [Series("A", "#0a0"), Series("B", "#a00")], "calls")
    assert svg.startswith('<svg class="chart-svg"') and 'aria-label="Calls"' in svg
    assert svg.count("<rect") == 3 + 2  # three bars, two legend keys
    assert ">09:00<" in svg and ">calls<" in svg and ">A<" in svg and ">4<" in svg  # y ticks


def test_bar_list_escapes_labels() -> None:
    svg = bar_list("Failures", [BarRow("<b>x</b>", 2, "#a00")], "calls")
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
