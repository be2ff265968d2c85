"""Call detail records: one row per call, written when it starts and completed when it ends.

`start()` writes a row in state "active"; `finish()` completes it ("ended"). Both commit before
they return, so a crash mid-call leaves a row; at start-up `mark_cut_off()` turns the rows a
previous process left active into "cut_off", ended by "system". A CDR with no started row (a
caller that only has `on_cdr`) is inserted whole by `finish()`.

Writes are one short transaction each; a caller on an asyncio loop may run them in a thread:
`await asyncio.to_thread(db.cdrs.finish, cdr)`.
"""

from __future__ import annotations

import csv
import io
import re
import socket
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, ScalarSelect, func, insert, select, update
from sqlalchemy.orm import Session

from . import cdr_stats
from .cdr_stats import Bucket, CallSummary, CdrFilter, MosBucket, StatusCount, Unit
from .cdr_values import MEDIA_FIELDS, iso, row_values
from .engine import Sessions, rowcount
from .errors import ValidationError
from .models import CdrRow, Component, utcnow

__all__ = ["CSV_COLUMNS", "Cdrs"]

CUT_OFF_REASON = "cut off: the server stopped during the call"

#: The CSV export's header: the CDR JSON's names (media flattened), then the store's own.
CSV_COLUMNS = (
    "id", "call_id", "direction", "from", "from_name", "to", "to_name", "cli", "server",
    "started_at", "ringing_at", "answered_at", "ended_at", "ring_seconds", "talk_seconds",
    "ended_by", "sip_status", "reason", *MEDIA_FIELDS, "component_id", "user", "session", "state",
)  # fmt: skip
_CSV_ATTRS = {"from": "from_uri", "to": "to_uri", "user": "user_name", "session": "session_name"}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); display
# names come from remote callers. Plain numbers (`+4420...`, `-1`) are left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")
# The id breaks ties between calls that started in the same microsecond.
_NEWEST_FIRST = (CdrRow.started_at.desc(), CdrRow.id.desc())


def _component(component_id: str | None) -> ScalarSelect[Any] | None:
    """The component's id when it still exists, else NULL: a component deleted during a call
    must not make its record fail the foreign key."""
    if component_id is None:
        return None
    return select(Component.id).where(Component.id == component_id).scalar_subquery()


