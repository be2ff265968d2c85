"""The REST API described in OpenAPI 3.1 (`/api/openapi.json`), and as a page (`/api/docs`).

Written by hand, beside the routes in api.py: a test checks that every route is here and that
every path here is a route. The page is drawn on the server from the same document, with no
script and nothing fetched from elsewhere.
"""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.responses import HTMLResponse

from .. import __version__

__all__ = ["docs_page", "openapi"]

_Json = dict[str, Any]


def _ref(name: str) -> _Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _param(name: str, description: str, schema: _Json, where: str = "query") -> _Json:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


_FILTERS = [
    _param("since", "Calls started at or after this time (ISO 8601; UTC if no offset).",
           {"type": "string", "format": "date-time"}),
    _param("until", "Calls started before this time.", {"type": "string", "format": "date-time"}),
    _param("component", "Calls of this saved component.", {"type": "string"}),
    _param("user", "Calls made with this SIP user name.", {"type": "string"}),
    _param("direction", "Outgoing or incoming calls.",
           {"type": "string", "enum": ["outgoing", "incoming"]}),
    _param("outcome", "Answered calls, or failed ones (not answered, cut off included).",
           {"type": "string", "enum": ["answered", "failed"]}),
]  # fmt: skip

_ERRORS = {
    "400": {"description": "A parameter is wrong (the message names it).",
            "content": {"application/json": {"schema": _ref("Error")}}},
    "401": {"description": "No API key, or not a valid one (unknown or revoked).",
            "content": {"application/json": {"schema": _ref("Error")}}},
}  # fmt: skip


def _ok(description: str, schema: _Json, media: str = "application/json") -> _Json:
    return {"200": {"description": description, "content": {media: {"schema": schema}}}}


def _get(summary: str, parameters: list[_Json], responses: _Json, *, public: bool = False) -> _Json:
    operation: _Json = {"summary": summary, "parameters": parameters, "responses": responses}
    if public:
        operation["security"] = []
    else:
        operation["responses"] = responses | _ERRORS
    return {"get": operation}


def _not_found(what: str) -> _Json:
    return {"404": {"description": f"No such {what}.",
                    "content": {"application/json": {"schema": _ref("Error")}}}}  # fmt: skip


_NULLABLE_STRING = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_NULLABLE_INT = {"type": ["integer", "null"]}

