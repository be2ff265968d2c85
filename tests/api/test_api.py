"""The REST API: keys, components without their account, CDRs with filters and pages, CSV,
aggregates, errors as JSON, and an OpenAPI document that lists every route."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from store.cdr_data import at, make_cdr
from webphone.store import ApiKeys, Database

from .conftest import get

ROUTES = ["/components", "/components/{id}", "/cdrs", "/cdrs.csv", "/cdrs/{id}", "/stats"]


@pytest.fixture
def calls(db: Database) -> list[int]:
    """Four calls: two of component `sales` (one answered), one of bob, one incoming."""
    db.components.create("sales", {"username": "sales", "password": "pw-of-sales"})
    finish = db.cdrs.finish
    return [
        finish(make_cdr("a", started=at(0)), component_id="sales", user="sales"),
        finish(make_cdr("b", started=at(10), answered_after=None), component_id="sales"),
        finish(make_cdr("c", started=at(70), status=404, answered_after=None), user="bob"),
        finish(make_cdr("d", started=at(80), direction="incoming"), user="bob"),
    ]


async def test_every_route_needs_a_valid_key(app: Starlette, db: Database, key: str) -> None:
    for path in ("/api/components", "/api/cdrs", "/api/cdrs.csv", "/api/stats", "/api/nope"):
        missing = await get(app, path)
        assert missing.status == 401, path
        assert missing.json()["error"]["code"] == "unauthorized"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = await get(app, path, "wp_" + "x" * 43)
        assert (wrong.status, wrong.headers["www-authenticate"]) == (
            401,
            'Bearer realm="webphone", error="invalid_token"',
        )
    assert (await get(app, "/api/components", key)).status == 200
    ApiKeys(db).revoke("tests")
    revoked = await get(app, "/api/components", key)
    assert revoked.status == 401 and "revoked" in revoked.json()["error"]["message"]
    (listed,) = ApiKeys(db).list()
    assert listed.last_used_at is not None and key not in repr(listed)


async def test_components_show_their_look_and_policy_never_the_account(
    app: Starlette, db: Database, key: str
) -> None:
    db.components.create(
        "sales",
        {
            "username": "sales-account",
            "password": "pw-of-sales",
            "allowed_origins": "https://shop.example.com",
            "allowed_destinations": "support\n+4420*",
            "max_concurrent_calls": 2,
        },
    )
    listing = await get(app, "/api/components", key)
    (component,) = listing.json()["components"]
    assert component["id"] == "sales" and component["width"] == 300
    assert component["policy"] == {
        "allowed_origins": ["https://shop.example.com"],
        "allowed_destinations": ["support", "+4420*"],
        "max_concurrent_calls": 2,
        "calls_per_hour_per_visitor": None,
    }
    one = await get(app, "/api/components/sales", key)
    assert one.json() == component
    for reply in (listing, one):
        assert b"pw-of-sales" not in reply.body and b"sales-account" not in reply.body
    missing = await get(app, "/api/components/nope", key)
    assert (missing.status, missing.json()["error"]["code"]) == (404, "not_found")


async def test_cdrs_with_filters_and_pages(app: Starlette, key: str, calls: list[int]) -> None:
    async def ids(query: str) -> list[int]:
        reply = await get(app, "/api/cdrs?" + query, key)
        assert reply.status == 200, reply.body
        return [c["id"] for c in reply.json()["cdrs"]]

    a, b, c, d = calls
    assert await ids("") == [d, c, b, a]  # newest first
    assert await ids("component=sales") == [b, a]
    assert await ids("user=bob") == [d, c]
    assert await ids("direction=incoming") == [d]
    assert await ids("outcome=failed") == [c, b]
    assert await ids("outcome=answered&component=sales") == [a]
    assert await ids(f"since={at(10).isoformat()}&until=2026-11-26T07:15:00Z") == [c, b]
    assert await ids("since=2026-11-26T07:10:00%2B01:00") == [d, c, b]  # 06:10 UTC
    assert await ids("since=2026-11-26T07:00:00") == [d, c]  # no offset: UTC

    first = (await get(app, "/api/cdrs?limit=3", key)).json()
    assert (first["total"], first["limit"], first["offset"], first["next_offset"]) == (4, 3, 0, 3)
    last = (await get(app, "/api/cdrs?limit=3&offset=3", key)).json()
    assert [x["id"] for x in last["cdrs"]] == [a] and last["next_offset"] is None
    row = (await get(app, f"/api/cdrs/{a}", key)).json()
    assert (row["call_id"], row["component_id"], row["media"]["mos"]) == ("a", "sales", 4.41)
    assert (await get(app, "/api/cdrs/999", key)).status == 404


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("direction=sideways", "direction"),
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("offset=-1", "offset"),
        ("componnet=sales", "componnet"),
    ],
)
async def test_a_bad_parameter_is_named(app: Starlette, key: str, query: str, named: str) -> None:
    reply = await get(app, "/api/cdrs?" + query, key)
    assert reply.status == 400
    error = reply.json()["error"]
    assert error["code"] == "bad_request" and error["message"].startswith(named)


async def test_csv_export_streams_the_filtered_calls(
    app: Starlette, key: str, calls: list[int]
) -> None:
    reply = await get(app, "/api/cdrs.csv?user=bob", key)
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(reply.body.decode())))
    assert [(r["call_id"], r["sip_status"], r["user"]) for r in table] == [
        ("d", "200", "bob"),
        ("c", "404", "bob"),
    ]
    assert (await get(app, "/api/cdrs.csv?limit=1", key)).status == 400  # no paging in CSV


async def test_stats(app: Starlette, key: str, calls: list[int]) -> None:
    stats = (await get(app, "/api/stats?direction=outgoing", key)).json()
    assert stats["summary"] == {
        "calls": 3,
        "answered": 1,
        "answer_rate": pytest.approx(1 / 3),
        "average_talk_seconds": 3.0,
    }
    assert [(b["start"], b["calls"]) for b in stats["calls_per_hour"]] == [
        ("2026-11-26T06:00:00.000Z", 2),
        ("2026-11-26T07:00:00.000Z", 1),
    ]
    assert {f["sip_status"]: f["calls"] for f in stats["failures"]} == {486: 1, 404: 1}
    assert sum(m["calls"] for m in stats["mos"]) == 1
    daily = (await get(app, "/api/stats?unit=day", key)).json()
    assert [b["calls"] for b in daily["calls_per_day"]] == [4]
    assert (await get(app, "/api/stats?unit=week", key)).status == 400


async def test_the_openapi_document_lists_every_route(app: Starlette) -> None:
    reply = await get(app, "/api/openapi.json")  # no key needed to read the description
    assert reply.status == 200
    spec = json.loads(reply.body)
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": "/api"}]
    (api,) = [r for r in app.routes if isinstance(r, Mount) and r.path == "/api"]
    public = [r.path for r in api.routes if isinstance(r, Route)]
    (keyed,) = [r for r in api.routes if isinstance(r, Mount)]
    protected = [r.path for r in keyed.routes if isinstance(r, Route)]
    documented = {path.replace("{id:int}", "{id}") for path in public + protected}
    assert documented == set(spec["paths"]) and set(ROUTES) <= documented
    for path, item in spec["paths"].items():
        responses = item["get"]["responses"]
        assert "200" in responses
        assert ("401" in responses) == (path in ROUTES), path
    refs = {
        value.rsplit("/", 1)[-1]
        for value in _values(spec)
        if isinstance(value, str) and value.startswith("#/components/schemas/")
    }
    assert refs <= set(spec["components"]["schemas"])

    page = await get(app, "/api/docs")
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    text = page.body.decode()
    assert all(f"GET /api{path}" in text for path in spec["paths"])
    assert "<script" not in text and "http" not in text.replace('href="/api/openapi.json"', "")


def _values(node: object) -> list[object]:
    if isinstance(node, dict):
        return [v for value in node.values() for v in [value, *_values(value)]]
    if isinstance(node, list):
        return [v for value in node for v in [value, *_values(value)]]
    return []
