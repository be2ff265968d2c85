"""The call filter shared by the call list, its CSV export and the reports: read from the query
string into the store's `CdrFilter`, and drawn as one bar of inputs.

Times are UTC, as the pages show them; a `datetime-local` input gives `2026-11-26T06:00`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, cast
from urllib.parse import urlencode

from ...store import CdrFilter, Component
from .forms import field as input_field
from .forms import select
from .layout import EMPTY, Markup, join

__all__ = ["RANGES", "Filters", "filter_bar", "parse_filters"]

#: The quick ranges: (key, label, length); "" is all time.
RANGES: tuple[tuple[str, str, timedelta | None], ...] = (
    ("24h", "Last 24 hours", timedelta(hours=24)),
    ("7d", "Last 7 days", timedelta(days=7)),
    ("30d", "Last 30 days", timedelta(days=30)),
    ("all", "All time", None),
)
_KEYS = ("range", "since", "until", "component", "user", "direction", "outcome")


@dataclass(slots=True)
class Filters:
    """The filter as the store takes it, the values to show again, and what was wrong."""

    where: CdrFilter
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **changes: str | int) -> str:
        """The query string of this filter (empty values left out), with `changes`."""
        values = {k: v for k, v in self.values.items() if v}
        values |= {k: str(v) for k, v in changes.items()}
        return urlencode({k: v for k, v in values.items() if v})


def _moment(text: str) -> datetime:
    """`2026-11-26T06:00`, `2026-11-26 06:00` or `2026-11-26`, read as UTC."""
    moment = datetime.fromisoformat(text.strip().replace(" ", "T"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_filters(
    params: Mapping[str, str], *, default_range: str = "all", now: datetime | None = None
) -> Filters:
    """The filter of a query string; a bad value is left out and named in `errors`."""
    values = {key: params.get(key, "").strip()[:200] for key in _KEYS}
    errors: dict[str, str] = {}
    if not values["range"] and not values["since"] and not values["until"]:
        values["range"] = default_range
    moments: dict[str, datetime | None] = {"since": None, "until": None}
    for key in ("since", "until"):
        if values[key]:
            try:
                moments[key] = moment = _moment(values[key])
                values[key] = moment.strftime("%Y-%m-%dT%H:%M")
            except ValueError:
                errors[key] = "expected a date and time, such as 2026-11-26 06:00"
    lengths = {key: length for key, _, length in RANGES}
    if values["range"] not in lengths:
        errors["range"] = "unknown range"
    elif not values["since"] and not values["until"]:
        length = lengths[values["range"]]
        if length is not None:
            moments["since"] = (now or datetime.now(UTC)) - length
    if values["direction"] not in ("", "outgoing", "incoming"):
        errors["direction"] = "expected outgoing or incoming"
    if values["outcome"] not in ("", "answered", "failed"):
        errors["outcome"] = "expected answered or failed"
    where = CdrFilter(
        since=moments["since"],
        until=moments["until"],
        component_id=values["component"] or None,
        user=values["user"] or None,
        direction=cast(
            Literal["outgoing", "incoming"] | None,
            values["direction"] if "direction" not in errors and values["direction"] else None,
        ),
        outcome=cast(
            Literal["answered", "failed"] | None,
            values["outcome"] if "outcome" not in errors and values["outcome"] else None,
        ),
    )
    return Filters(where, values, errors)


def filter_bar(
    filters: Filters,
    action: str,
    components: Sequence[Component],
    users: Sequence[str],
    *,
    extra: Markup = EMPTY,
) -> Markup:
    """The filter form (GET, so a filtered view is a link to share), with quick ranges."""
    v, e = filters.values, filters.errors
    chips = join(
        Markup('<a class="chip{}" href="{}?{}">{}</a>').format(
            " chip-on" if v["range"] == key and not v["since"] else "",
            action,
            Filters(filters.where, {**v, "range": key, "since": "", "until": ""}).query(),
            label,
        )
        for key, label, _ in RANGES
    )
    phones = [("", "Any phone"), *((c.id, c.id) for c in components)]
    user_list = join(Markup('<option value="{}">').format(u) for u in users)
    fields = join(
        [
            Markup('<input type="hidden" name="range" value="{}">').format(v["range"]),
            input_field(
                "since", "From (UTC)", v["since"], error=e.get("since"), kind="datetime-local"
            ),
            input_field(
                "until", "To (UTC)", v["until"], error=e.get("until"), kind="datetime-local"
            ),
            select("component", "Phone", phones, v["component"]),
            input_field("user", "SIP user", v["user"], extra=Markup(' list="sip-user-names"')),
            select(
                "direction",
                "Direction",
                [("", "Both"), ("outgoing", "Outgoing"), ("incoming", "Incoming")],
                v["direction"],
                error=e.get("direction"),
            ),
            select(
                "outcome",
                "Result",
                [("", "Any"), ("answered", "Answered"), ("failed", "Not answered")],
                v["outcome"],
                error=e.get("outcome"),
            ),
        ]
    )
    return Markup(
        '<div class="chips" role="group" aria-label="Time range">{chips}</div>'
        '<form class="card filters" method="get" action="{action}" aria-label="Filter calls">'
        '{fields}<datalist id="sip-user-names">{users}</datalist><div class="filter-actions">'
        '<button class="btn btn-primary">Apply</button><a class="btn btn-ghost" href="{action}">'
        "Reset</a>{extra}</div></form>"
    ).format(chips=chips, action=action, fields=fields, users=user_list, extra=extra)
