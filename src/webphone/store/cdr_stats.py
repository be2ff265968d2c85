"""The admin's view of the CDRs: a filter, and aggregates computed in SQL for its charts.

Each aggregate is one query that runs unchanged on SQLite and PostgreSQL, except the time
bucket, which each dialect spells its own way (`_HourBucket`, compiled per dialect). Calls still
going on (state "active") have no outcome yet and are left out of every aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, FunctionElement, String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from .errors import ValidationError
from .models import DIRECTIONS, CdrRow

__all__ = ["MOS_BUCKETS", "Bucket", "CallSummary", "CdrFilter", "MosBucket", "StatusCount"]

Outcome = Literal["answered", "failed"]
Unit = Literal["hour", "day"]

#: MOS ranges of ITU-T G.107 Annex B (R 90/80/70/60/50 as MOS), labelled with G.109's user
#: satisfaction; the last range holds calls whose quality is unknown.
MOS_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("very satisfied", 4.34, 5.0),
    ("satisfied", 4.03, 4.34),
    ("some dissatisfied", 3.60, 4.03),
    ("many dissatisfied", 3.10, 3.60),
    ("nearly all dissatisfied", 2.58, 3.10),
    ("not recommended", 1.0, 2.58),
)


@dataclass(frozen=True, slots=True)
class CdrFilter:
    """Which calls: every field narrows the set; None leaves it open."""

    #: Calls started at or after this moment (time-zone aware).
    since: datetime | None = None
    #: Calls started before this moment.
    until: datetime | None = None
    component_id: str | None = None
    #: The SIP user name the call was made with.
    user: str | None = None
    direction: Literal["outgoing", "incoming"] | None = None
    #: "answered", or "failed" (ended without an answer, cut off included).
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
                raise ValidationError(name, moment, "expected a time-zone aware date and time")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise ValidationError("direction", self.direction, f"expected one of {DIRECTIONS}")
        if self.outcome is not None and self.outcome not in ("answered", "failed"):
            raise ValidationError("outcome", self.outcome, "expected answered or failed")

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses on `cdrs` (joined with AND)."""
        where: list[ColumnElement[bool]] = []
        if self.since is not None:
            where.append(CdrRow.started_at >= self.since)
        if self.until is not None:
            where.append(CdrRow.started_at < self.until)
        if self.component_id is not None:
            where.append(CdrRow.component_id == self.component_id)
        if self.user is not None:
            where.append(CdrRow.user_name == self.user)
        if self.direction is not None:
            where.append(CdrRow.direction == self.direction)
        if self.outcome == "answered":
            where.append(CdrRow.answered_at.is_not(None))
        elif self.outcome == "failed":
            where += [CdrRow.answered_at.is_(None), CdrRow.state != "active"]
        return where


@dataclass(frozen=True, slots=True)
class CallSummary:
    calls: int
    answered: int
    #: answered / calls; None when there are no calls.
    answer_rate: float | None
    #: Over answered calls; None when none was answered.
    average_talk_seconds: float | None


@dataclass(frozen=True, slots=True)
class Bucket:
    """The calls that started in [start, start + one hour or day)."""

    start: datetime
    calls: int
    answered: int


@dataclass(frozen=True, slots=True)
class MosBucket:
    """Calls whose MOS is in [low, high); label "unknown" (low = high = 0) for no estimate."""

    label: str
    low: float
    high: float
    calls: int


@dataclass(frozen=True, slots=True)
class StatusCount:
    """Failed calls with one final SIP status (None: no final response, such as a cut-off)."""

    sip_status: int | None
    calls: int


class _HourBucket(FunctionElement[str]):
    """The start of a UTC time's hour as `YYYY-MM-DD HH:MM:SS` text; `_DayBucket` for the day."""

    type = String()
    inherit_cache = True
    unit = "hour"


class _DayBucket(_HourBucket):
    inherit_cache = True
    unit = "day"


