"""The REST API under /api: saved components and CDRs as JSON (and CSV), read-only for now.

Every route but the description (`/api/openapi.json`, `/api/docs`) needs an API key:
`Authorization: Bearer wp_...` (made by `webphone api-key create NAME`). Errors are
`{"error": {"code": ..., "message": ...}}` with a 4xx status. The routes and their parameters
are described in api_openapi.py (OpenAPI 3.1) and docs/api.md; a test keeps the three in step.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, get_args

from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from ..store import ApiKeys, CdrFilter, Component, Database, ValidationError, cdr_dict
from ..store.cdr_stats import Unit
from ..store.cdr_values import iso
from ..store.components import public_fields
from .api_openapi import docs_page, openapi

__all__ = ["ApiError", "RequireApiKey", "api_routes", "component_json"]

#: Most CDRs in one page of `GET /api/cdrs`.
MAX_LIMIT = 1000
_FILTERS = ("since", "until", "component", "user", "direction", "outcome")
_OFFSET_AS_SPACE = re.compile(r"(?<=\d) (\d\d:?\d\d)$")


class ApiError(Exception):
    """A request the API refuses: `status`, a stable `code`, and a message for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def error_response(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"code": code, "message": message}}
    return JSONResponse(body, status, headers={"cache-control": "no-store", **headers})


class RequireApiKey:
    """ASGI middleware: a request without a valid API key gets 401 (RFC 6750 §3)."""

    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self.app = app
        self.keys = keys

    @property
    def routes(self) -> list[BaseRoute]:
        """The wrapped router's routes, so that `Mount.routes` still lists them."""
        return list(getattr(self.app, "routes", []))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            refusal = error_response(
                401,
                "unauthorized",
                "an API key is needed: Authorization: Bearer <key>",
                **{"www-authenticate": 'Bearer realm="webphone"'},
            )
            await refusal(scope, receive, send)
            return
        key = await asyncio.to_thread(self.keys.verify, token)
        if key is None:
            refusal = error_response(
                401,
                "unauthorized",
                "the API key is not valid (unknown or revoked)",
                **{"www-authenticate": 'Bearer realm="webphone", error="invalid_token"'},
            )
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["api_key"] = key.name
        await self.app(scope, receive, send)


def _handler(handler: Callable[[Request], object]) -> Callable[[Request], Response]:
    """A sync endpoint (Starlette runs it in a thread: the store blocks) whose ApiError or
    store ValidationError becomes a 4xx error body, and whose dict becomes JSON."""

    @functools.wraps(handler)
    def endpoint(request: Request) -> Response:
        try:
            result = handler(request)
        except ApiError as e:
            return error_response(e.status, e.code, str(e))
        except ValidationError as e:
            return error_response(400, "bad_request", str(e))
        if isinstance(result, Response):
            return result
        return JSONResponse(result, headers={"cache-control": "no-store"})

    return endpoint


def component_json(component: Component) -> dict[str, Any]:
    """What the API tells about a component: its look and its dial policy; no account."""

    def lines(text: str) -> list[str]:
        return [line for line in text.split("\n") if line]

    return public_fields(component) | {
        "policy": {
            "allowed_origins": lines(component.allowed_origins),
            "allowed_destinations": lines(component.allowed_destinations),
            "max_concurrent_calls": component.max_concurrent_calls,
            "calls_per_hour_per_visitor": component.calls_per_hour_per_visitor,
        },
        "created_at": iso(component.created_at),
        "updated_at": iso(component.updated_at),
    }


def _known(params: QueryParams, allowed: tuple[str, ...]) -> None:
    """A misspelt parameter would silently widen the answer: name it instead."""
    for name in params:
        if name not in allowed:
            raise ApiError(400, "bad_request", f"{name}: no such parameter here")


