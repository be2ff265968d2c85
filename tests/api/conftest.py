"""The REST API in-process: the app over a SQLite store, an API key, and one request at a time."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from webphone.store import DATA_DIR_ENV, DATABASE_URL_ENV, ApiKeys, Database
from webphone.web import Settings, create_app


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with Database.open(tmp_path) as database:
        yield database


@pytest.fixture
def app(db: Database, tmp_path: Path) -> Starlette:
    return create_app(Settings(data_dir=tmp_path), database=db)


@pytest.fixture
def key(db: Database) -> str:
    return ApiKeys(db).create("tests")[1]


async def get(
    app: Starlette,
    target: str,
    key: str | None = None,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> Reply:
    """`GET target` (path and query) with `Authorization: Bearer key`, as uvicorn hands it on."""
    path, _, query = target.partition("?")
    more = {"authorization": f"Bearer {key}"} if key else {}
    more |= headers or {}
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080")]
        + [(k.lower().encode(), v.encode()) for k, v in more.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    sent: list[Message] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), 5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Reply(
        start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body
    )