_SCHEMAS: _Json = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"],
                                 "properties": {"code": {"type": "string"},
                                                "message": {"type": "string"}}}},
    },
    "Component": {
        "type": "object",
        "description": "A saved phone: how it looks and its dial policy. Its SIP account is "
        "never shown.",
        "properties": {
            "id": {"type": "string"},
            "width": {"type": "integer"},
            **{f"show_{part}": {"type": "boolean"} for part in (
                "dialpad", "dialled_number", "answer", "hangup", "hold", "mute", "dial",
                "status")},
            "auto_register": {"type": "boolean"},
            "hidden": {"type": "boolean"},
            "policy": {"type": "object", "properties": {
                "allowed_origins": {"type": "array", "items": {"type": "string"}},
                "allowed_destinations": {"type": "array", "items": {"type": "string"}},
                "max_concurrent_calls": _NULLABLE_INT,
                "calls_per_hour_per_visitor": _NULLABLE_INT}},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "Cdr": {
        "type": "object",
        "description": "One call (docs/cdr.md), and what the store knows of it.",
        "properties": {
            "id": {"type": "integer"},
            "call_id": {"type": "string"},
            "direction": {"type": "string", "enum": ["outgoing", "incoming"]},
            **{name: _NULLABLE_STRING for name in (
                "from", "from_name", "to", "to_name", "cli", "server", "reason",
                "component_id", "user", "session")},
            **{name: {"type": ["string", "null"], "format": "date-time"} for name in (
                "started_at", "ringing_at", "answered_at", "ended_at")},
            "ring_seconds": _NULLABLE_NUMBER,
            "talk_seconds": _NULLABLE_NUMBER,
            "ended_by": {"type": ["string", "null"], "enum": ["local", "remote", "system", None]},
            "sip_status": _NULLABLE_INT,
            "media": {"type": "object", "properties": {
                "codec": _NULLABLE_STRING, "packets_sent": _NULLABLE_INT,
                "packets_received": _NULLABLE_INT, "bytes_sent": _NULLABLE_INT,
                "bytes_received": _NULLABLE_INT, "packets_lost": _NULLABLE_INT,
                "jitter_ms": _NULLABLE_NUMBER, "rtt_ms": _NULLABLE_NUMBER,
                "mos": _NULLABLE_NUMBER}},
            "state": {"type": "string", "enum": ["active", "ended", "cut_off"]},
        },
    },
    "Stats": {
        "type": "object",
        "description": "Aggregates over finished calls; `calls_per_hour` is `calls_per_day` "
        "with unit=day.",
        "properties": {
            "summary": {"type": "object", "properties": {
                "calls": {"type": "integer"}, "answered": {"type": "integer"},
                "answer_rate": _NULLABLE_NUMBER, "average_talk_seconds": _NULLABLE_NUMBER}},
            "calls_per_hour": {"type": "array", "items": {"type": "object", "properties": {
                "start": {"type": "string", "format": "date-time"},
                "calls": {"type": "integer"}, "answered": {"type": "integer"}}}},
            "mos": {"type": "array", "items": {"type": "object", "properties": {
                "label": {"type": "string"}, "low": {"type": "number"},
                "high": {"type": "number"}, "calls": {"type": "integer"}}}},
            "failures": {"type": "array", "items": {"type": "object", "properties": {
                "sip_status": _NULLABLE_INT, "calls": {"type": "integer"}}}},
        },
    },
}  # fmt: skip


def openapi() -> _Json:
    """The OpenAPI 3.1 document of /api."""
    page = [
        _param("limit", "CDRs per page (1 to 1000).", {"type": "integer", "default": 100}),
        _param("offset", "CDRs to skip.", {"type": "integer", "default": 0}),
    ]
    unit = _param("unit", "Bucket of calls_per_*.", {"type": "string", "enum": ["hour", "day"]})
    cdr_page = {
        "type": "object",
        "properties": {
            "cdrs": {"type": "array", "items": _ref("Cdr")},
            "total": {"type": "integer", "description": "Calls that match the filters."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": {**_NULLABLE_INT, "description": "The next page's offset; null: last."},
        },
    }
    listed = {"type": "array", "items": _ref("Component")}
    components = {"type": "object", "properties": {"components": listed}}
    id_param = _param("id", "The component's id.", {"type": "string"}, "path")
    cdr_id = _param("id", "The CDR's id.", {"type": "integer"}, "path")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "webphone API",
            "version": __version__,
            "description": "Saved components and call detail records, read-only. Send an API "
            "key made by `webphone api-key create NAME` as `Authorization: Bearer <key>`.",
        },
        "servers": [{"url": "/api"}],
        "security": [{"apiKey": []}],
        "paths": {
            "/components": _get("Every saved component", [], _ok("By id.", components)),
            "/components/{id}": _get(
                "One saved component", [id_param], _ok("The component.", _ref("Component"))
                | _not_found("component")),
            "/cdrs": _get("Calls, newest first, a page at a time", [*_FILTERS, *page],
                          _ok("A page of calls.", cdr_page)),
            "/cdrs.csv": _get("Every matching call as CSV (header first, newest first)",
                              _FILTERS, _ok("CSV, UTF-8.", {"type": "string"}, "text/csv")),
            "/cdrs/{id}": _get("One call", [cdr_id], _ok("The call.", _ref("Cdr"))
                               | _not_found("CDR")),
            "/stats": _get("Answer rate, calls per hour or day, MOS, failures by status",
                           [*_FILTERS, unit], _ok("The aggregates.", _ref("Stats"))),
            "/openapi.json": _get("This document", [], _ok("OpenAPI 3.1.", {"type": "object"}),
                                  public=True),
            "/docs": _get("This document as a page", [],
                          _ok("HTML.", {"type": "string"}, "text/html"), public=True),
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "An API key (wp_...)."}},
        },
    }  # fmt: skip


_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#0f172a}h1{margin-bottom:.2rem}code,pre{font:13px ui-monospace,monospace}
section{border:1px solid #e2e8f0;border-radius:8px;padding:.5rem 1rem;margin:1rem 0}
h2{font-size:1rem}h2 code{background:#e0f2fe;padding:.1rem .4rem;border-radius:4px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.2rem .5rem;
border-top:1px solid #f1f5f9;vertical-align:top}pre{background:#f8fafc;padding:.5rem;
overflow:auto}"""


def docs_page() -> HTMLResponse:
    """The document as a page people read: each route, its parameters, its answers."""
    spec = openapi()
    e = html.escape
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{e(spec['info']['title'])}"
        f"</title><style>{_STYLE}</style></head><body><h1>{e(spec['info']['title'])}</h1>",
        f"<p>{e(spec['info']['description'])}</p>",
        '<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>',
    ]
    for path, item in spec["paths"].items():
        operation = item["get"]
        public = operation.get("security") == []
        parts.append(f"<section><h2><code>GET /api{e(path)}</code> {e(operation['summary'])}</h2>")
        parts.append("<p>No key needed.</p>" if public else "")
        if operation["parameters"]:
            rows = "".join(
                f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td>"
                f"<td>{e(_type(p['schema']))}</td><td>{e(p['description'])}</td></tr>"
                for p in operation["parameters"]
            )
            parts.append(f"<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>"
                         f"{rows}</table>")  # fmt: skip
        answers = "".join(
            f"<li><b>{e(status)}</b> {e(answer['description'])}</li>"
            for status, answer in operation["responses"].items()
        )
        parts.append(f"<ul>{answers}</ul></section>")
    schemas = json.dumps(spec["components"]["schemas"], indent=2)
    parts.append(f"<h2>Schemas</h2><pre>{e(schemas)}</pre></body></html>")
    return HTMLResponse("".join(parts), headers={"cache-control": "no-cache"})


def _type(schema: _Json) -> str:
    kind = schema.get("type", "")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    return str(schema.get("format", kind))