def _moment(params: QueryParams, name: str) -> datetime | None:
    text = params.get(name)
    if not text:
        return None
    # `+01:00` written unescaped in a URL arrives as ` 01:00` (a + is a space in a query).
    text = _OFFSET_AS_SPACE.sub(r"+\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name}={text!r}: expected ISO 8601") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _number(params: QueryParams, name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ApiError(400, "bad_request", f"{name}={text!r}: expected {low} to {high}")
    return int(text)


def cdr_filter(params: Mapping[str, str]) -> CdrFilter:
    """The store's filter from query parameters (names as in docs/api.md)."""
    query = params if isinstance(params, QueryParams) else QueryParams(params)
    return CdrFilter(
        since=_moment(query, "since"),
        until=_moment(query, "until"),
        component_id=query.get("component") or None,
        user=query.get("user") or None,
        direction=query.get("direction") or None,  # type: ignore[arg-type]  # checked there
        outcome=query.get("outcome") or None,  # type: ignore[arg-type]
    )


def api_routes(database: Database) -> list[BaseRoute]:
    """`/api/...`: the description open to all, the data behind `RequireApiKey`."""
    components, cdrs = database.components, database.cdrs

    def list_components(request: Request) -> object:
        _known(request.query_params, ())
        return {"components": [component_json(c) for c in components.list()]}

    def get_component(request: Request) -> object:
        component = components.get(request.path_params["id"])
        if component is None:
            raise ApiError(404, "not_found", f"no component {request.path_params['id']!r}")
        return component_json(component)

    def list_cdrs(request: Request) -> object:
        params = request.query_params
        _known(params, (*_FILTERS, "limit", "offset"))
        where = cdr_filter(params)
        limit = _number(params, "limit", 100, 1, MAX_LIMIT)
        offset = _number(params, "offset", 0, 0, 10**9)
        rows = cdrs.list(where, limit=limit, offset=offset)
        total = cdrs.count(where)
        following = offset + len(rows) if offset + len(rows) < total else None
        return {
            "cdrs": [cdr_dict(row) for row in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
            "next_offset": following,
        }

    def cdrs_csv(request: Request) -> object:
        _known(request.query_params, _FILTERS)
        where = cdr_filter(request.query_params)
        return StreamingResponse(
            cdrs.csv_lines(where),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="cdrs.csv"'},
        )

    def get_cdr(request: Request) -> object:
        row = cdrs.get(request.path_params["id"])
        if row is None:
            raise ApiError(404, "not_found", f"no CDR {request.path_params['id']}")
        return cdr_dict(row)

    def stats(request: Request) -> object:
        params = request.query_params
        _known(params, (*_FILTERS, "unit"))
        text = params.get("unit", "hour")
        if text not in get_args(Unit):
            raise ApiError(400, "bad_request", f"unit={text!r}: expected hour or day")
        unit: Unit = "day" if text == "day" else "hour"
        where = cdr_filter(params)
        summary = cdrs.summary(where)
        return {
            "summary": {
                "calls": summary.calls,
                "answered": summary.answered,
                "answer_rate": summary.answer_rate,
                "average_talk_seconds": summary.average_talk_seconds,
            },
            "calls_per_" + unit: [
                {"start": iso(b.start), "calls": b.calls, "answered": b.answered}
                for b in cdrs.calls_per_bucket(where, unit)
            ],
            "mos": [
                {"label": m.label, "low": m.low, "high": m.high, "calls": m.calls}
                for m in cdrs.mos_distribution(where)
            ],
            "failures": [
                {"sip_status": f.sip_status, "calls": f.calls}
                for f in cdrs.failures_by_status(where)
            ],
        }

    async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(404, "not_found", "no such API route (see /api/docs)")
        await response(scope, receive, send)

    protected = Router(
        routes=[
            Route("/components", _handler(list_components), methods=["GET"]),
            Route("/components/{id}", _handler(get_component), methods=["GET"]),
            Route("/cdrs", _handler(list_cdrs), methods=["GET"]),
            Route("/cdrs.csv", _handler(cdrs_csv), methods=["GET"]),
            Route("/cdrs/{id:int}", _handler(get_cdr), methods=["GET"]),
            Route("/stats", _handler(stats), methods=["GET"]),
        ],
        default=not_found,
    )

    async def description(request: Request) -> Response:
        return JSONResponse(openapi(), headers={"cache-control": "no-cache"})

    async def docs(request: Request) -> Response:
        return docs_page()

    return [
        Mount(
            "/api",
            routes=[
                Route("/openapi.json", description, methods=["GET"]),
                Route("/docs", docs, methods=["GET"]),
                Mount("", app=RequireApiKey(protected, ApiKeys(database))),
            ],
        )
    ]
