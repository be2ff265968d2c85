"""The admin's aggregates on both backends, with known data: 10 finished calls, 7 answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webphone.store import MOS_BUCKETS, Bucket, CdrFilter, Database, StatusCount, ValidationError

from .cdr_data import T0, at, make_cdr, started

# (minutes after 06:00 UTC, talk seconds or None when unanswered, final status, MOS)
CALLS = [
    (0, 1.0, 200, 4.41),
    (15, 2.0, 200, 4.41),
    (30, None, 486, None),
    (59, 3.0, 200, 4.2),
    (60, 4.0, 200, 3.8),
    (75, None, 486, None),
    (80, 5.0, 200, 3.3),
    (95, None, 404, None),
    (119, 6.0, 200, 2.0),
    (200, 7.0, 200, None),  # answered, but no quality estimate
]


@pytest.fixture
def filled(db: Database) -> Database:
    db.components.create("sales")
    for n, (minutes, talk, status, mos) in enumerate(CALLS):
        cdr = make_cdr(
            f"call-{n}",
            started=at(minutes),
            answered_after=None if talk is None else 1.0,
            talk=talk or 0.0,
            status=status,
            mos=mos,
            direction="incoming" if n % 2 else "outgoing",
        )
        db.cdrs.finish(cdr, component_id="sales" if n < 5 else None, user=f"user{n % 3}")
    # A call going on now has no outcome yet: no aggregate counts it.
    db.cdrs.start(started(make_cdr("active", started=at(1))), component_id="sales")
    return db


def test_summary(filled: Database) -> None:
    summary = filled.cdrs.summary()
    assert (summary.calls, summary.answered) == (10, 7)
    assert summary.answer_rate == pytest.approx(0.7)
    assert summary.average_talk_seconds == pytest.approx(4.0)  # (1 + ... + 7) / 7


def test_summary_with_a_filter(filled: Database) -> None:
    sales = filled.cdrs.summary(CdrFilter(component_id="sales"))
    assert (sales.calls, sales.answered) == (5, 4)
    assert sales.answer_rate == pytest.approx(0.8)
    assert sales.average_talk_seconds == pytest.approx(2.5)
    outgoing = filled.cdrs.summary(CdrFilter(direction="outgoing"))
    assert (outgoing.calls, outgoing.answered) == (5, 4)  # calls 0, 2, 4, 6, 8


def test_an_empty_summary(db: Database) -> None:
    summary = db.cdrs.summary()
    assert (summary.calls, summary.answered) == (0, 0)
    assert summary.answer_rate is None and summary.average_talk_seconds is None


def test_calls_per_hour(filled: Database) -> None:
    assert filled.cdrs.calls_per_bucket() == [
        Bucket(T0, 4, 3),
        Bucket(T0 + timedelta(hours=1), 5, 3),
        Bucket(T0 + timedelta(hours=3), 1, 1),  # empty hours are left out
    ]
    since = filled.cdrs.calls_per_bucket(CdrFilter(since=at(60), until=at(120)))
    assert since == [Bucket(T0 + timedelta(hours=1), 5, 3)]


def test_calls_per_day(filled: Database) -> None:
    midnight = T0.replace(hour=0)
    assert filled.cdrs.calls_per_bucket(unit="day") == [Bucket(midnight, 10, 7)]
    with pytest.raises(ValidationError) as caught:
        filled.cdrs.calls_per_bucket(unit="week")  # type: ignore[arg-type]
    assert caught.value.field == "unit"


def test_mos_distribution(filled: Database) -> None:
    counts = {b.label: b.calls for b in filled.cdrs.mos_distribution()}
    assert counts == {
        "very satisfied": 2,  # 4.41, 4.41
        "satisfied": 1,  # 4.2
        "some dissatisfied": 1,  # 3.8
        "many dissatisfied": 1,  # 3.3
        "nearly all dissatisfied": 0,
        "not recommended": 1,  # 2.0
        "unknown": 1,  # answered without an estimate; unanswered calls are not counted
    }
    assert [b.label for b in filled.cdrs.mos_distribution()][:-1] == [m[0] for m in MOS_BUCKETS]


def test_failures_by_status(filled: Database) -> None:
    assert filled.cdrs.failures_by_status() == [StatusCount(486, 2), StatusCount(404, 1)]
    filled.cdrs.mark_cut_off()  # the active call: failed, with no final status
    assert filled.cdrs.failures_by_status() == [
        StatusCount(486, 2),
        StatusCount(404, 1),
        StatusCount(None, 1),  # ties: by status, no status last
    ]
    assert filled.cdrs.summary().calls == 11
