"""CDRs on both backends: start and finish, cut-off calls after a crash, filters, CSV export."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from webphone.store import CSV_COLUMNS, CdrFilter, Database, ValidationError, cdr_dict

from .cdr_data import T0, at, make_cdr, started

STORE_ONLY = ("id", "component_id", "user", "session", "state")


def as_stored(db: Database, row_id: int) -> dict[str, Any]:
    row = db.cdrs.get(row_id)
    assert row is not None
    return cdr_dict(row)


def test_start_then_finish_keeps_every_field(db: Database) -> None:
    db.components.create("sales")
    cdr = make_cdr("call-1", from_name="Alice", to_name="Echo", cli="+4420")
    row_id = db.cdrs.start(started(cdr), component_id="sales", session="s1", user="alice")
    active = as_stored(db, row_id)
    assert active["state"] == "active" and active["ended_at"] is None
    assert active["started_at"] == cdr["started_at"] and active["user"] == "alice"

    assert db.cdrs.finish(cdr, session="s1") == row_id
    stored = as_stored(db, row_id)
    assert {k: v for k, v in stored.items() if k not in STORE_ONLY} == cdr
    assert stored["state"] == "ended" and stored["component_id"] == "sales"
    assert stored["user"] == "alice" and stored["session"] == "s1"


def test_finish_without_start_inserts_the_whole_call(db: Database) -> None:
    cdr = make_cdr("call-1", answered_after=None)
    row_id = db.cdrs.finish(cdr, user="bob", component_id="gone")  # no such component
    stored = as_stored(db, row_id)
    assert {k: v for k, v in stored.items() if k not in STORE_ONLY} == cdr
    assert stored["state"] == "ended" and stored["user"] == "bob"
    assert stored["component_id"] is None


def test_one_call_id_two_rows(db: Database) -> None:
    # alice calls bob on this server: one Call-ID, an outgoing and an incoming row; and bob's
    # second tab rang too (a forked INVITE), in another session.
    out = make_cdr("shared", direction="outgoing")
    inc = make_cdr("shared", direction="incoming", talk=2.0)
    other_tab = make_cdr("shared", direction="incoming", answered_after=None, status=487)
    ids = [
        db.cdrs.start(started(out), session="alice-tab"),
        db.cdrs.start(started(inc), session="bob-tab-1"),
        db.cdrs.start(started(other_tab), session="bob-tab-2"),
    ]
    assert db.cdrs.finish(other_tab, session="bob-tab-2") == ids[2]
    assert db.cdrs.finish(inc, session="bob-tab-1") == ids[1]
    assert db.cdrs.finish(out, row_id=ids[0]) == ids[0]
    assert [as_stored(db, i)["sip_status"] for i in ids] == [200, 200, 487]
    assert [as_stored(db, i)["talk_seconds"] for i in ids] == [3.0, 2.0, 0.0]
    assert {as_stored(db, i)["state"] for i in ids} == {"ended"}


def test_odd_values_are_kept_as_unknown_never_refused(db: Database) -> None:
    cdr = make_cdr("call-1") | {
        "from_name": "x" * 10_000,  # a hostile peer's display name
        "sip_status": "200",
        "talk_seconds": float("nan"),
        "ended_by": "martians",
        "ringing_at": "yesterday",
        "extra": "ignored",
    }
    cdr["media"] = {"mos": True, "packets_lost": 3.5, "codec": 7}
    stored = as_stored(db, db.cdrs.finish(cdr))
    assert stored["from_name"] == "x" * 255
    assert stored["sip_status"] is None and stored["talk_seconds"] is None
    assert stored["ended_by"] is None and stored["ringing_at"] is None
    assert set(stored["media"].values()) == {None}


@pytest.mark.parametrize(
    ("cdr", "field"),
    [
        ({"direction": "outgoing"}, "call_id"),
        ({"call_id": "", "direction": "outgoing"}, "call_id"),
        ({"call_id": "c"}, "direction"),
        ({"call_id": "c", "direction": "sideways"}, "direction"),
    ],
)
def test_what_identifies_a_call_is_required(db: Database, cdr: dict[str, Any], field: str) -> None:
    for write in (db.cdrs.start, db.cdrs.finish):
        with pytest.raises(ValidationError) as caught:
            write(cdr)
        assert caught.value.field == field
    assert db.cdrs.count() == 0


def test_mark_cut_off_after_a_restart(database_url: str) -> None:
    a, b = Database.open(url=database_url, node="a"), Database.open(url=database_url, node="b")
    with a, b:
        left = a.cdrs.start(started(make_cdr("left-open")), user="alice")
        done = a.cdrs.start(started(make_cdr("done")))
        a.cdrs.finish(make_cdr("done"))
        other = b.cdrs.start(started(make_cdr("on-b")))
    with Database.open(url=database_url, node="a") as restarted:
        assert restarted.cdrs.mark_cut_off() == 1  # node b's call may still be going on
        row = cdr_dict(restarted.cdrs.get(left))  # type: ignore[arg-type]
        assert row["state"] == "cut_off" and row["ended_by"] == "system"
        assert row["reason"].startswith("cut off") and row["user"] == "alice"
        assert as_stored(restarted, done)["state"] == "ended"
        assert as_stored(restarted, other)["state"] == "active"
        assert restarted.cdrs.mark_cut_off() == 0
        assert restarted.cdrs.mark_cut_off(all_nodes=True) == 1
        assert as_stored(restarted, other)["state"] == "cut_off"


def test_a_killed_process_leaves_a_row_that_says_cut_off(database_url: str) -> None:
    # The child starts a call and dies at once (SIGKILL, no clean-up): start() had committed.
    child = textwrap.dedent(f"""
        import os, signal
        from webphone.store import Database
        db = Database.open(url={database_url!r}, node="crashy")
        db.cdrs.start({{"call_id": "mid-call", "direction": "incoming"}})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, timeout=30, check=False
    )
    assert result.returncode == -9, result.stderr.decode()
    with Database.open(url=database_url, node="crashy") as db:
        assert db.cdrs.mark_cut_off() == 1
        (row,) = db.cdrs.list()
        assert (row.call_id, row.state, row.ended_by) == ("mid-call", "cut_off", "system")