class Cdrs:
    """The CDRs of one database, written by server `node` (default: the host name)."""

    def __init__(self, sessions: Sessions, node: str | None = None) -> None:
        self._db = sessions
        self.node = (node or socket.gethostname())[:128]

    def start(
        self,
        call: Mapping[str, Any],
        *,
        component_id: str | None = None,
        session: str | None = None,
        user: str | None = None,
    ) -> int:
        """Record a call that has started (a partial CDR: call_id, direction, from, to ...);
        the new row's id, for `finish(..., row_id=)`."""
        values = row_values(call)
        values.setdefault("started_at", utcnow())
        return self._insert(values | {"state": "active"}, component_id, session, user)

    def finish(
        self,
        cdr: Mapping[str, Any],
        *,
        row_id: int | None = None,
        component_id: str | None = None,
        session: str | None = None,
        user: str | None = None,
    ) -> int:
        """Complete the call's row with its CDR (`row_id`, else the newest active row with the
        same Call-ID, direction and session), or insert it whole; the row's id."""
        values = row_values(cdr) | {"state": "ended"}
        for column, given in (("user_name", user), ("session_name", session)):
            if given is not None:
                values[column] = given
        with self._db.write() as db:
            found = row_id if row_id is not None else self._active(db, values, session)
            if found is not None:
                if component_id is not None:
                    values["component_id"] = _component(component_id)
                result = db.execute(update(CdrRow).where(CdrRow.id == found).values(**values))
                if rowcount(result):
                    return found
        values.setdefault("started_at", values.get("ended_at") or utcnow())
        return self._insert(values, component_id, session, user)

    def answered(self, row_id: int, at: datetime) -> None:
        """The call of an active row was answered at `at` (mid-call, so that a call cut off
        later still shows it was answered)."""
        with self._db.write() as db:
            db.execute(
                update(CdrRow)
                .where(CdrRow.id == row_id, CdrRow.state == "active")
                .values(answered_at=at)
            )

    def _active(self, db: Session, values: dict[str, Any], session: str | None) -> int | None:
        if "call_id" not in values or "direction" not in values:
            return None
        same_session = (
            CdrRow.session_name.is_(None) if session is None else CdrRow.session_name == session
        )
        return db.scalar(
            select(CdrRow.id)
            .where(
                CdrRow.state == "active",
                CdrRow.call_id == values["call_id"],
                CdrRow.direction == values["direction"],
                same_session,
            )
            .order_by(CdrRow.id.desc())
            .limit(1)
        )

    def _insert(
        self,
        values: dict[str, Any],
        component_id: str | None,
        session: str | None,
        user: str | None,
    ) -> int:
        for required in ("call_id", "direction"):
            if not values.get(required):
                raise ValidationError(required, None, "a CDR needs it")
        values = values | {"node": self.node, "component_id": _component(component_id)}
        values.setdefault("session_name", session)
        values.setdefault("user_name", user)
        with self._db.write() as db:
            result = db.execute(insert(CdrRow).values(**values))
            assert isinstance(result, CursorResult)
            (row_id,) = result.inserted_primary_key or (None,)
        assert isinstance(row_id, int)
        return row_id

    def mark_cut_off(self, *, all_nodes: bool = False) -> int:
        """At start-up: calls a previous process of this node left active are cut off (all
        nodes' with `all_nodes`, when no other server shares the database); how many."""
        where = [CdrRow.state == "active"]
        if not all_nodes:
            where.append(CdrRow.node == self.node)
        with self._db.write() as db:
            result = db.execute(
                update(CdrRow)
                .where(*where)
                .values(
                    state="cut_off",
                    ended_by="system",
                    reason=func.coalesce(CdrRow.reason, CUT_OFF_REASON),
                )
            )
            return rowcount(result)

    def get(self, row_id: int) -> CdrRow | None:
        with self._db.read() as db:
            return db.get(CdrRow, row_id)

    def count(self, where: CdrFilter | None = None) -> int:
        conditions = (where or CdrFilter()).conditions()
        with self._db.read() as db:
            return int(db.scalar(select(func.count()).select_from(CdrRow).where(*conditions)) or 0)

    def csv_lines(self, where: CdrFilter | None = None) -> Iterator[str]:
        """The matching calls as CSV, header first, one line (with its CRLF) at a time, so that
        a large export streams. Times are ISO 8601 UTC; unknown values are empty."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def line(cells: list[object]) -> str:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(cells)
            return buffer.getvalue()

        yield line(list(CSV_COLUMNS))
        conditions = (where or CdrFilter()).conditions()
        stmt = select(CdrRow).where(*conditions).order_by(*_NEWEST_FIRST)
        stmt = stmt.execution_options(yield_per=500)
        with self._db.read() as db:
            for row in db.scalars(stmt):
                yield line([_csv_cell(getattr(row, _CSV_ATTRS.get(c, c))) for c in CSV_COLUMNS])

    def summary(self, where: CdrFilter | None = None) -> CallSummary:
        """Calls, answered calls, answer rate, average talk time of the answered ones."""
        with self._db.read() as db:
            return cdr_stats.summary(db, where or CdrFilter())

    def calls_per_bucket(self, where: CdrFilter | None = None, unit: Unit = "hour") -> list[Bucket]:
        with self._db.read() as db:
            return cdr_stats.calls_per_bucket(db, where or CdrFilter(), unit)

    def mos_distribution(self, where: CdrFilter | None = None) -> list[MosBucket]:
        with self._db.read() as db:
            return cdr_stats.mos_distribution(db, where or CdrFilter())

    def failures_by_status(self, where: CdrFilter | None = None) -> list[StatusCount]:
        with self._db.read() as db:
            return cdr_stats.failures_by_status(db, where or CdrFilter())

    def list(
        self, where: CdrFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[CdrRow]:
        """The calls that match, newest first, a page at a time."""
        conditions = (where or CdrFilter()).conditions()
        stmt = select(CdrRow).where(*conditions).order_by(*_NEWEST_FIRST)
        stmt = stmt.limit(limit).offset(offset)
        with self._db.read() as db:
            return list(db.scalars(stmt))


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value)
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _NUMBER_RE.fullmatch(value)
    ):
        return "'" + value
    return value