@compiles(_HourBucket, "sqlite")
def _bucket_sqlite(element: _HourBucket, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC times as text, which strftime reads as they are.
    pattern = "%Y-%m-%d %H:00:00" if element.unit == "hour" else "%Y-%m-%d 00:00:00"
    return f"strftime('{pattern}', {compiler.process(element.clauses, **kw)})"


@compiles(_HourBucket, "postgresql")
def _bucket_postgresql(element: _HourBucket, compiler: SQLCompiler, **kw: Any) -> str:
    moment = f"({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC'"
    return f"to_char(date_trunc('{element.unit}', {moment}), 'YYYY-MM-DD HH24:MI:SS')"


def _finished(where: CdrFilter) -> list[ColumnElement[bool]]:
    return [*where.conditions(), CdrRow.state != "active"]


def summary(session: Session, where: CdrFilter) -> CallSummary:
    answered = CdrRow.answered_at.is_not(None)
    row = session.execute(
        select(
            func.count(),
            func.count(CdrRow.answered_at),
            func.avg(case((answered, CdrRow.talk_seconds))),
        ).where(*_finished(where))
    ).one()
    calls, answered_calls, talk = int(row[0]), int(row[1]), row[2]
    return CallSummary(
        calls=calls,
        answered=answered_calls,
        answer_rate=answered_calls / calls if calls else None,
        average_talk_seconds=None if talk is None else float(talk),
    )


def calls_per_bucket(session: Session, where: CdrFilter, unit: Unit = "hour") -> list[Bucket]:
    """Calls and answered calls per hour (or day) of their start, oldest first; empty
    buckets are left out."""
    if unit not in ("hour", "day"):
        raise ValidationError("unit", unit, "expected hour or day")
    bucket = (_HourBucket if unit == "hour" else _DayBucket)(CdrRow.started_at)
    # Grouped in an outer query: PostgreSQL would not see the inner expression, with its
    # own bound parameters, as the same one in SELECT and GROUP BY.
    inner = select(bucket.label("start"), CdrRow.answered_at).where(*_finished(where)).subquery()
    rows = session.execute(
        select(inner.c.start, func.count(), func.count(inner.c.answered_at))
        .group_by(inner.c.start)
        .order_by(inner.c.start)
    )
    return [
        Bucket(datetime.fromisoformat(start).replace(tzinfo=UTC), int(calls), int(answered))
        for start, calls, answered in rows
    ]


def mos_distribution(session: Session, where: CdrFilter) -> list[MosBucket]:
    """Answered calls per range of MOS_BUCKETS (zero counts included), best first, then
    "unknown" (no estimate); unanswered calls carry no media, so they are not counted."""
    index = case(
        *((CdrRow.mos >= low, i) for i, (_, low, _) in enumerate(MOS_BUCKETS[:-1])),
        (CdrRow.mos.is_not(None), len(MOS_BUCKETS) - 1),
        else_=len(MOS_BUCKETS),
    )
    answered = CdrRow.answered_at.is_not(None)
    inner = select(index.label("bucket")).where(*_finished(where), answered).subquery()
    rows = session.execute(select(inner.c.bucket, func.count()).group_by(inner.c.bucket))
    counts = {int(bucket): int(calls) for bucket, calls in rows}
    buckets = [
        MosBucket(label, low, high, counts.get(i, 0))
        for i, (label, low, high) in enumerate(MOS_BUCKETS)
    ]
    return [*buckets, MosBucket("unknown", 0.0, 0.0, counts.get(len(MOS_BUCKETS), 0))]


def failures_by_status(session: Session, where: CdrFilter) -> list[StatusCount]:
    """Unanswered calls per final SIP status, the most frequent first (then by status, no
    status last)."""
    calls = func.count().label("calls")
    rows = session.execute(
        select(CdrRow.sip_status, calls)
        .where(*_finished(where), CdrRow.answered_at.is_(None))
        .group_by(CdrRow.sip_status)
        .order_by(calls.desc(), CdrRow.sip_status.asc().nulls_last())
    )
    return [StatusCount(status, int(n)) for status, n in rows]