def fill(db: Database) -> None:
    """Four finished calls and one going on, by alice and bob, two of them for `sales`."""
    db.components.create("sales")
    finish = db.cdrs.finish
    finish(make_cdr("early", started=at(0)), user="alice", component_id="sales")
    finish(make_cdr("busy", started=at(10), answered_after=None), user="alice")
    finish(make_cdr("in", started=at(20), direction="incoming"), user="bob")
    finish(make_cdr("late", started=at(90)), user="bob", component_id="sales")
    db.cdrs.start(started(make_cdr("now", started=at(100))), user="bob")


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (CdrFilter(), ["now", "late", "in", "busy", "early"]),
        (CdrFilter(since=at(10), until=at(90)), ["in", "busy"]),
        (CdrFilter(component_id="sales"), ["late", "early"]),
        (CdrFilter(user="alice"), ["busy", "early"]),
        (CdrFilter(direction="incoming"), ["in"]),
        (CdrFilter(outcome="answered"), ["late", "in", "early"]),
        (CdrFilter(outcome="failed"), ["busy"]),  # a call going on has not failed (yet)
        (CdrFilter(user="bob", outcome="answered", since=at(30)), ["late"]),
    ],
)
def test_list_with_filters(db: Database, where: CdrFilter, expected: list[str]) -> None:
    fill(db)
    assert [row.call_id for row in db.cdrs.list(where)] == expected
    assert db.cdrs.count(where) == len(expected)


def test_list_pages(db: Database) -> None:
    fill(db)
    assert [r.call_id for r in db.cdrs.list(limit=2)] == ["now", "late"]
    assert [r.call_id for r in db.cdrs.list(limit=2, offset=2)] == ["in", "busy"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("since", T0.replace(tzinfo=None)), ("direction", "up"), ("outcome", "maybe")],
)
def test_bad_filters_name_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        CdrFilter(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_csv_export_parses_back(db: Database) -> None:
    fill(db)
    lines = list(db.cdrs.csv_lines(CdrFilter(user="bob")))
    assert all(line.endswith("\r\n") for line in lines)
    rows = list(csv.DictReader(io.StringIO("".join(lines))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["call_id"] for r in rows] == ["now", "late", "in"]
    late = rows[1]
    expected = make_cdr("late", started=at(90))
    assert late["started_at"] == expected["started_at"]
    assert late["from"] == "sip:alice@127.0.0.1" and late["user"] == "bob"
    assert float(late["talk_seconds"]) == 3.0 and int(late["sip_status"]) == 200
    assert float(late["mos"]) == 4.41 and late["component_id"] == "sales"
    assert rows[0]["ended_at"] == "" and rows[0]["state"] == "active"


def test_csv_cells_cannot_become_formulas(db: Database) -> None:
    db.cdrs.finish(make_cdr("evil", from_name='=HYPERLINK("http://x")', cli="+4420"))
    (row,) = csv.DictReader(io.StringIO("".join(db.cdrs.csv_lines())))
    assert row["from_name"] == '\'=HYPERLINK("http://x")'
    assert row["cli"] == "+4420"  # a number stays a number
